/**
 * Places the `sops` subtree in a format's tree and takes it out again, per layout:
 * nested (`sops` key in every YAML document / JSON / TOML / binary envelope),
 * section (flattened into a last `[sops]` INI section, newlines as `\n`),
 * prefixed (flattened top-level `sops_…` dotenv keys).
 */
import { AlreadyEncryptedError, MetadataNotFoundError } from '../errors.js'
import type { MetadataLayout } from './format.js'
import { flatten, unflatten } from './flatten.js'
import type { Mapping, Node, Pair, Tree } from './tree.js'

const str = (text: string): Node => ({ kind: 'scalar', type: 'str', text })
const pair = (key: string, value: Node): Pair => ({ kind: 'pair', key, value })

/** Throws AlreadyEncryptedError when a plaintext tree already holds the reserved metadata key. */
export function assertNoMetadata(tree: Tree, layout: MetadataLayout): void {
  for (const b of tree.branches) {
    for (const e of b.entries) {
      if (e.kind !== 'pair') continue
      if (layout === 'prefixed' ? e.key.startsWith('sops_') : e.key === 'sops') {
        throw new AlreadyEncryptedError('the file already has a top-level sops entry: it is probably already encrypted')
      }
    }
  }
}

/** Returns a copy of `tree` with the metadata node attached. */
export function attachMetadata(tree: Tree, meta: Mapping, layout: MetadataLayout): Tree {
  switch (layout) {
    case 'nested':
    case 'binary': {
      const branches = tree.branches.length ? tree.branches : [{ kind: 'map', entries: [] } as Mapping]
      return { ...tree, branches: branches.map((b) => ({ ...b, entries: [...b.entries, pair('sops', meta)] })) }
    }
    case 'section': {
      const section: Mapping = { kind: 'map', entries: flatten(meta).map(([k, v]) => pair(k, str(v.replace(/\n/g, '\\n')))) }
      const [first, ...rest] = tree.branches
      const b = first ?? { kind: 'map', entries: [] }
      return { ...tree, branches: [{ ...b, entries: [...b.entries, pair('sops', section)] }, ...rest] }
    }
    case 'prefixed': {
      const [first, ...rest] = tree.branches
      const b = first ?? { kind: 'map', entries: [] }
      return { ...tree, branches: [{ ...b, entries: [...b.entries, ...flatten(meta).map(([k, v]) => pair('sops_' + k, str(v)))] }, ...rest] }
    }
  }
}

const textOf = (n: Node): string => (n.kind === 'scalar' ? n.text : '')

/** Splits an encrypted tree into its data and its metadata node. Throws MetadataNotFoundError. */
export function detachMetadata(tree: Tree, layout: MetadataLayout): { tree: Tree; meta: Node } {
  let meta: Node | undefined
  const take = (b: Mapping, isSops: (p: Pair) => boolean): Mapping => ({ ...b, entries: b.entries.filter((e) => !(e.kind === 'pair' && isSops(e))) })
  switch (layout) {
    case 'nested':
    case 'binary': {
      for (const b of tree.branches) {
        for (const e of b.entries) if (e.kind === 'pair' && e.key === 'sops') { meta ??= e.value; break }
      }
      if (!meta) throw new MetadataNotFoundError('sops metadata not found: the file is not encrypted')
      return { tree: { ...tree, branches: tree.branches.map((b) => take(b, (p) => p.key === 'sops')) }, meta }
    }
    case 'section': {
      const b = tree.branches[0]
      const sec = b?.entries.find((e): e is Pair => e.kind === 'pair' && e.key === 'sops')
      if (!b || !sec || sec.value.kind !== 'map') throw new MetadataNotFoundError('sops metadata not found: the file is not encrypted')
      const pairs = sec.value.entries.filter((e): e is Pair => e.kind === 'pair').map((e) => [e.key, textOf(e.value).replace(/\\n/g, '\n')] as const)
      return { tree: { ...tree, branches: [take(b, (p) => p === sec), ...tree.branches.slice(1)] }, meta: unflatten(pairs) }
    }
    case 'prefixed': {
      const b = tree.branches[0]
      const pairs = (b?.entries ?? []).filter((e): e is Pair => e.kind === 'pair' && e.key.startsWith('sops_')).map((e) => [e.key.slice(5), textOf(e.value)] as const)
      if (!b || !pairs.length) throw new MetadataNotFoundError('sops metadata not found: the file is not encrypted')
      return { tree: { ...tree, branches: [take(b, (p) => p.key.startsWith('sops_')), ...tree.branches.slice(1)] }, meta: unflatten(pairs) }
    }
  }
}
