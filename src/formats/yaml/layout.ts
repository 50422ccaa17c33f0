/**
 * Tree → YAML text, laid out like sops' YAML store on go-yaml v3 with indent 4
 * (docs/format.md §7.2–§7.4). Comments are grouped the way sops groups them before handing
 * nodes to go-yaml: comments before an entry become its head lines, inline ones go to
 * the end of its value line, comments after the last entry become foot lines.
 *
 * Deliberate differences from go-yaml, in cases where go-yaml loses or misplaces data or
 * comments, or writes YAML it cannot read back (documented in the tests):
 * - a map/list value holding only comments is written `{}`/`[]` with the comments
 *   above its key (go-yaml writes a broken `key: {` … `}` layout);
 * - inline comments before an entry whose value is a non-empty block collection go
 *   on the key line (`key: #c`), or above the `-` in a list; go-yaml moves them to a
 *   later line;
 * - foot comments after a list whose last item is a collection are written right
 *   after that list (go-yaml prints them after the next scalar);
 * - extra inline comments after a literal block go below the block, not inside it;
 * - a literal block whose text starts with a line break gets the header's own line
 *   break first (go-yaml omits it and so loses the leading line break);
 * - a literal block that needs an indentation digit (text starting with a space or a
 *   line break) gets its real offset, `2` in a list item or in a map inside a list:
 *   go-yaml always writes `4` there, which no parser (go-yaml included) reads back;
 * - comments that a list item's first entry would write go above the item's `-`
 *   (go-yaml drops them or puts them on the `-` line);
 * - text with U+2028/U+2029 is double-quoted (`emitter.ts`).
 * Long lines are never folded, as in go-yaml v3 (see `emitter.ts`).
 */
import { EmitError } from '../../errors.js'
import type { Mapping, Node, Pair, Scalar, Sequence } from '../../core/tree.js'
import { BEST_INDENT, YamlWriter, selectStyle, type ScalarStyle } from './emitter.js'
import { canUsePlain, resolveScalar, yamlBool, yamlFloat } from './go-scalars.js'
import { isEncryptedComment, keyTypeOf } from './style.js'

/** The next block indent after `n` (go-yaml `best_indent * ((n + best_indent) / best_indent)`). */
const nextIndent = (n: number, best: number) => (n < 0 ? 0 : best * Math.floor((n + best) / best))

/**
 * go-yaml's `best_indent` for a sops `--indent` / `stores.yaml.indent`: 0 (unset) is sops'
 * default 4; go-yaml's emitter turns anything outside 2…9 into 2. Negative values are
 * refused before this (sops: "YAML Negative indentation not accepted").
 */
export const bestIndent = (indent = 0): number => (indent === 0 ? BEST_INDENT : indent < 2 || indent > 9 ? 2 : indent)

interface Entry<T> {
  item: T
  head: string[]
  inline: string[]
}
interface Plan<T> {
  head: string[]
  entries: Array<Entry<T>>
  tail: string[]
}

/** sops' comment grouping (appendTreeBranch / appendSequence). */
function plan<T>(items: ReadonlyArray<{ kind: string }>, isComment: (x: { kind: string }) => x is { kind: 'comment'; text: string; inline: boolean }): Plan<T> {
  const p: Plan<T> = { head: [], entries: [], tail: [] }
  let head: string[] = []
  let inline: string[] = []
  for (const it of items) {
    if (isComment(it)) {
      ;(it.inline ? inline : head).push(it.text)
      continue
    }
    if (p.entries.length === 0) {
      p.head = head
      head = []
    }
    p.entries.push({ item: it as T, head, inline })
    head = []
    inline = []
  }
  const rest = [...head, ...inline]
  if (p.entries.length === 0) p.head = rest
  else p.tail = rest
  return p
}

const mapPlan = (m: Mapping) => plan<Pair>(m.entries, (x): x is { kind: 'comment'; text: string; inline: boolean } => x.kind === 'comment')
const seqPlan = (s: Sequence) =>
  plan<Node>(s.items, (x): x is { kind: 'comment'; text: string; inline: boolean } => x.kind === 'comment' && !isEncryptedComment(x as never))

/** A list's items as emitted: sops writes an encrypted list comment as a plain string item. */
const itemNode = (n: Node | { kind: 'comment'; text: string }): Node =>
  n.kind === 'comment' ? { kind: 'scalar', type: 'str', text: n.text } : n

function isEmptyCollection(n: Node): boolean {
  if (n.kind === 'map') return !n.entries.some((e) => e.kind === 'pair')
  if (n.kind === 'seq') return seqPlan(n).entries.length === 0
  return false
}

/** Comments of a comment-only collection (written above the entry holding it). */
function hoisted(n: Node): string[] {
  if (n.kind === 'map' && isEmptyCollection(n)) return mapPlan(n).head
  if (n.kind === 'seq' && isEmptyCollection(n)) return seqPlan(n).head
  return []
}

