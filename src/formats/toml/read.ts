/**
 * TOML source → neutral tree, via the `toml-eslint-parser` CST. Every node and
 * comment gets a `TomlNodeStyle` (id, parent, source span, original value) and the
 * tree a `TomlDocInfo`, so `emit` can splice changed values back into the source.
 *
 * Comment placement (stable under value splicing and under appending a `[sops]`
 * table after a blank line):
 * - an end-of-line comment goes before the item that ends on its line (inline=true);
 * - an own-line comment goes before the next item of its container; a comment
 *   block directly followed (no blank line) by a table header goes before the
 *   header's pair (for the first `[[x]]` of an array of tables: before the pair
 *   `x`; for later ones: before that element); other comments at the end of a
 *   table body go to the end of that table.
 */
import { ParseError, parseTOML, type AST } from 'toml-eslint-parser'
import { formatFloatF } from '../../core/go-number.js'
import type { Comment, Mapping, Node, Pair, Scalar, Sequence, Tree } from '../../core/tree.js'
import { FormatError } from '../../errors.js'
import type { ContainerKind, LineElement, StringForm, TomlDocInfo, TomlNodeStyle } from './style.js'
import { fitsInt64 } from './values.js'

type Container = Mapping | Sequence
interface Anchor {
  container: Container
  /** Insert before this entry; `null` appends. */
  target: Pair | Node | Comment | null
}
interface Item {
  start: number
  end: number
  anchor: Anchor
  header: boolean
}
interface InlineContainer {
  start: number
  end: number
  node: Container
  items: Item[]
}
interface Region {
  start: number
  node: Mapping
  sentinel: Comment
}

let docCounter = 0

/** Fixed parser messages known to carry no input text. */
const SAFE_MESSAGES = new Set([
  'Unterminated string constant', 'Unterminated table-key', 'Unterminated array', 'Unterminated inline table',
  'Empty bare keys are not allowed', 'Must be a newline', 'Expected equal (=) token', 'Unspecified values are invalid',
  'Expected comma (,) token', 'Defining a key multiple times is invalid', 'Unexpected character', 'Unexpected token',
  'Control characters (codes < 0x1f and 0x7f) are not allowed', 'The key, equals sign, and value must be on the same line',
  'No newlines are allowed between the curly braces unless they are valid within a value',
  'Underscores are allowed between digits', 'Unexpected spaces', 'Three or more quotes are not permitted',
  'Unexpected invalid date', 'Unexpected invalid time', 'Leading zeros are not allowed',
  'Trailing comma is not permitted in an inline table', 'Invalid character in escape sequence',
  'Consecutive dots are not permitted in keys', 'Keys cannot end with a dot', 'Keys cannot start with a dot',
])

function toFormatError(e: unknown): FormatError {
  if (e instanceof ParseError) {
    const what = SAFE_MESSAGES.has(e.message)
      ? e.message
      : e.message.startsWith('Invalid code point') ? 'Invalid code point' : 'Invalid TOML'
    return new FormatError(`TOML: ${what}`, e.lineNumber, e.column + 1)
  }
  return new FormatError('TOML: could not parse the document')
}

const keyName = (k: AST.TOMLBare | AST.TOMLQuoted): string => (k.type === 'TOMLBare' ? k.name : k.value)

/** Parses TOML text (BOM already removed) into a tree with splice information. */
export function parseTomlText(src: string, bom: boolean): Tree {
  let ast: AST.TOMLProgram
  try {
    ast = parseTOML(src)
  } catch (e) {
    throw toFormatError(e)
  }
  return new Builder(src, bom).build(ast)
}

class Builder {
  private readonly docId = ++docCounter
  private nextId = 0
  private readonly root: Mapping
  private readonly pairIndex = new WeakMap<Mapping, Map<string, Pair>>()
  private readonly tableItems: Item[] = []
  private readonly inlines: InlineContainer[] = []
  private readonly regions: Region[] = []
  private readonly elements: LineElement[] = []
  private readonly tableComments: Comment[] = []
  private readonly inlineStack: InlineContainer[] = []
  private nextInline = 0
  private readonly placed = new Map<Container, { before: Map<unknown, Comment[]>; end: Comment[] }>()

