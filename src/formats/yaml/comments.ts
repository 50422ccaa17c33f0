/**
 * A positional index of one parsed YAML document: its collections and entries
 * in source order, where each alias points, and in which collection (and before
 * which entry) each source comment belongs.
 *
 * The `yaml` library's own comment fields merge end-of-line and following-line
 * comments and lose their indentation, so comments are placed here from their
 * offsets, following go-yaml's head/line/foot attachment as sops reads it (docs/format.md §7.4):
 * - a comment after content on its line is *inline* to the entry that starts on that
 *   line (the innermost one in block context). Deliberate difference: go-yaml reads
 *   `key: # c` followed by a block value, or with no value at all, as a comment
 *   *above* `key`; here it stays inline, so it is written back on the key's line;
 * - a comment on its own line goes before the next entry when it is not indented
 *   deeper than that entry; otherwise it trails the innermost enclosing collection
 *   it is indented into (example.yaml: the comment at 8 spaces after `password:` ends
 *   `app2.db`, not the root map).
 *
 * `CommentPlacer` holds that placement; `DocIndex` feeds it from a composed `yaml`
 * document, and the fast reader (`read-fast.ts`) feeds it from its own scan.
 */
import type { Alias, Node as YNode, YAMLMap, YAMLSeq } from 'yaml'
import { isAlias, isMap, isPair, isScalar, isSeq } from './library.js'
import { FormatError } from '../../errors.js'
import type { Comment } from '../../core/tree.js'

/** Deepest nesting accepted; deeper input is rejected instead of risking a stack overflow. */
export const MAX_DEPTH = 1000

export type YCollection = YAMLMap<unknown, unknown> | YAMLSeq<unknown>

/** One `#` comment of the source. */
export interface CommentToken {
  offset: number
  /** Text after the `#`. */
  text: string
  /** Something other than whitespace precedes it on its line. */
  trailing: boolean
}

/** A comment placed in a collection before entry `index` (index = length: after the last). */
export interface PlacedComment {
  index: number
  offset: number
  text: string
  inline: boolean
}

/** Puts placed comments among a collection's items (both readers build their tree with this). */
export function interleaveComments<T>(items: readonly T[], placed: readonly PlacedComment[]): Array<T | Comment> {
  const out: Array<T | Comment> = []
  let k = 0
  items.forEach((item, i) => {
    for (; k < placed.length && placed[k]!.index <= i; k++) out.push(toComment(placed[k]!))
    out.push(item)
  })
  for (; k < placed.length; k++) out.push(toComment(placed[k]!))
  return out
}

const toComment = (p: PlacedComment): Comment => ({ kind: 'comment', text: p.text, inline: p.inline })

/** A collection as comment placement sees it; `key` identifies it to `commentsOf`. */
export interface Container {
  key: object
  seq: boolean
  flow: boolean
  col: number
  parent: Container | undefined
  depth: number
  size: number
}

/** One entry (pair or sequence item) of a collection, at its source position. */
export interface EntryInfo {
  container: Container
  index: number
  start: number
  line: number
  valueEnd: number
  /** The value starts a block collection on the following lines. */
  blockValue: boolean
}

/** Line starts and offset → 1-based line/column conversion for error messages. */
export class LineMap {
  private readonly starts: number[] = [0]
  constructor(private readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1)
  }
  /** 0-based line of an offset. */
  line(offset: number): number {
    let lo = 0
    let hi = this.starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.starts[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    return lo
  }
  lineStart(line: number): number {
    return this.starts[line] ?? 0
  }
  /** 0-based column. */
  col(offset: number): number {
    return offset - this.lineStart(this.line(offset))
  }
  /**
   * 0-based column of a node that starts at `offset`, counting the tags and anchors
   * written before it on its line (`&a key: 1`): the `yaml` library's ranges leave
   * them out, but they are part of the node's indentation.
   */
  nodeCol(offset: number): number {
    const before = this.text.slice(this.lineStart(this.line(offset)), offset)
    const props = /(?:[!&][^\s]*[ \t]+)+$/.exec(before)
    return before.length - (props ? props[0].length : 0)
  }
  /** A FormatError at an offset (1-based line and column, never source text). */
  error(message: string, offset: number | undefined): FormatError {
    if (offset === undefined) return new FormatError(message)
    return new FormatError(message, this.line(offset) + 1, this.col(offset) + 1)
  }
}

const startOf = (n: unknown): number | undefined => (n as YNode | null)?.range?.[0]
const endOf = (n: unknown): number | undefined => (n as YNode | null)?.range?.[1]

/**
 * Places comments among the entries of one document (see the module comment).
 * `entries` must be in source order.
 */
export class CommentPlacer {
  private readonly placed = new Map<object, PlacedComment[]>()

  constructor(
    protected readonly lines: LineMap,
    protected readonly entries: EntryInfo[],
    protected root: Container | undefined,
  ) {}

