/**
 * Test-only stand-ins for what the engine does to a TOML tree: "encrypt" every
 * leaf and comment into a reversible fake `ENC[...]` string (keeping `style`),
 * append a `sops` map; and the reverse. Plus a style-free view for comparisons.
 */
import type { Comment, Mapping, Node, Pair, Tree } from '../../src/core/tree.js'

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64')
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8')
const ENC = /^ENC\[AES256_GCM,data:([^,]*),iv:x,tag:y,type:(\w+)\]$/

const fakeEnc = (plain: string, type: string): string => `ENC[AES256_GCM,data:${b64(plain)},iv:x,tag:y,type:${type}]`

/** A sops-like metadata map: lists of maps, multi-line strings, an int, a bool. */
export function fakeSopsMap(): Mapping {
  const s = (text: string): Node => ({ kind: 'scalar', type: 'str', text })
  const m = (entries: Array<[string, Node]>): Mapping => ({
    kind: 'map',
    entries: entries.map(([key, value]): Pair => ({ kind: 'pair', key, value })),
  })
  return m([
    ['age', { kind: 'seq', items: [m([
      ['enc', s('-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBh\n-----END AGE ENCRYPTED FILE-----\n')],
      ['recipient', s('age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq')],
    ])] }],
    ['lastmodified', s('2026-05-22T20:16:23Z')],
    ['mac', s(fakeEnc('ABCDEF', 'str'))],
    ['mac_only_encrypted', { kind: 'scalar', type: 'bool', text: 'True' }],
    ['pgp', { kind: 'seq', items: [m([
      ['created_at', s('2026-01-01T00:00:00Z')],
      ['enc', s('-----BEGIN PGP MESSAGE-----\n\nwcBMA "quoted" \\ back\n-----END PGP MESSAGE-----')],
      ['fp', s('FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4')],
    ])] }],
    ['shamir_threshold', { kind: 'scalar', type: 'int', text: '2' }],
    ['unencrypted_suffix', s('_unencrypted')],
    ['version', s('3.13.2')],
  ])
}

function mapLeaves(n: Node, leaf: (s: Node & { kind: 'scalar' }) => Node, com: (c: Comment) => void): Node {
  if (n.kind === 'scalar') return leaf(n)
  if (n.kind === 'map') {
    for (const e of n.entries) {
      if (e.kind === 'comment') com(e)
      else e.value = mapLeaves(e.value, leaf, com)
    }
    return n
  }
  n.items = n.items.map((i) => {
    if (i.kind === 'comment') {
      com(i)
      return i
    }
    return mapLeaves(i, leaf, com)
  })
  return n
}

/** Mutates `tree` like the engine's encrypt: ENC strings keep the old style; `sops` appended. */
export function fakeEncrypt(tree: Tree): Tree {
  const root = tree.branches[0]!
  mapLeaves(
    root,
    (s) => (s.type === 'null' || s.text === '' ? s : { kind: 'scalar', type: 'str', text: fakeEnc(`${s.type}:${s.text}`, 'str'), style: s.style }),
    (c) => {
      if (c.text !== '') c.text = fakeEnc(c.text, 'comment')
    },
  )
  root.entries.push({ kind: 'pair', key: 'sops', value: fakeSopsMap() })
  return tree
}

/** Mutates `tree` like the engine's decrypt: removes `sops`, restores typed scalars and comments (inline flag cleared). */
export function fakeDecrypt(tree: Tree): Tree {
  const root = tree.branches[0]!
  root.entries = root.entries.filter((e) => !(e.kind === 'pair' && e.key === 'sops'))
  mapLeaves(
    root,
    (s) => {
      const m = ENC.exec(s.text)
      if (!m) return s
      const plain = unb64(m[1]!)
      const i = plain.indexOf(':')
      return { kind: 'scalar', type: plain.slice(0, i) as never, text: plain.slice(i + 1), style: s.style }
    },
    (c) => {
      const m = ENC.exec(c.text)
      if (m) {
        c.text = unb64(m[1]!)
        c.inline = false // like the engine (and sops): decrypted comments lose the flag
      }
    },
  )
  return tree
}

/** A style-free JSON-able view of a node (for structural comparisons). */
export function view(n: Node | Comment): unknown {
  switch (n.kind) {
    case 'map':
      return { map: n.entries.map((e) => (e.kind === 'pair' ? [e.key, view(e.value)] : view(e))) }
    case 'seq':
      return { seq: n.items.map(view) }
    case 'comment':
      return { comment: n.text, inline: n.inline }
    default:
      return `${n.type}:${n.text}`
  }
}