  constructor(
    private readonly src: string,
    private readonly bom: boolean,
  ) {
    this.root = { kind: 'map', entries: [], style: this.style(-1, null, { kind: 'root' }) }
  }

  private style(parent: number, key: string | null, extra: Partial<TomlNodeStyle> = {}): TomlNodeStyle {
    return { format: 'toml', docId: this.docId, id: this.nextId++, parent, key, top: null, ...extra }
  }

  private idOf(n: Container): number {
    return (n.style as TomlNodeStyle).id
  }

  build(ast: AST.TOMLProgram): Tree {
    let region = this.openRegion(0, this.root)
    for (const item of ast.body[0].body) {
      if (item.type === 'TOMLKeyValue') {
        this.tableKeyValue(item, region.node, keyName(item.key.keys[0]!))
      } else {
        this.closeRegion(region)
        const node = this.table(item)
        region = this.openRegion(item.range[0], node)
        const top = item.resolvedKey[0] as string
        for (const kv of item.body) this.tableKeyValue(kv, node, top)
      }
    }
    this.closeRegion(region)
    for (const c of [...ast.comments].sort((a, b) => a.range[0] - b.range[0])) this.placeComment(c)
    this.insertComments()
    const topSlots = this.assignTops()
    for (const c of this.tableComments) {
      const s = c.style as TomlNodeStyle
      this.elements.push({ start: s.start!, end: s.end!, top: s.top, header: false })
    }
    const info: TomlDocInfo = {
      format: 'toml', docId: this.docId, source: this.src, bom: this.bom,
      eol: /\r\n/.test(this.src) && !/(^|[^\r])\n/.test(this.src) ? '\r\n' : '\n',
      slotCount: this.nextId, topSlots, elements: this.elements,
    }
    return { branches: [this.root], style: info }
  }

  private openRegion(start: number, node: Mapping): Region {
    const sentinel: Comment = { kind: 'comment', text: '', inline: false }
    const r = { start, node, sentinel }
    this.regions.push(r)
    return r
  }

  private closeRegion(r: Region): void {
    r.node.entries.push(r.sentinel)
  }

  private findPair(m: Mapping, key: string): Pair | undefined {
    return this.pairIndex.get(m)?.get(key)
  }

  private addPair(m: Mapping, key: string, value: Node): Pair {
    const p: Pair = { kind: 'pair', key, value }
    m.entries.push(p)
    let idx = this.pairIndex.get(m)
    if (!idx) this.pairIndex.set(m, (idx = new Map()))
    idx.set(key, p)
    return p
  }

  private newMap(kind: ContainerKind, parent: number, key: string | null): Mapping {
    return { kind: 'map', entries: [], style: this.style(parent, key, { kind }) }
  }

  private tableKeyValue(kv: AST.TOMLKeyValue, m: Mapping, top: string): void {
    this.tableItems.push(this.keyValue(kv, m))
    this.elements.push({ start: kv.range[0], end: kv.range[1], top, header: false })
  }

  /** Adds `a.b.c = v` below `m`; returns the item anchored at the leaf pair. */
  private keyValue(kv: AST.TOMLKeyValue, m: Mapping): Item {
    const keys = kv.key.keys.map(keyName)
    let cur = m
    for (const k of keys.slice(0, -1)) {
      const p = this.findPair(cur, k) ?? this.addPair(cur, k, this.newMap('dotted', this.idOf(cur), k))
      cur = p.value as Mapping
    }
    const key = keys[keys.length - 1]!
    const pair = this.addPair(cur, key, this.value(kv.value, this.idOf(cur), key))
    return { start: kv.range[0], end: kv.range[1], anchor: { container: cur, target: pair }, header: false }
  }