  /** Comments placed in a collection, in output order. */
  commentsOf(key: object): PlacedComment[] {
    return this.placed.get(key) ?? []
  }

  /** Places the comments; returns those that found no collection (a document without one). */
  place(comments: readonly CommentToken[]): CommentToken[] {
    const orphans: CommentToken[] = []
    for (const c of comments) {
      const spot = this.root ? this.spot(c) : undefined
      if (!spot) {
        orphans.push(c)
        continue
      }
      const list = this.placed.get(spot.container.key) ?? []
      list.push({ index: spot.index, offset: c.offset, text: c.text, inline: spot.inline })
      this.placed.set(spot.container.key, list)
    }
    for (const list of this.placed.values()) list.sort((a, b) => a.index - b.index || a.offset - b.offset)
    return orphans
  }

  private spot(c: CommentToken): { container: Container; index: number; inline: boolean } | undefined {
    const o = c.offset
    const line = this.lines.line(o)
    if (c.trailing) {
      const sameLine = this.deepest(this.entries.filter((e) => e.line === line && e.start < o))
      if (sameLine) return { ...at(sameLine), inline: !(sameLine.blockValue && sameLine.container.seq) }
      const lineStart = this.lines.lineStart(line)
      const spanning = this.deepest(this.entries.filter((e) => e.start < o && !e.blockValue && e.valueEnd >= lineStart && e.valueEnd <= o))
      if (spanning) return { ...at(spanning), inline: true }
    }
    const col = this.lines.col(o)
    let prev: EntryInfo | undefined
    let next: EntryInfo | undefined
    for (const e of this.entries) {
      if (e.start < o) prev = e
      else if (e.start > o) {
        next = e
        break
      }
    }
    if (prev && !prev.blockValue && o < prev.valueEnd) return { ...at(prev), inline: false }
    if (!prev) return next ? { ...at(next), inline: false } : this.trailing(this.root!)
    if (next && col <= next.container.col) return { ...at(next), inline: false }
    let target: Container = prev.container
    for (let k: Container | undefined = prev.container; k; k = k.parent) {
      target = k
      if (k.col <= col) break
    }
    if (next && isWithin(next.container, target)) return { ...at(next), inline: false }
    return this.trailing(target)
  }

  private trailing(c: Container) {
    return { container: c, index: c.size, inline: false }
  }

  /** The innermost candidate, preferring entries of block collections. */
  private deepest(cands: EntryInfo[]): EntryInfo | undefined {
    const block = cands.filter((e) => !e.container.flow)
    const pool = block.length > 0 ? block : cands
    let best: EntryInfo | undefined
    for (const e of pool) if (!best || e.container.depth >= best.container.depth) best = e
    return best
  }
}

/** Source index of one document composed by the `yaml` library. */
export class DocIndex extends CommentPlacer {
  readonly aliasTargets = new Map<Alias, YNode | undefined>()
  private readonly anchors = new Map<string, YNode>()

  constructor(contents: unknown, lines: LineMap) {
    super(lines, [], undefined)
    this.walk(contents, undefined, 0)
    this.entries.sort((a, b) => a.start - b.start)
  }

  private walk(n: unknown, parent: Container | undefined, depth: number): void {
    if (depth > MAX_DEPTH) throw this.lines.error('YAML nesting is too deep', startOf(n))
    if (n === null || typeof n !== 'object') return
    const node = n as YNode
    if (isAlias(node)) {
      this.aliasTargets.set(node, this.anchors.get(node.source))
      return
    }
    if (node.anchor) this.anchors.set(node.anchor, node)
    if (isScalar(node)) return
    if (!isMap(node) && !isSeq(node)) return
    const coll = node as YCollection
    const c: Container = { key: coll, seq: isSeq(coll), flow: Boolean(coll.flow), col: this.lines.nodeCol(startOf(coll) ?? 0), parent, depth, size: coll.items.length }
    this.root ??= c
    coll.items.forEach((item, index) => {
      const key = isPair(item) ? item.key : undefined
      const value = isPair(item) ? item.value : item
      const start = startOf(key) ?? startOf(value)
      if (start !== undefined) {
        const v = value as YNode | null
        const blockValue = (isMap(v) || isSeq(v)) && !v.flow && v.items.length > 0
        const valueEnd = endOf(value) ?? endOf(key) ?? start
        this.entries.push({ container: c, index, start, line: this.lines.line(start), valueEnd, blockValue })
      }
      if (key !== undefined) this.walk(key, c, depth + 1)
      this.walk(value, c, depth + 1)
    })
  }
}

const at = (e: EntryInfo) => ({ container: e.container, index: e.index })

function isWithin(inner: Container, outer: Container): boolean {
  for (let k: Container | undefined = inner; k; k = k.parent) if (k === outer) return true
  return false
}
