/**
 * Pure edits of a tree by path, with sops' `set`/`unset` semantics (docs/format.md §10.3):
 * an existing key or index is replaced or descended into; a missing key is appended
 * at the end of its map; an index at or past the end of a list appends; missing
 * intermediate containers are created (a map for a key, a list for an index); a
 * scalar (or null) met on the way is replaced by the container the path needs.
 *
 * Beyond sops (which appends a bogus item or panics there): a key into a list or an
 * index into a map is an InvalidPathError. Trees are never mutated: the nodes on
 * the path are copied, everything else is shared. A replaced scalar keeps the old
 * scalar's `style`, a replaced pair keeps its own, so formats keep the look.
 */
import { InvalidPathError, PathNotFoundError } from '../errors.js'
import { formatTreePath } from './tree-path.js'
import type { Comment, Mapping, Node, Pair, Path, Sequence, Tree } from './tree.js'

export interface EditResult<T> {
  result: T
  /** False when the new value deep-equals the old one (`set`) or nothing was removed (`unset`). */
  changed: boolean
}

/** Deep equality of two nodes: kinds, types, texts, keys, order and comments; `style` is ignored. */
export function nodesEqual(a: Node | Comment, b: Node | Comment): boolean {
  if (a.kind !== b.kind) return false
  switch (a.kind) {
    case 'comment': {
      const c = b as Comment
      return a.text === c.text && a.inline === c.inline
    }
    case 'scalar': {
      const s = b as typeof a
      if (a.type !== s.type || a.text !== s.text) return false
      if (!a.raw && !s.raw) return true
      return !!a.raw && !!s.raw && Buffer.from(a.raw).equals(Buffer.from(s.raw))
    }
    case 'map': {
      const m = b as Mapping
      if (a.entries.length !== m.entries.length) return false
      return a.entries.every((e, i) => {
        const f = m.entries[i]!
        if (e.kind === 'comment') return f.kind === 'comment' && nodesEqual(e, f)
        return f.kind === 'pair' && e.key === f.key && nodesEqual(e.value, f.value)
      })
    }
    case 'seq': {
      const s = b as Sequence
      return a.items.length === s.items.length && a.items.every((x, i) => nodesEqual(x, s.items[i]!))
    }
  }
}

const here = (path: Path, i: number): string => formatTreePath(path.slice(0, i + 1))

/** Index in `items` of the n-th non-comment item, or -1. */
function nthItem(items: ReadonlyArray<Node | Comment>, n: number): number {
  let seen = 0
  for (let i = 0; i < items.length; i++) {
    if (items[i]!.kind === 'comment') continue
    if (seen++ === n) return i
  }
  return -1
}

function withStyleOf(value: Node, old: Node | undefined): Node {
  if (!old || old.kind !== 'scalar' || value.kind !== 'scalar' || old.style === undefined) return value
  return { ...value, style: old.style }
}

function setIn(node: Node | undefined, path: Path, i: number, value: Node): EditResult<Node> {
  if (i === path.length) return { result: withStyleOf(value, node), changed: !node || !nodesEqual(node, value) }
  const c = path[i]!
  if (typeof c === 'string') {
    if (node?.kind === 'seq') throw new InvalidPathError(`component ${here(path, i)} is a key, but the value there is a list`)
    if (node?.kind !== 'map') {
      const inner = setIn(undefined, path, i + 1, value)
      return { result: { kind: 'map', entries: [{ kind: 'pair', key: c, value: inner.result }] }, changed: true }
    }
    const at = node.entries.findIndex((e) => e.kind === 'pair' && e.key === c)
    if (at < 0) {
      const inner = setIn(undefined, path, i + 1, value)
      return { result: { ...node, entries: [...node.entries, { kind: 'pair', key: c, value: inner.result }] }, changed: true }
    }
    const p = node.entries[at] as Pair
    const inner = setIn(p.value, path, i + 1, value)
    const entries = node.entries.slice()
    entries[at] = { ...p, value: inner.result }
    return { result: { ...node, entries }, changed: inner.changed }
  }
  if (node?.kind === 'map') throw new InvalidPathError(`component ${here(path, i)} is a list index, but the value there is a mapping`)
  if (node?.kind !== 'seq') {
    const inner = setIn(undefined, path, i + 1, value)
    return { result: { kind: 'seq', items: [inner.result] }, changed: true }
  }
  const at = nthItem(node.items, c)
  if (at < 0) {
    const inner = setIn(undefined, path, i + 1, value)
    return { result: { ...node, items: [...node.items, inner.result] }, changed: true }
  }
  const inner = setIn(node.items[at] as Node, path, i + 1, value)
  const items = node.items.slice()
  items[at] = inner.result
  return { result: { ...node, items }, changed: inner.changed }
}

