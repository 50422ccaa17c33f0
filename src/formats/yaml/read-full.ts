/**
 * YAML text → tree. Most files (one document of plain block YAML, as sops writes it)
 * are read by the line scanner of `read-fast.ts`; everything else goes through the
 * full reader here: the `yaml` library (v2) only parses (Composer over its CST,
 * failsafe schema so that it resolves nothing); scalar meaning follows go-yaml
 * (`go-scalars.ts`, `tree-scalars.ts`) and comments are placed by `comments.ts`.
 * Both readers give the same tree (test/formats/yaml/read-fast.test.ts).
 *
 * Errors are `FormatError`s carrying a fixed description and line/column only;
 * the library's messages (which can quote the source) are never used.
 *
 * Aliases are expanded (the tree has no references), so a small file can stand for a huge
 * tree: 300 aliases of one 1 MB value, or nested aliases doubling at each level. What the
 * tree holds is budgeted in bytes, not nodes: every node converted (each time an alias
 * expands it) costs its text plus a fixed overhead, at most 10× the input plus 1 MiB in all,
 * beyond which reading stops with a LimitExceededError before anything more is built.
 */
import type { Document, Node as YNode, Scalar as YScalar } from 'yaml'
import { isAlias, isMap, isPair, isScalar, isSeq, yamlLib } from './library.js'
import { formatFloatF } from '../../core/go-number.js'
import type { Comment, Mapping, Node, Pair, Scalar, Sequence } from '../../core/tree.js'
import { LimitExceededError } from '../../errors.js'
import { DocIndex, LineMap, MAX_DEPTH, interleaveComments, type CommentToken, type PlacedComment, type YCollection } from './comments.js'
import { resolveScalar, type ResolvedTag } from './go-scalars.js'
import { parseFast } from './read-fast.js'
import { TYPE_OF, keyOf, plainScalar } from './tree-scalars.js'
import { ENCRYPTED_COMMENT, type YamlPairStyle } from './style.js'

/** The expanded tree may hold this many bytes per input byte, plus EXPANSION_ALLOWANCE. */
export const EXPANSION_FACTOR = 10
export const EXPANSION_ALLOWANCE = 1024 * 1024
/** What one node costs besides its text (a flow list of empty items is ~2 input bytes per node). */
const NODE_COST = 8

const OPTIONS = { prettyErrors: false, uniqueKeys: false, maxAliasCount: 100, schema: 'failsafe' as const, strict: true }

const ERROR_TEXT: Record<string, string> = {
  BAD_INDENT: 'bad indentation',
  BAD_DQ_ESCAPE: 'invalid escape in double-quoted string',
  BAD_SCALAR_START: 'invalid start of a plain scalar',
  BLOCK_AS_IMPLICIT_KEY: 'nested mapping in a compact mapping',
  BLOCK_IN_FLOW: 'block collection inside a flow collection',
  DUPLICATE_KEY: 'duplicate mapping key',
  KEY_OVER_1024_CHARS: 'implicit key longer than 1024 characters',
  MISSING_CHAR: 'missing closing character',
  MULTILINE_IMPLICIT_KEY: 'implicit key spans several lines',
  MULTIPLE_ANCHORS: 'node has several anchors',
  MULTIPLE_TAGS: 'node has several tags',
  TAB_AS_INDENT: 'tab character used for indentation',
  UNEXPECTED_TOKEN: 'unexpected token',
  BAD_ALIAS: 'invalid alias',
  BAD_DIRECTIVE: 'invalid directive',
  // the `yaml` composer reports its own stack overflow on very deep nesting this way
  RESOURCE_EXHAUSTION: 'nesting is too deep',
}

/** Parsed documents of one YAML text (already BOM-stripped and LF-normalised). */
export function parseDocuments(text: string): Mapping[] {
  return parseFast(text) ?? parseFull(text)
}

/** The full reader: the `yaml` library's parser and composer (every construct, every error). */
export function parseFull(text: string): Mapping[] {
  const { Composer, Parser } = yamlLib()
  const lines = new LineMap(text)
  const tokens = Array.from(new Parser().parse(text))
  const composer = new Composer(OPTIONS)
  const docs = Array.from(composer.compose(tokens)) as Array<Document.Parsed>
  const streamErr = composer.streamInfo().errors[0]
  if (streamErr) throw lines.error(describe(streamErr.code), streamErr.pos[0])
  const comments = commentsByDocument(tokens, text, lines)
  const budget = { left: EXPANSION_ALLOWANCE + EXPANSION_FACTOR * text.length }
  return docs.map((doc, i) => {
    const err = doc.errors[0]
    if (err) throw lines.error(describe(err.code), err.pos[0])
    return new DocConverter(doc, lines, comments[i] ?? [], i === 0, budget).root()
  })
}

