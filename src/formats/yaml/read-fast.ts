/**
 * Fast path of the YAML reader: a line scanner for the plain block subset that sops
 * and most hand-written files use — one document of block mappings and sequences,
 * plain, simple quoted and `|`/`|-` literal scalars, and `#` comments. It gives the
 * same tree as the full reader (`read-full.ts`) and returns `undefined` as soon as
 * the text leaves the subset (anchors, tags, flow collections, `---`, multi-line
 * plain or quoted scalars, escapes, tabs, duplicate keys, bad indentation…); the
 * caller then runs the full reader, which also reports every error. The fast path
 * never throws.
 */
import type { Comment, Mapping, Node, Pair, Scalar, Sequence } from '../../core/tree.js'
import { CommentPlacer, LineMap, interleaveComments, type CommentToken, type Container, type EntryInfo } from './comments.js'
import { keyOf, plainScalar } from './tree-scalars.js'
import { ENCRYPTED_COMMENT } from './style.js'

/** Characters the subset accepts anywhere: LF, printable ASCII and most of the BMP. */
const OUTSIDE = /[^\n\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]/
/** Nesting beyond this is left to the full reader (and its depth limit). */
const FAST_DEPTH = 100
/** Implicit keys longer than this are left to the full reader (it rejects > 1024). */
const MAX_KEY = 1000

const SP = 0x20
const HASH = 0x23
const COLON = 0x3a
const DASH = 0x2d
const DQ = 0x22
const SQ = 0x27
const BAR = 0x7c

/** First characters that make a scalar something other than a simple plain one. */
const INDICATOR = new Set(Array.from('-?:,[]{}#&*!|>\'"%@`', (c) => c.charCodeAt(0)))

interface Frame {
  node: Mapping | Sequence
  items: Array<Pair | Node | Comment>
  col: number
  /** A sequence written at its parent key's column (`key:\n- a`). */
  sameIndent: boolean
  keys: Set<string> | undefined
  cont: Container | undefined
}

/** A key whose value starts on a later line (a nested block, or nothing). */
interface Pending {
  frame: Frame
  pair: Pair
  col: number
  entry: EntryInfo | undefined
}

/** A literal block scalar being read. */
interface Literal {
  set: (n: Node) => void
  entry: EntryInfo | undefined
  parentCol: number
  indent: number
  /** `|` (clip: one final line break) rather than `|-`. */
  clip: boolean
  lines: string[]
  /** Empty lines seen since the last text line. */
  blanks: number
}

class Bail extends Error {}
const bail = (): never => {
  throw new Bail()
}

/** The document of `text` when it lies in the subset, else undefined. */
export function parseFast(text: string): Mapping[] | undefined {
  if (OUTSIDE.test(text)) return undefined
  try {
    return [new FastScanner(text).run()]
  } catch (e) {
    if (e instanceof Bail) return undefined
    throw e
  }
}

class FastScanner {
  /** Comment placement needs the entries' positions; they are only recorded when the text has a `#`. */
  private readonly withComments: boolean
  /** Open collections, outermost first. */
  private readonly stack: Frame[] = []
  private readonly entries: EntryInfo[] = []
  private readonly comments: CommentToken[] = []
  /** Every collection, in source order (the first is the root). */
  private readonly frames: Frame[] = []
  private pending: Pending | undefined
  private literal: Literal | undefined
  private line = 0
  /** Start offset of the current line. */
  private ls = 0

  constructor(private readonly text: string) {
    this.withComments = text.includes('#')
  }

  run(): Mapping {
    const t = this.text
    let ls = 0
    for (; ls < t.length; this.line++) {
      let le = t.indexOf('\n', ls)
      if (le === -1) le = t.length
      this.ls = ls
      this.scanLine(ls, le)
      ls = le + 1
    }
    if (this.literal) {
      if (!t.endsWith('\n')) bail()
      this.endLiteral(t.length)
    }
    if (this.pending) this.nullValue()
    const root = this.stack[0] ?? bail()
    if (this.withComments) this.placeComments()
    return root.node as Mapping
  }

  private scanLine(ls: number, le: number): void {
    const t = this.text
    let p = ls
    while (p < le && t.charCodeAt(p) === SP) p++
    const ind = p - ls
    if (this.literal) {
      const lit = this.literal
      if (p === le) {
        // an empty line inside (or after) the text; leading ones and ones with spaces to spare are left to the full reader
        if (lit.lines.length === 0 || ind > lit.indent) bail()
        lit.blanks++
        return
      }
      if (lit.lines.length === 0) {
        if (ind <= lit.parentCol) bail()
        lit.indent = ind
      }
      if (ind >= lit.indent) {
        for (; lit.blanks > 0; lit.blanks--) lit.lines.push('')
        lit.lines.push(t.slice(ls + lit.indent, le))
        return
      }
      this.endLiteral(ls)
    }
    if (p === le) return
    const c = t.charCodeAt(p)
    if (c === HASH) {
      this.comments.push({ offset: p, text: t.slice(p + 1, le), trailing: false })
      return
    }
    if (ind === 0 && (t.startsWith('---', p) || t.startsWith('...', p))) bail()
    const dash = c === DASH && (p + 1 === le || t.charCodeAt(p + 1) === SP)
    const frame = this.frameFor(ind, dash)
    if (dash) this.seqItem(frame, p, le)
    else this.mapEntry(frame, p, le)
  }