const isBlock = (n: Node) => n.kind !== 'scalar' && !isEmptyCollection(n)

/** Comment lines written above a map entry: its head, an empty value's comments, extra inline ones. */
function mapEntryHead(e: Entry<Pair>): string[] {
  const v = e.item.value
  return [...e.head, ...hoisted(v), ...(isBlock(v) ? e.inline.slice(1) : [])]
}

/** Comment lines written above a list item's `-` (see `Emitter.seq`). */
function seqEntryHead(e: Entry<Node>): string[] {
  const item = itemNode(e.item)
  if (!isBlock(item)) return [...e.head, ...hoisted(item)]
  const own = item.kind === 'map' ? mapLead(mapPlan(item)) : seqLead(seqPlan(item as Sequence))
  return [...e.head, ...own, ...e.inline]
}

/** Everything a block collection writes before its first entry's own text. */
const mapLead = (p: Plan<Pair>): string[] => [...p.head, ...(p.entries[0] ? mapEntryHead(p.entries[0]) : [])]
const seqLead = (p: Plan<Node>): string[] => [...p.head, ...(p.entries[0] ? seqEntryHead(p.entries[0]) : [])]

interface ScalarText {
  text: string
  style: ScalarStyle
  tag?: string
}

/** How a scalar value is spelled (go-yaml encoder rules for each Go type). */
function scalarText(s: Scalar): ScalarText {
  switch (s.type) {
    case 'null':
      return { text: 'null', style: 'plain' }
    case 'int':
    case 'time':
      return { text: s.text, style: 'plain' }
    case 'float':
      return { text: yamlFloat(s.text), style: 'plain' }
    case 'bool': {
      const b = yamlBool(s.text)
      if (b === undefined) throw new EmitError('invalid boolean value in YAML output')
      return { text: b, style: 'plain' }
    }
    case 'str':
    case 'bytes':
      if (s.raw && !isUtf8(s.raw)) return binaryText(s.raw)
      return strText(s.raw ? Buffer.from(s.raw).toString('utf8') : s.text)
  }
}

/**
 * go-yaml `stringv`: literal for multi-line text, plain when it re-reads as a string,
 * else double-quoted; then the emitter's downgrades for a value position.
 */
function strText(text: string): ScalarText {
  // go-yaml re-reads an unquoted `<<` as a merge key and writes it with an explicit tag
  if (text === '<<') return { text, style: 'plain', tag: '!!merge' }
  return { text, style: selectStyle(text, requestedStyle(text), false) }
}

const requestedStyle = (text: string): ScalarStyle => (text.includes('\n') ? 'literal' : canUsePlain(text) ? 'plain' : 'double')

/** Non-UTF-8 bytes: `!!binary` base64, broken into 70-character lines when long (as go-yaml). */
function binaryText(raw: Uint8Array): ScalarText {
  const b64 = Buffer.from(raw).toString('base64')
  if (b64.length < 70) return { text: b64, style: 'plain', tag: '!!binary' }
  const lines = b64.match(/.{1,70}/g) ?? []
  return { text: lines.map((l) => l + '\n').join(''), style: 'literal', tag: '!!binary' }
}

function isUtf8(b: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b)
    return true
  } catch {
    return false
  }
}

/**
 * Key spelling: a recorded non-string key type is kept (plain) when the text still
 * resolves to it; string keys get the style sops' encode/re-parse round gives them.
 */
function keyText(p: Pair): ScalarText {
  const kt = keyTypeOf(p)
  if (kt !== undefined) {
    const r = resolveScalar(p.key).tag
    if ((r === 'timestamp' ? 'time' : r) === kt) return { text: p.key, style: 'plain' }
  }
  return strText(p.key)
}

/** Emitter over one YamlWriter; every method mirrors one go-yaml emitter state. */
class Emitter {
  readonly w = new YamlWriter()
  constructor(private readonly best = BEST_INDENT) {}
  private next(n: number): number {
    return nextIndent(n, this.best)
  }

  document(m: Mapping, first: boolean): void {
    const w = this.w
    if (!first) {
      w.writeIndent(0)
      w.writeIndicator('---', true, false, false)
      w.writeIndent(0)
    }
    this.root(m)
  }

  /** A node at the root of a document (`--extract` of a non-string emits lists and scalars too). */
  root(n: Node): void {
    const w = this.w
    if (n.kind === 'scalar') this.scalar(n, this.best, [], -1)
    else if (isEmptyCollection(n)) {
      this.lead(hoisted(n), 0)
      this.flowEmpty(n, [], 0)
    } else this.block(n, 0, true)
    w.footIndent = -1
    w.writeIndent(0)
  }