/** Sets `value` at `path` (at least one component) in a document branch. */
export function setAtPath(branch: Mapping, path: Path, value: Node): EditResult<Mapping> {
  if (!path.length) throw new InvalidPathError('the path must name at least one key, e.g. ["key"]')
  const r = setIn(branch, path, 0, value)
  return { result: r.result as Mapping, changed: r.changed }
}

/** Drops entry `at` and the end-of-line comment stored just before it (it belongs to that entry). */
function dropAt<T extends { kind: string; inline?: boolean }>(list: readonly T[], at: number): T[] {
  const prev = list[at - 1]
  const from = prev && prev.kind === 'comment' && prev.inline ? at - 1 : at
  return [...list.slice(0, from), ...list.slice(at + 1)]
}

function unsetIn(node: Node, path: Path, i: number): Node {
  const c = path[i]!
  const last = i === path.length - 1
  if (typeof c === 'string') {
    if (node.kind !== 'map') throw new PathNotFoundError(`component ${here(path, i)} is not a key of a mapping`)
    const at = node.entries.findIndex((e) => e.kind === 'pair' && e.key === c)
    if (at < 0) throw new PathNotFoundError(`component ${here(path, i)} not found`)
    if (last) return { ...node, entries: dropAt(node.entries, at) }
    const p = node.entries[at] as Pair
    const entries = node.entries.slice()
    entries[at] = { ...p, value: unsetIn(p.value, path, i + 1) }
    return { ...node, entries }
  }
  if (node.kind !== 'seq') throw new PathNotFoundError(`component ${here(path, i)} is not an index of a list`)
  const at = nthItem(node.items, c)
  if (at < 0) throw new PathNotFoundError(`component ${here(path, i)} is out of bounds`)
  if (last) return { ...node, items: dropAt(node.items, at) }
  const items = node.items.slice()
  items[at] = unsetIn(node.items[at] as Node, path, i + 1)
  return { ...node, items }
}

/** Removes the key or list item at `path` from a branch; InvalidPathError when it does not exist. */
export function unsetAtPath(branch: Mapping, path: Path): Mapping {
  if (!path.length) throw new InvalidPathError('the path must name at least one key, e.g. ["key"]')
  return unsetIn(branch, path, 0) as Mapping
}

/** True when `path` exists in the branch. */
export function hasPath(branch: Mapping, path: Path): boolean {
  let cur: Node = branch
  for (const c of path) {
    if (typeof c === 'string') {
      if (cur.kind !== 'map') return false
      const p: Pair | undefined = cur.entries.find((e): e is Pair => e.kind === 'pair' && e.key === c)
      if (!p) return false
      cur = p.value
    } else {
      if (cur.kind !== 'seq') return false
      const at = nthItem(cur.items, c)
      if (at < 0) return false
      cur = cur.items[at] as Node
    }
  }
  return true
}

/** `set` on the first document of a tree (sops edits document 1 only). */
export function setInTree(tree: Tree, path: Path, value: Node): EditResult<Tree> {
  const [first, ...rest] = tree.branches
  const r = setAtPath(first ?? { kind: 'map', entries: [] }, path, value)
  return { result: { ...tree, branches: [r.result, ...rest] }, changed: r.changed }
}

/** `unset` on the first document of a tree. */
export function unsetInTree(tree: Tree, path: Path): Tree {
  const [first, ...rest] = tree.branches
  if (!first) throw new PathNotFoundError('the file has no document')
  return { ...tree, branches: [unsetAtPath(first, path), ...rest] }
}