  private value(v: AST.TOMLContentNode, parent: number, key: string | null): Node {
    if (v.type === 'TOMLArray') {
      const seq: Sequence = { kind: 'seq', items: [], style: this.style(parent, key, { kind: 'array' }) }
      const cont: InlineContainer = { start: v.range[0], end: v.range[1], node: seq, items: [] }
      this.inlines.push(cont)
      for (const el of v.elements) {
        const child = this.value(el, this.idOf(seq), null)
        seq.items.push(child)
        cont.items.push({ start: el.range[0], end: el.range[1], anchor: { container: seq, target: child }, header: false })
      }
      return seq
    }
    if (v.type === 'TOMLInlineTable') {
      const map = this.newMap('inline', parent, key)
      const cont: InlineContainer = { start: v.range[0], end: v.range[1], node: map, items: [] }
      this.inlines.push(cont)
      for (const kv of v.body) cont.items.push(this.keyValue(kv, map))
      return map
    }
    return this.scalar(v, parent, key)
  }

  private scalar(v: AST.TOMLValue, parent: number, key: string | null): Scalar {
    const [start, end] = v.range
    const mk = (type: Scalar['type'], text: string, extra: Partial<TomlNodeStyle> = {}): Scalar => ({
      kind: 'scalar', type, text, style: this.style(parent, key, { start, end, type, text, ...extra }),
    })
    switch (v.kind) {
      case 'string': {
        const form: StringForm = v.multiline ? (v.style === 'basic' ? 'ml-basic' : 'ml-literal') : v.style
        const after = this.src.slice(start + 3, start + 5)
        const lead = !v.multiline ? '' : after.startsWith('\r\n') ? '\r\n' : after.startsWith('\n') ? '\n' : ''
        return mk('str', v.value, { form, lead })
      }
      case 'integer':
        if (!fitsInt64(v.bigint)) throw new FormatError('TOML: integer out of 64-bit range', v.loc.start.line, v.loc.start.column + 1)
        return mk('int', v.bigint.toString())
      case 'float':
        return mk('float', formatFloatF(v.value))
      case 'boolean':
        return mk('bool', v.value ? 'True' : 'False')
      default:
        return mk('time', this.src.slice(start, end))
    }
  }

  /** Resolves a `[a.b]` / `[[a.b]]` header to its Mapping, creating implicit parents. */
  private table(t: AST.TOMLTable): Mapping {
    const rk = t.resolvedKey
    let cur: Container = this.root
    let lastPair: { m: Mapping; pair: Pair } | undefined
    let anchor: Anchor | undefined
    for (let i = 0; i < rk.length; i++) {
      const comp = rk[i]!
      const last = i === rk.length - 1
      if (typeof comp === 'string') {
        const m = cur as Mapping
        let pair = this.findPair(m, comp)
        if (!pair) {
          const child: Node =
            typeof rk[i + 1] === 'number'
              ? { kind: 'seq', items: [], style: this.style(this.idOf(m), comp, { kind: 'tables' }) }
              : this.newMap(last ? 'table' : 'implicit', this.idOf(m), comp)
          pair = this.addPair(m, comp, child)
        } else if (last) {
          ;(pair.value.style as TomlNodeStyle).kind = 'table'
        }
        lastPair = { m, pair }
        if (last) anchor = { container: m, target: pair }
        cur = pair.value as Container
      } else {
        const s = cur as Sequence
        let el = s.items[comp] as Mapping | undefined
        if (!el) {
          el = this.newMap('table', this.idOf(s), null)
          s.items.push(el)
        }
        if (last) anchor = comp === 0 && lastPair ? { container: lastPair.m, target: lastPair.pair } : { container: s, target: el }
        cur = el
      }
    }
    let end = t.key.range[1]
    while (this.src[end] === ' ' || this.src[end] === '\t') end++
    end += t.kind === 'array' ? 2 : 1
    this.tableItems.push({ start: t.range[0], end, anchor: anchor!, header: true })
    this.elements.push({ start: t.range[0], end, top: rk[0] as string, header: true })
    return cur as Mapping
  }