const describe = (code: string) => `invalid YAML: ${ERROR_TEXT[code] ?? code.toLowerCase().replace(/_/g, ' ')}`

/** Comment tokens grouped per document (stream comments before a document belong to it). */
function commentsByDocument(tokens: readonly unknown[], text: string, lines: LineMap): CommentToken[][] {
  const groups: CommentToken[][] = []
  let pending: CommentToken[] = []
  for (const t of tokens) {
    const cs = collectComments(t, text, lines)
    const type = (t as { type: string }).type
    if (type === 'document') {
      groups.push([...pending, ...cs])
      pending = []
    } else if (type === 'doc-end' && groups.length > 0) groups[groups.length - 1]!.push(...cs)
    else pending.push(...cs)
  }
  if (groups.length > 0) groups[groups.length - 1]!.push(...pending)
  return groups
}

/** All `comment` source tokens inside a CST token (iterative: the CST can be deep). */
function collectComments(token: unknown, text: string, lines: LineMap): CommentToken[] {
  const out: CommentToken[] = []
  const stack: unknown[] = [token]
  while (stack.length > 0) {
    const x = stack.pop()
    if (Array.isArray(x)) stack.push(...x)
    else if (x && typeof x === 'object') {
      const t = x as { type?: string; offset?: number; source?: unknown }
      if (t.type === 'comment' && typeof t.offset === 'number' && typeof t.source === 'string') {
        const before = text.slice(lines.lineStart(lines.line(t.offset)), t.offset)
        out.push({ offset: t.offset, text: t.source.slice(1), trailing: /\S/.test(before) })
      } else for (const v of Object.values(x)) if (v && typeof v === 'object') stack.push(v)
    }
  }
  return out.sort((a, b) => a.offset - b.offset)
}

const RESOLVABLE = new Set(['!!int', '!!float', '!!bool', '!!null', '!!timestamp'])