  /** The open collection a line at column `ind` continues (opening a nested one when due). */
  private frameFor(ind: number, dash: boolean): Frame {
    const pend = this.pending
    if (pend) {
      this.pending = undefined
      if (ind > pend.col || (dash && ind === pend.col)) {
        const f = this.open(dash, ind, pend.frame, dash && ind === pend.col)
        pend.pair.value = f.node
        if (pend.entry) pend.entry.blockValue = true
        return f
      }
      this.nullValue(pend)
    }
    const s = this.stack
    if (s.length === 0) return dash ? bail() : this.open(false, ind, undefined, false)
    let top = s[s.length - 1]!
    while (top.col > ind || (top.sameIndent && top.col === ind && !dash)) {
      s.pop()
      top = s[s.length - 1] ?? bail()
    }
    if (top.col !== ind || (top.node.kind === 'seq') !== dash) bail()
    return top
  }

  private open(seq: boolean, col: number, parent: Frame | undefined, sameIndent: boolean): Frame {
    if (this.stack.length >= FAST_DEPTH) bail()
    const node: Mapping | Sequence = seq ? { kind: 'seq', items: [] } : { kind: 'map', entries: [] }
    const items = seq ? (node as Sequence).items : (node as Mapping).entries
    let cont: Container | undefined
    if (this.withComments) {
      const pc = parent?.cont
      cont = { key: node, seq, flow: false, col, parent: pc, depth: pc ? pc.depth + 1 : 0, size: 0 }
    }
    const f: Frame = { node, items, col, sameIndent, keys: seq ? undefined : new Set(), cont }
    this.stack.push(f)
    this.frames.push(f)
    return f
  }

  private entry(f: Frame, start: number): EntryInfo | undefined {
    if (!f.cont) return undefined
    const e: EntryInfo = { container: f.cont, index: f.items.length, start, line: this.line, valueEnd: start, blockValue: false }
    this.entries.push(e)
    return e
  }

  private seqItem(f: Frame, p: number, le: number): void {
    const t = this.text
    let q = p + 1
    while (q < le && t.charCodeAt(q) === SP) q++
    if (q === le) bail() // a bare `-`: nested block items are left to the full reader
    const c = t.charCodeAt(q)
    if (c === HASH || (c === DASH && (q + 1 === le || t.charCodeAt(q + 1) === SP))) bail()
    const e = this.entry(f, q)
    if (this.keyColon(q, le) !== -1) {
      if (e) e.blockValue = true
      const m = this.open(false, q - this.ls, f, false)
      f.items.push(m.node)
      this.mapEntry(m, q, le)
      return
    }
    const at = f.items.length
    f.items.push(undefined as never)
    this.value(q, le, e, -1, (n) => {
      f.items[at] = n.kind === 'scalar' && n.type === 'str' && ENCRYPTED_COMMENT.test(n.text) ? { kind: 'comment', text: n.text, inline: false } : n
    })
  }

  private mapEntry(f: Frame, p: number, le: number): void {
    const t = this.text
    const c = t.charCodeAt(p)
    let key: Scalar
    let raw: string
    let after: number
    if (c === DQ || c === SQ) {
      const end = this.quotedEnd(p, le)
      raw = unquote(t.slice(p + 1, end), c)
      key = { kind: 'scalar', type: 'str', text: raw }
      after = end + 1
      if (t.charCodeAt(after) !== COLON || (after + 1 < le && t.charCodeAt(after + 1) !== SP)) bail()
    } else {
      const colon = this.keyColon(p, le)
      if (colon === -1 || !this.plainStart(p, le) || t.charCodeAt(colon - 1) === SP) bail()
      raw = t.slice(p, colon)
      key = plainScalar(raw)
      after = colon
    }
    if (after - p > MAX_KEY || f.keys!.has(raw)) bail()
    f.keys!.add(raw)
    const k = keyOf(key)
    const e = this.entry(f, p)
    const pair: Pair = { kind: 'pair', key: k.text, value: undefined as never }
    if (k.style) pair.style = k.style
    f.items.push(pair)
    let v = after + 1
    while (v < le && t.charCodeAt(v) === SP) v++
    if (v === le || t.charCodeAt(v) === HASH) {
      if (v < le) this.comments.push({ offset: v, text: t.slice(v + 1, le), trailing: true })
      this.pending = { frame: f, pair, col: f.col, entry: e }
      return
    }
    this.value(v, le, e, f.col, (n) => {
      pair.value = n
    })
  }

