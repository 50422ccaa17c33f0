/**
 * Emit by editing the source text: every value and comment the tree still holds
 * at its parse-time slot is written back at its source offsets (unchanged ones
 * byte for byte); top-level entries that disappeared lose their source lines;
 * top-level entries that are new (or no longer match their source) are written
 * by the TOML writer, in place of their old `[table]` lines when possible, else
 * after the existing content, preceded by one blank line. Returns `undefined`
 * when the tree's shape does not allow this (the caller then re-emits fully).
 */
import type { Comment, Mapping, Node, Pair } from '../../core/tree.js'
import { parseTomlText } from './read.js'
import { slotOf, type TomlDocInfo } from './style.js'
import { commentText, scalarText } from './values.js'
import { writeTopLevelPairs } from './write.js'

interface Edit {
  start: number
  end: number
  text: string
}

const MAP_KINDS = new Set(['root', 'table', 'implicit', 'dotted', 'inline'])
const SEQ_KINDS = new Set(['array', 'tables'])

class Matcher {
  readonly seen = new Set<number>()
  constructor(
    private readonly doc: TomlDocInfo,
    private readonly edits: Edit[],
  ) {}

  comment(c: Comment, parent: number): boolean {
    const st = slotOf(c, this.doc.docId)
    if (!st || st.parent !== parent || st.start === undefined || st.kind !== undefined || this.seen.has(st.id)) return false
    this.seen.add(st.id)
    if (c.text !== st.text) this.edits.push({ start: st.start, end: st.end!, text: commentText(c.text) })
    return true
  }

  /** Checks `n` sits at its parse-time slot (recursively) and records edits for changed values. */
  node(n: Node, parent: number, key: string | null, name: string): boolean {
    const st = slotOf(n, this.doc.docId)
    if (!st || st.parent !== parent || st.key !== key || this.seen.has(st.id)) return false
    this.seen.add(st.id)
    if (n.kind === 'scalar') {
      if (st.kind !== undefined || st.start === undefined) return false
      if (n.type !== st.type || n.text !== st.text) {
        const text = scalarText(n, name, this.doc.eol, st.type === 'str' ? st.form : undefined, st.lead)
        this.edits.push({ start: st.start, end: st.end!, text })
      }
      return true
    }
    if (n.kind === 'map') {
      if (!MAP_KINDS.has(st.kind ?? '')) return false
      return n.entries.every((e) => (e.kind === 'comment' ? this.comment(e, st.id) : this.node(e.value, st.id, e.key, e.key)))
    }
    if (!SEQ_KINDS.has(st.kind ?? '')) return false
    return n.items.every((i) => (i.kind === 'comment' ? this.comment(i, st.id) : this.node(i, st.id, null, name)))
  }
}

interface Line {
  start: number
  contentEnd: number
  end: number
}

function splitLines(src: string): Line[] {
  const lines: Line[] = []
  let start = 0
  while (start < src.length) {
    const nl = src.indexOf('\n', start)
    const end = nl < 0 ? src.length : nl + 1
    const contentEnd = nl < 0 ? end : nl > start && src[nl - 1] === '\r' ? nl - 1 : nl
    lines.push({ start, contentEnd, end })
    start = end
  }
  return lines
}

interface Run {
  key: string
  first: number
  last: number
}

/** Source-line bookkeeping for removing or replacing whole top-level entries. */
class LinePlan {
  readonly lines: Line[]
  private readonly owners: Array<Set<string | null> | undefined>
  private readonly headerLines = new Set<number>()

  constructor(private readonly doc: TomlDocInfo) {
    this.lines = splitLines(doc.source)
    this.owners = new Array(this.lines.length)
    const starts = this.lines.map((l) => l.start)
    const lineOf = (pos: number): number => {
      let lo = 0
      let hi = starts.length - 1
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1
        if (starts[mid]! <= pos) lo = mid
        else hi = mid - 1
      }
      return lo
    }
    for (const el of doc.elements) {
      const a = lineOf(el.start)
      const b = lineOf(Math.max(el.start, el.end - 1))
      if (el.header) this.headerLines.add(a)
      for (let l = a; l <= b; l++) (this.owners[l] ??= new Set()).add(el.top)
    }
  }

  isBlank(l: number): boolean {
    return this.owners[l] === undefined
  }

  isHeader(l: number): boolean {
    return this.headerLines.has(l)
  }

  /** Runs of lines owned by the given keys (blank lines inside a run included); `undefined` on a shared line. */
  runs(gone: ReadonlySet<string>): Run[] | undefined {
    const runs: Run[] = []
    let cur: Run | undefined
    for (let l = 0; l < this.lines.length; l++) {
      const o = this.owners[l]
      if (!o) continue
      const goneKeys = [...o].filter((k) => k !== null && gone.has(k))
      if (goneKeys.length === 0) {
        cur = undefined
        continue
      }
      if (goneKeys.length !== o.size) return undefined
      const key = goneKeys[0]!
      if (goneKeys.length > 1) return undefined
      if (cur && cur.key === key) cur.last = l
      else runs.push((cur = { key, first: l, last: l }))
    }
    return runs
  }

  /** True when some table header is owned by a key that is not in `gone`. */
  keepsHeaders(gone: ReadonlySet<string>): boolean {
    return this.doc.elements.some((e) => e.header && e.top !== null && !gone.has(e.top))
  }
}

type Decision = 'splice' | 'in-place' | 'end'