  private block(n: Mapping | Sequence, indent: number, printLead: boolean): void {
    if (n.kind === 'map') this.map(mapPlan(n), indent, printLead)
    else this.seq(seqPlan(n), indent, printLead)
  }

  /** Comment lines above the collection's first entry (when not already written by the caller). */
  private lead(lines: string[], indent: number): void {
    if (lines.length === 0) return
    this.w.writeIndent(indent)
    this.w.writeComments(lines, indent)
  }

  private map(p: Plan<Pair>, indent: number, printLead: boolean): void {
    if (printLead) this.lead(mapLead(p), indent)
    p.entries.forEach((e, i) => {
      if (i > 0) this.lead(mapEntryHead(e), indent)
      this.pair(e.item, indent, isBlock(e.item.value) ? e.inline.slice(0, 1) : e.inline)
    })
    this.foot(p.tail, indent)
  }

  private pair(p: Pair, indent: number, inline: string[]): void {
    const w = this.w
    const key = keyText(p)
    const simple = !/[\n\r\u0085\u2028\u2029]/.test(key.text) && Buffer.byteLength(key.text) <= 128
    w.writeIndent(indent)
    if (key.tag) w.writeTag(key.tag)
    if (simple) {
      w.writeScalar(key.text, selectStyle(key.text, key.style, true), { indent: this.next(indent), parent: indent })
      w.writeIndicator(':', false, false, false)
    } else {
      w.writeIndicator('?', true, false, true)
      w.writeScalar(key.text, key.style, { indent: this.next(indent), parent: indent })
      w.writeIndent(indent)
      w.writeIndicator(':', true, false, true)
    }
    this.value(p.value, this.next(indent), indent, inline)
  }

  /** A map value or list item; `indent` is where a nested block goes, `owner` the entry's own indent. */
  private value(v: Node, indent: number, owner: number, inline: string[]): void {
    const w = this.w
    if (v.kind === 'scalar') return this.scalar(v, indent, inline, owner)
    if (isEmptyCollection(v)) return this.flowEmpty(v, inline, owner)
    if (inline.length > 0) w.writeLineComments(inline, owner)
    this.block(v, indent, true)
  }

  /**
   * A block list. An item's comments all go above its `-`, including those its own
   * first entry would write (a nested collection starts on the `-` line, where a
   * comment line cannot go).
   */
  private seq(p: Plan<Node>, indent: number, printLead: boolean): void {
    const w = this.w
    if (printLead) this.lead(seqLead(p), indent)
    p.entries.forEach((e, i) => {
      const item = itemNode(e.item)
      if (i > 0) this.lead(seqEntryHead(e), indent)
      w.writeIndent(indent)
      w.writeIndicator('-', true, false, true)
      if (isBlock(item)) this.block(item as Mapping | Sequence, indent + 2, false)
      else this.value(item, indent + 2, indent, e.inline)
    })
    this.foot(p.tail, indent)
  }

  private foot(tail: string[], indent: number): void {
    if (tail.length === 0) return
    this.w.writeIndent(indent)
    this.w.writeComments(tail, indent)
    this.w.footIndent = indent
  }

  private flowEmpty(n: Node, inline: string[], owner: number): void {
    const w = this.w
    const [open, close] = n.kind === 'map' ? ['{', '}'] : ['[', ']']
    w.writeIndicator(open, true, true, false)
    w.writeIndicator(close, false, false, false)
    w.writeLineComments(inline, owner)
  }

  /** `indent`: continuation/literal indent; `owner`: where extra inline comments go. */
  private scalar(s: Scalar, indent: number, inline: string[], owner: number): void {
    const w = this.w
    const t = scalarText(s)
    if (t.tag) w.writeTag(t.tag)
    if (t.style === 'literal') {
      w.writeScalar(t.text, 'literal', { indent, parent: owner }, inline[0])
      for (const c of inline.slice(1)) {
        w.writeIndent(owner)
        w.writeComments([c], owner)
      }
      return
    }
    w.writeScalar(t.text, t.style, { indent, parent: owner })
    w.writeLineComments(inline, owner)
  }
}

/** All documents, `---` between them; zero documents give empty output. */
export function emitDocuments(branches: readonly Mapping[], best = BEST_INDENT): string {
  return emitDocumentParts(branches, best).join('')
}

/** As emitDocuments, the text in parts (joined, they are emitDocuments' text). */
export function emitDocumentParts(branches: readonly Mapping[], best = BEST_INDENT): readonly string[] {
  const e = new Emitter(best)
  branches.forEach((b, i) => e.document(b, i === 0))
  return e.w.chunks()
}

/** One value as its own YAML document (`--extract` of a non-string). */
export function emitNode(n: Node, best = BEST_INDENT): string {
  const e = new Emitter(best)
  e.root(n)
  return e.w.toString()
}