  /**
   * Offset of the `:` that ends an implicit key starting at `p` (followed by a space or
   * the line end), or -1 when the line holds no key; bails on a ` #` before it.
   */
  private keyColon(p: number, le: number): number {
    const t = this.text
    const c = t.charCodeAt(p)
    if (c === DQ || c === SQ) {
      const end = this.quotedEnd(p, le, true)
      if (end === -1) return -1
      let q = end + 1
      while (q < le && t.charCodeAt(q) === SP) q++
      return t.charCodeAt(q) === COLON && (q + 1 === le || t.charCodeAt(q + 1) === SP) ? q : -1
    }
    for (let i = p; i < le; i++) {
      const ch = t.charCodeAt(i)
      if (ch === COLON) {
        if (i + 1 === le || t.charCodeAt(i + 1) === SP) return i
      } else if (ch === HASH && i > p && t.charCodeAt(i - 1) === SP) return -1
    }
    return -1
  }

  /** Closing quote of a one-line quoted scalar starting at `p` (no escapes in double quotes). */
  private quotedEnd(p: number, le: number, soft = false): number {
    const t = this.text
    const q = t.charCodeAt(p)
    for (let i = p + 1; i < le; i++) {
      const ch = t.charCodeAt(i)
      if (ch === q) {
        if (q === SQ && i + 1 < le && t.charCodeAt(i + 1) === SQ) {
          i++
          continue
        }
        return i
      }
      if (ch === 0x5c && q === DQ) return soft ? -1 : bail()
    }
    return soft ? -1 : bail()
  }

  /** A value scalar starting at `v` on a line ending at `le`. */
  private value(v: number, le: number, e: EntryInfo | undefined, parentCol: number, set: (n: Node) => void): void {
    const t = this.text
    const c = t.charCodeAt(v)
    if (c === DQ || c === SQ) {
      const end = this.quotedEnd(v, le)
      this.afterValue(end + 1, le)
      if (e) e.valueEnd = end + 1
      set({ kind: 'scalar', type: 'str', text: unquote(t.slice(v + 1, end), c) })
      return
    }
    if (c === BAR) {
      if (parentCol < 0) bail()
      const clip = v + 1 === le
      if (!clip && !(v + 2 === le && t.charCodeAt(v + 1) === DASH)) bail()
      this.literal = { set, entry: e, parentCol, indent: 0, clip, lines: [], blanks: 0 }
      return
    }
    if ((c === 0x5b || c === 0x7b) && t.charCodeAt(v + 1) === c + 2) {
      // `[]` or `{}`: an empty flow collection
      this.afterValue(v + 2, le)
      if (e) e.valueEnd = v + 2
      set(c === 0x5b ? { kind: 'seq', items: [] } : { kind: 'map', entries: [] })
      return
    }
    if (!this.plainStart(v, le)) bail()
    let end = le
    for (let i = v; i < le; i++) {
      const ch = t.charCodeAt(i)
      if (ch === COLON) {
        if (i + 1 === le || t.charCodeAt(i + 1) === SP) bail()
      } else if (ch === HASH && t.charCodeAt(i - 1) === SP) {
        this.comments.push({ offset: i, text: t.slice(i + 1, le), trailing: true })
        end = i
        break
      }
    }
    while (t.charCodeAt(end - 1) === SP) end--
    if (e) e.valueEnd = end
    set(plainScalar(t.slice(v, end)))
  }

  /** After a closed value: spaces, then the line end or a ` #` comment. */
  private afterValue(p: number, le: number): void {
    const t = this.text
    let q = p
    while (q < le && t.charCodeAt(q) === SP) q++
    if (q === le) return
    if (t.charCodeAt(q) !== HASH || q === p) bail()
    this.comments.push({ offset: q, text: t.slice(q + 1, le), trailing: true })
  }

  /** A plain scalar may start here: no indicator, except a `-` glued to what follows (`-5`). */
  private plainStart(p: number, le: number): boolean {
    const c = this.text.charCodeAt(p)
    if (c === DASH) return p + 1 < le && this.text.charCodeAt(p + 1) !== SP
    return !INDICATOR.has(c)
  }

  private endLiteral(end: number): void {
    const lit = this.literal!
    this.literal = undefined
    if (lit.lines.length === 0) bail()
    if (lit.entry) lit.entry.valueEnd = end
    const body = lit.lines.join('\n')
    lit.set({ kind: 'scalar', type: 'str', text: lit.clip ? body + '\n' : body })
  }

  /** A key with nothing after it: a null value (placement of comments around it is left to the full reader). */
  private nullValue(pend = this.pending): void {
    this.pending = undefined
    if (!pend || this.withComments) bail()
    pend!.pair.value = { kind: 'scalar', type: 'null', text: '' }
  }

  private placeComments(): void {
    if (this.comments.length === 0) return
    for (const f of this.frames) f.cont!.size = f.items.length
    const placer = new CommentPlacer(new LineMap(this.text), this.entries, this.frames[0]!.cont)
    if (placer.place(this.comments).length > 0) bail()
    for (const f of this.frames) {
      const placed = placer.commentsOf(f.node)
      if (placed.length === 0) continue
      if (f.node.kind === 'map') f.node.entries = interleaveComments(f.items, placed) as Mapping['entries']
      else f.node.items = interleaveComments(f.items, placed) as Sequence['items']
    }
  }
}

function unquote(s: string, quote: number): string {
  return quote === SQ && s.includes("''") ? s.replace(/''/g, "'") : s
}