/** Emits `root` by editing the source in `doc`; `undefined` when a full re-emit is needed. */
export function spliceEmit(root: Mapping, doc: TomlDocInfo): string | undefined {
  const rootSlot = slotOf(root, doc.docId)
  if (!rootSlot || rootSlot.kind !== 'root') return undefined
  const edits: Edit[] = []
  const rootMatcher = new Matcher(doc, edits)
  const keys = new Set<string>()
  const replaced = new Map<string, Pair>()
  const appended: Pair[] = []
  const order: Array<{ key: string; decision: Decision }> = []
  for (const e of root.entries) {
    if (e.kind === 'comment') {
      if (!rootMatcher.comment(e, rootSlot.id)) return undefined
      continue
    }
    if (keys.has(e.key)) return undefined
    keys.add(e.key)
    const expected = doc.topSlots.get(e.key)
    if (expected === undefined) {
      appended.push(e)
      order.push({ key: e.key, decision: 'end' })
      continue
    }
    const local: Edit[] = []
    const m = new Matcher(doc, local)
    if (m.node(e.value, rootSlot.id, e.key, e.key) && m.seen.size === expected) {
      edits.push(...local)
      order.push({ key: e.key, decision: 'splice' })
    } else {
      replaced.set(e.key, e)
      order.push({ key: e.key, decision: 'end' })
    }
  }
  const gone = new Set([...doc.topSlots.keys()].filter((k) => !keys.has(k) || replaced.has(k)))
  const replacements: Edit[] = []
  const removedLines = new Set<number>()
  let plan: LinePlan | undefined
  if (gone.size > 0) {
    plan = new LinePlan(doc)
    const runs = plan.runs(gone)
    if (!runs) return undefined
    for (const [key, pair] of replaced) {
      const own = runs.filter((r) => r.key === key)
      const block = writeTopLevelPairs([pair], doc.eol)
      if (own.length === 1 && plan.isHeader(own[0]!.first) && block.allTables) {
        const r = own[0]!
        replacements.push({ start: plan.lines[r.first]!.start, end: plan.lines[r.last]!.contentEnd, text: block.text })
        order.find((o) => o.key === key)!.decision = 'in-place'
        runs.splice(runs.indexOf(r), 1)
      } else appended.push(pair)
    }
    for (const r of runs) {
      for (let l = r.first; l <= r.last; l++) removedLines.add(l)
      if (r.first > 0 && plan.isBlank(r.first - 1)) removedLines.add(r.first - 1)
      else if (r.last + 1 < plan.lines.length && plan.isBlank(r.last + 1)) removedLines.add(r.last + 1)
    }
  }
  let sawEnd = false
  for (const o of order) {
    if (o.decision === 'end') sawEnd = true
    else if (sawEnd) return undefined
  }
  const topTotal = [...doc.topSlots.values()].reduce((n, c) => n + c, 0)
  if (rootMatcher.seen.size !== doc.slotCount - 1 - topTotal) return undefined

  const spans: Edit[] = [...edits, ...replacements]
  if (plan) {
    const lines = plan.lines
    for (const l of removedLines) spans.push({ start: lines[l]!.start, end: lines[l]!.end, text: '' })
    const lastIdx = lines.length - 1
    if (removedLines.has(lastIdx) && lines[lastIdx]!.contentEnd === lines[lastIdx]!.end) {
      let k = lastIdx
      while (k >= 0 && removedLines.has(k)) k--
      if (k >= 0) spans.push({ start: lines[k]!.contentEnd, end: lines[k]!.end, text: '' })
    }
  }
  spans.sort((a, b) => a.start - b.start || a.end - b.end)
  const src = doc.source
  let out = ''
  let pos = 0
  for (const s of spans) {
    if (s.start < pos) return undefined
    out += src.slice(pos, s.start) + s.text
    pos = s.end
  }
  out += src.slice(pos)
  // Removing lines can move a neighbouring comment to another table: check.
  if (removedLines.size > 0 && !reparsesTo(out, root, new Set(['sops', ...appended.map((p) => p.key)]))) return undefined

  if (appended.length === 0) return out
  const block = writeTopLevelPairs(appended, doc.eol)
  const movedOrRemoved = new Set([...gone].filter((k) => order.find((o) => o.key === k)?.decision !== 'in-place'))
  if (!block.allTables && (plan ?? new LinePlan(doc)).keepsHeaders(movedOrRemoved)) return undefined
  if (out === '') return block.text + doc.eol
  const endsWithEol = out.endsWith('\n')
  return out + (endsWithEol ? '' : doc.eol) + doc.eol + block.text + (endsWithEol ? doc.eol : '')
}

/**
 * Same keys, values, comment texts and order; styles and the comments' inline flag
 * (the engine clears it on decryption; placement is what matters) ignored.
 */
function sameShape(a: Node | Comment | Pair, b: Node | Comment | Pair): boolean {
  if (a.kind !== b.kind) return false
  switch (a.kind) {
    case 'pair':
      return a.key === (b as Pair).key && sameShape(a.value, (b as Pair).value)
    case 'comment':
      return a.text === (b as Comment).text
    case 'scalar':
      return a.type === (b as typeof a).type && a.text === (b as typeof a).text
    case 'map': {
      const be = (b as Mapping).entries
      return a.entries.length === be.length && a.entries.every((e, i) => sameShape(e, be[i]!))
    }
    case 'seq': {
      const bi = (b as typeof a).items
      return a.items.length === bi.length && a.items.every((e, i) => sameShape(e, bi[i]!))
    }
  }
}

/** True when `text` parses back to `root`, top-level entries named in `skip` aside. */
function reparsesTo(text: string, root: Mapping, skip: ReadonlySet<string>): boolean {
  let back: Mapping
  try {
    back = parseTomlText(text, false).branches[0]!
  } catch {
    return false
  }
  const data = (m: Mapping): Mapping => ({ kind: 'map', entries: m.entries.filter((e) => e.kind !== 'pair' || !skip.has(e.key)) })
  return sameShape(data(back), data(root))
}