/** Converts one composed document into a branch. */
class DocConverter {
  private readonly index: DocIndex
  private readonly orphans: CommentToken[]
  private readonly checked = new WeakSet<object>()
  private readonly active = new Set<object>()

  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineMap,
    comments: CommentToken[],
    private readonly checkDuplicates: boolean,
    /** Bytes the documents of this text may still expand to (shared by its documents). */
    private readonly budget: { left: number },
  ) {
    this.index = new DocIndex(doc.contents, lines)
    this.orphans = this.index.place(comments)
  }

  root(): Mapping {
    let n: unknown = this.doc.contents
    if (isAlias(n)) n = this.target(n)
    const orphanComments = this.orphans.map((c): Comment => ({ kind: 'comment', text: c.text, inline: false }))
    if (n === null || n === undefined) return { kind: 'map', entries: orphanComments }
    if (isMap(n)) {
      const m = this.map(n as YCollection, 0)
      m.entries.push(...orphanComments)
      return m
    }
    if (isSeq(n)) throw this.lines.error('YAML documents that are sequences are not supported', startOf(n))
    if (isScalar(n) && this.scalar(n).type === 'null') return { kind: 'map', entries: orphanComments }
    throw this.lines.error('YAML documents that are values are not supported', startOf(n))
  }

  private node(n: unknown, depth: number): Node {
    if (depth > MAX_DEPTH) throw this.lines.error('YAML nesting is too deep', startOf(n))
    this.spend(NODE_COST + (isScalar(n) ? scalarBytes(n) : 0), n)
    if (n === null || n === undefined) return { kind: 'scalar', type: 'null', text: '' }
    if (isAlias(n)) {
      const t = this.target(n)
      if (this.active.has(t)) throw this.lines.error('YAML alias refers to its own anchor', startOf(n))
      this.active.add(t)
      const outer = this.expanding
      this.expanding = n
      try {
        return this.node(t, depth + 1)
      } finally {
        this.active.delete(t)
        this.expanding = outer
      }
    }
    if (isMap(n)) return this.map(n as YCollection, depth)
    if (isSeq(n)) return this.seq(n as YCollection, depth)
    if (isScalar(n)) return this.scalar(n)
    throw this.lines.error('unsupported YAML node', startOf(n))
  }

  /** The innermost alias being expanded (where an over-budget error points). */
  private expanding: unknown

  /** Charges `bytes` to the budget; throws before the node that would exceed it is built. */
  private spend(bytes: number, at: unknown): void {
    this.budget.left -= bytes
    if (this.budget.left < 0) {
      const offset = startOf(this.expanding ?? at)
      const where = offset === undefined ? '' : ` at line ${this.lines.line(offset) + 1}, column ${this.lines.col(offset) + 1}`
      throw new LimitExceededError(`YAML aliases expand to too much data (more than ${EXPANSION_FACTOR}× the file's size plus 1 MiB)${where}`)
    }
  }

  private target(a: YNode): YNode {
    const t = this.index.aliasTargets.get(a as never)
    if (!t) throw this.lines.error('YAML alias to an undefined anchor', startOf(a))
    return t
  }

  private map(m: YCollection, depth: number): Mapping {
    this.active.add(m)
    const pairs: Pair[] = []
    const seen = this.checkDuplicates && !this.checked.has(m) ? new Set<string>() : undefined
    this.checked.add(m)
    m.items.forEach((item, i) => {
      if (!isPair(item)) throw this.lines.error('invalid YAML mapping entry', startOf(m))
      const key = this.key(item.key)
      this.spend(NODE_COST + key.text.length, item.key)
      if (seen) {
        const id = isScalar(item.key) ? `s:${String(item.key.value)}` : isAlias(item.key) ? `a:${item.key.source}` : `n:${i}`
        if (seen.has(id)) throw this.lines.error('duplicate mapping key', startOf(item.key))
        seen.add(id)
      }
      const pair: Pair = { kind: 'pair', key: key.text, value: this.node(item.value, depth + 1) }
      if (key.style) pair.style = key.style
      pairs.push(pair)
    })
    this.active.delete(m)
    return { kind: 'map', entries: interleaveComments(pairs, this.comments(m)) }
  }

  private seq(s: YCollection, depth: number): Sequence {
    this.active.add(s)
    const items: Array<Node | Comment> = []
    s.items.forEach((item) => {
      const n = this.node(item, depth + 1)
      // sops writes encrypted list comments as plain items; read them back as comments
      if (n.kind === 'scalar' && n.type === 'str' && !n.raw && ENCRYPTED_COMMENT.test(n.text)) {
        items.push({ kind: 'comment', text: n.text, inline: false })
      } else items.push(n)
    })
    this.active.delete(s)
    return { kind: 'seq', items: interleaveComments(items, this.comments(s)) }
  }

  /** A collection's comments, charged to the budget (an alias of the collection copies them). */
  private comments(c: YCollection): PlacedComment[] {
    const cs = this.index.commentsOf(c)
    let bytes = 0
    for (const x of cs) bytes += NODE_COST + x.text.length
    if (bytes) this.spend(bytes, c)
    return cs
  }

  /** A key: strings as they are; other scalars keep their YAML spelling and type in `Pair.style`. */
  private key(n: unknown): { text: string; style?: YamlPairStyle } {
    let k = n
    if (isAlias(k)) k = this.target(k)
    if (k === null || k === undefined) return { text: 'null', style: { keyType: 'null' } }
    if (!isScalar(k)) throw this.lines.error('mapping keys that are maps or lists are not supported', startOf(n))
    return keyOf(this.scalar(k))
  }

  private scalar(n: YScalar): Scalar {
    const text = typeof n.value === 'string' ? n.value : (n.source ?? String(n.value))
    const tag = shortTag(n.tag)
    if (tag === undefined || tag === '!') {
      if (tag === undefined && n.type === 'PLAIN') {
        return plainScalar(text)
      }
      return { kind: 'scalar', type: 'str', text }
    }
    if (tag === '!!binary') return this.binary(n, text)
    if (!RESOLVABLE.has(tag)) return { kind: 'scalar', type: 'str', text } // !!str, custom tags: tag dropped
    const r = resolveScalar(text, tag === '!!timestamp')
    const want = tag.slice(2) as ResolvedTag
    if (r.tag === want) return { kind: 'scalar', type: TYPE_OF[r.tag], text: r.text }
    if (want === 'float' && r.tag === 'int') return { kind: 'scalar', type: 'float', text: formatFloatF(Number(BigInt(r.text))) }
    throw this.lines.error('YAML scalar does not match its tag', startOf(n))
  }

  private binary(n: YScalar, text: string): Scalar {
    const b64 = text.replace(/[\r\n]/g, '')
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw this.lines.error('invalid !!binary base64 data', startOf(n))
    const raw = Buffer.from(b64, 'base64')
    try {
      return { kind: 'scalar', type: 'str', text: new TextDecoder('utf-8', { fatal: true }).decode(raw) }
    } catch {
      return { kind: 'scalar', type: 'str', text: raw.toString('utf8'), raw: new Uint8Array(raw) }
    }
  }
}

const startOf = (n: unknown): number | undefined => (n as YNode | null)?.range?.[0]

/** The text a scalar node holds (its value as read, or its source for non-strings). */
const scalarBytes = (n: YScalar): number => (typeof n.value === 'string' ? n.value.length : (n.source ?? '').length)

function shortTag(tag: string | undefined): string | undefined {
  if (tag === undefined) return undefined
  const long = 'tag:yaml.org,2002:'
  return tag.startsWith(long) ? '!!' + tag.slice(long.length) : tag
}
