/**
 * sops' flattening of the metadata for one-level formats (dotenv, INI):
 * `parent__map_child`, `parent__list_N`, leaves rendered as strings.
 */
import { MetadataError } from '../errors.js'
import type { Mapping, Node, Pair, Scalar } from './tree.js'

const leafText = (s: Scalar): string => (s.type === 'bool' ? (s.text === 'True' ? 'true' : 'false') : s.text)

/** Flattens a metadata map into ordered [key, value] string pairs. */
export function flatten(m: Mapping): Array<[string, string]> {
  const out: Array<[string, string]> = []
  const walk = (n: Node, prefix: string): void => {
    if (n.kind === 'scalar') { out.push([prefix, leafText(n)]); return }
    if (n.kind === 'map') {
      for (const e of n.entries) if (e.kind === 'pair') walk(e.value, prefix === '' ? e.key : `${prefix}__map_${e.key}`)
      return
    }
    let i = 0
    for (const it of n.items) if (it.kind !== 'comment') walk(it, `${prefix}__list_${i++}`)
  }
  for (const e of m.entries) if (e.kind === 'pair') walk(e.value, e.key)
  return out
}

type Tmp = { kind: 'leaf'; text: string } | { kind: 'map'; m: Map<string, Tmp> } | { kind: 'list'; l: Map<number, Tmp> }

/** Rebuilds the nested metadata map from flattened pairs (maps come back sorted). */
export function unflatten(pairs: ReadonlyArray<readonly [string, string]>): Mapping {
  const root: Tmp = { kind: 'map', m: new Map() }
  for (const [key, value] of pairs) {
    const parts = key.split(/(__map_|__list_)/)
    let cur: Tmp = root
    let edge: { list: boolean; name: string } = { list: false, name: parts[0]! }
    for (let i = 1; i <= parts.length; i += 2) {
      const last = i >= parts.length
      const nextKind: Tmp['kind'] = last ? 'leaf' : parts[i] === '__list_' ? 'list' : 'map'
      const child: Tmp = nextKind === 'leaf' ? { kind: 'leaf', text: value } : nextKind === 'list' ? { kind: 'list', l: new Map() } : { kind: 'map', m: new Map() }
      let existing: Tmp | undefined
      if (edge.list) {
        if (cur.kind !== 'list') throw new MetadataError(`sops metadata key ${key}: type mismatch`)
        const idx = Number(edge.name)
        if (!/^\d+$/.test(edge.name)) throw new MetadataError(`sops metadata key ${key}: bad list index`)
        existing = cur.l.get(idx)
        if (!existing) cur.l.set(idx, (existing = child))
      } else {
        if (cur.kind !== 'map') throw new MetadataError(`sops metadata key ${key}: type mismatch`)
        existing = cur.m.get(edge.name)
        if (!existing) cur.m.set(edge.name, (existing = child))
        else if (last) throw new MetadataError(`sops metadata key ${key} is duplicated`)
      }
      if (existing.kind !== child.kind) throw new MetadataError(`sops metadata key ${key}: type mismatch`)
      cur = existing
      if (!last) edge = { list: parts[i] === '__list_', name: parts[i + 1]! }
    }
  }
  const toNode = (t: Tmp): Node => {
    if (t.kind === 'leaf') return { kind: 'scalar', type: 'str', text: t.text }
    if (t.kind === 'map') {
      const keys = [...t.m.keys()].sort()
      return { kind: 'map', entries: keys.map((k): Pair => ({ kind: 'pair', key: k, value: toNode(t.m.get(k)!) })) }
    }
    const n = t.l.size
    const items: Node[] = []
    for (let i = 0; i < n; i++) {
      const c = t.l.get(i)
      if (!c) throw new MetadataError('sops metadata has an incomplete list')
      items.push(toNode(c))
    }
    return { kind: 'seq', items }
  }
  return toNode(root) as Mapping
}