  /** Innermost array/inline table around `pos`; calls must come with increasing `pos`. */
  private innermostInline(pos: number): InlineContainer | undefined {
    const stack = this.inlineStack
    while (this.nextInline < this.inlines.length && this.inlines[this.nextInline]!.start < pos) {
      const c = this.inlines[this.nextInline++]!
      while (stack.length && stack[stack.length - 1]!.end <= c.start) stack.pop()
      stack.push(c)
    }
    while (stack.length && stack[stack.length - 1]!.end <= pos) stack.pop()
    return stack[stack.length - 1]
  }

  /** Puts the placed comments into their containers (one pass per container) and drops the sentinels. */
  private insertComments(): void {
    const sentinels = new Set<unknown>(this.regions.map((r) => r.sentinel))
    const containers = new Set<Container>([...this.placed.keys(), ...this.regions.map((r) => r.node)])
    for (const cont of containers) {
      const p = this.placed.get(cont)
      const list: Array<Pair | Node | Comment> = cont.kind === 'map' ? cont.entries : cont.items
      const out: Array<Pair | Node | Comment> = []
      for (const e of list) {
        const before = p?.before.get(e)
        if (before) out.push(...before)
        if (!sentinels.has(e)) out.push(e)
      }
      if (p) out.push(...p.end)
      if (cont.kind === 'map') cont.entries = out as Array<Pair | Comment>
      else cont.items = out as Array<Node | Comment>
    }
  }

  private placeComment(c: AST.Comment): void {
    const [start, end] = c.range
    const lineStart = this.src.lastIndexOf('\n', start - 1) + 1
    const inline = this.src.slice(lineStart, start).trim() !== ''
    const cont = this.innermostInline(start)
    const items = cont ? cont.items : this.tableItems
    let j = 0
    let hi = items.length
    while (j < hi) {
      const mid = (j + hi) >> 1
      if (items[mid]!.start < start) j = mid + 1
      else hi = mid
    }
    const prev = items[j - 1]
    const next = items[j]
    let anchor: Anchor
    if (inline && prev && !this.src.slice(prev.end, start).includes('\n')) anchor = prev.anchor
    else if (next && (!next.header || this.directlyBefore(end, next.start))) anchor = next.anchor
    else if (cont) anchor = { container: cont.node, target: null }
    else {
      let r = this.regions[0]!
      for (const reg of this.regions) if (reg.start <= start) r = reg
      anchor = { container: r.node, target: r.sentinel }
    }
    const cm: Comment = {
      kind: 'comment', text: c.value, inline,
      style: this.style(this.idOf(anchor.container), null, { start, end, text: c.value }),
    }
    let p = this.placed.get(anchor.container)
    if (!p) this.placed.set(anchor.container, (p = { before: new Map(), end: [] }))
    if (anchor.target) {
      const list = p.before.get(anchor.target)
      if (list) list.push(cm)
      else p.before.set(anchor.target, [cm])
    } else p.end.push(cm)
    if (!cont) this.tableComments.push(cm)
  }

  /** True when only comment lines (no blank line) separate a comment ending at `from` and a header at `to`. */
  private directlyBefore(from: number, to: number): boolean {
    const lines = this.src.slice(from, to).split('\n')
    return lines.slice(1, -1).every((l) => l.trimStart().startsWith('#'))
  }

  /** Sets `top` on every style; returns the number of styled nodes per top-level key. */
  private assignTops(): Map<string, number> {
    const counts = new Map<string, number>()
    const visit = (n: Node | Comment, top: string): number => {
      ;(n.style as TomlNodeStyle).top = top
      let count = 1
      if (n.kind === 'map') for (const e of n.entries) count += visit(e.kind === 'pair' ? e.value : e, top)
      if (n.kind === 'seq') for (const i of n.items) count += visit(i, top)
      return count
    }
    for (const e of this.root.entries) {
      if (e.kind === 'pair') counts.set(e.key, visit(e.value, e.key))
    }
    return counts
  }
}
