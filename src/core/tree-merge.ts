/**
 * Three-way merge of plaintext trees, key by key (the git merge driver's core).
 *
 * Per node: both sides equal → that value; only one side differs from the base →
 * that side (a deletion included); both changed a mapping → merge its keys one by
 * one; anything else changed differently on both sides is a conflict. Lists and
 * scalars are atomic values. Key order and comments follow ours; a key that only
 * theirs added is placed after the key it follows in theirs and brings the comments
 * written just above it; a key that is removed takes its end-of-line comment with it.
 * Trees are never mutated; equality ignores `style`.
 */
import type { Comment, Mapping, Node, Pair, Path, Sequence, Tree } from './tree.js'

export interface MergeConflict {
  /** Document index (YAML multi-document files; 0 otherwise). */
  branch: number
  /** Path of the value changed differently on both sides. */
  path: Path
}

export interface TreeMergeResult {
  /** The merged tree (ours where a conflict was found). */
  tree: Tree
  conflicts: MergeConflict[]
  /** The result differs from ours. */
  changed: boolean
}

type Item = Node | Comment

/** Deep equality of nodes or comments: kinds, types, texts, keys, order, comments; `style` ignored. */
export function sameNode(a: Item | undefined, b: Item | undefined): boolean {
  if (a === b) return true
  if (!a || !b || a.kind !== b.kind) return false
  switch (a.kind) {
    case 'comment':
      return a.text === (b as Comment).text && a.inline === (b as Comment).inline
    case 'scalar': {
      const s = b as typeof a
      if (a.type !== s.type || a.text !== s.text) return false
      return !a.raw && !s.raw ? true : !!a.raw && !!s.raw && Buffer.from(a.raw).equals(Buffer.from(s.raw))
    }
    case 'map': {
      const m = b as Mapping
      return a.entries.length === m.entries.length && a.entries.every((e, i) => {
        const f = m.entries[i]!
        if (e.kind === 'comment') return sameNode(e, f as Item)
        return f.kind === 'pair' && e.key === f.key && sameNode(e.value, f.value)
      })
    }
    case 'seq': {
      const s = b as Sequence
      return a.items.length === s.items.length && a.items.every((x, i) => sameNode(x, s.items[i]))
    }
  }
}

const EMPTY: Mapping = { kind: 'map', entries: [] }

function pairsOf(m: Mapping): Map<string, Pair> {
  const out = new Map<string, Pair>()
  for (const e of m.entries) if (e.kind === 'pair' && !out.has(e.key)) out.set(e.key, e)
  return out
}

class Merger {
  readonly conflicts: MergeConflict[] = []
  constructor(private readonly branch: number) {}

  /** Merges one value; `undefined` means absent (never there, or removed). */
  node(b: Node | undefined, o: Node | undefined, t: Node | undefined, path: Path): Node | undefined {
    if (sameNode(o, t)) return o
    if (sameNode(b, o)) return t
    if (sameNode(b, t)) return o
    if (o?.kind === 'map' && t?.kind === 'map' && (b === undefined || b.kind === 'map')) return this.map(b ?? EMPTY, o, t, path)
    this.conflicts.push({ branch: this.branch, path })
    return o
  }

  map(b: Mapping, o: Mapping, t: Mapping, path: Path): Mapping {
    const bp = pairsOf(b)
    const op = pairsOf(o)
    const tp = pairsOf(t)
    const out: Array<Pair | Comment> = []
    // ours' entries in order, merged values, removed keys dropped with their end-of-line comment
    for (const e of o.entries) {
      if (e.kind === 'comment') { out.push(e); continue }
      if (op.get(e.key) !== e) { out.push(e); continue } // a duplicate key: kept as ours has it
      const v = this.node(bp.get(e.key)?.value, e.value, tp.get(e.key)?.value, [...path, e.key])
      if (v) { out.push(v === e.value ? e : { ...e, value: v }); continue }
      const prev = out[out.length - 1]
      if (prev?.kind === 'comment' && prev.inline) out.pop()
    }
    // keys ours removed: a conflict when theirs changed them
    for (const [k, bpair] of bp) {
      if (!op.has(k)) this.node(bpair.value, undefined, tp.get(k)?.value, [...path, k])
    }
    // keys only theirs added: after the key they follow in theirs, with the comments just above them
    const oursComments = new Set(o.entries.filter((e): e is Comment => e.kind === 'comment').map((c) => c.text))
    let lastKey: string | undefined
    let run: Comment[] = []
    for (const e of t.entries) {
      if (e.kind === 'comment') { run.push(e); continue }
      if (tp.get(e.key) === e && !op.has(e.key) && !bp.has(e.key)) {
        const at = lastKey === undefined ? 0 : out.findIndex((x) => x.kind === 'pair' && x.key === lastKey) + 1
        const carried = run.filter((c) => !oursComments.has(c.text))
        out.splice(at, 0, ...carried, e)
      }
      if (out.some((x) => x.kind === 'pair' && x.key === e.key)) lastKey = e.key
      run = []
    }
    return { ...o, entries: out }
  }
}

/** Merges `ours` and `theirs` against their common `base` (null: the file was added on both sides). */
export function mergeTrees(base: Tree | null, ours: Tree, theirs: Tree): TreeMergeResult {
  const n = Math.max(ours.branches.length, theirs.branches.length, base?.branches.length ?? 0)
  const branches: Mapping[] = []
  const conflicts: MergeConflict[] = []
  for (let i = 0; i < n; i++) {
    const m = new Merger(i)
    const v = m.node(base?.branches[i], ours.branches[i], theirs.branches[i], [])
    conflicts.push(...m.conflicts)
    if (v) branches.push(v.kind === 'map' ? v : (ours.branches[i] ?? EMPTY))
  }
  const tree: Tree = { ...ours, branches }
  if (conflicts.length) return { tree: ours, conflicts, changed: false }
  const changed = branches.length !== ours.branches.length || branches.some((b, i) => !sameNode(b, ours.branches[i]))
  return { tree, conflicts, changed }
}
