/**
 * The format-neutral document tree. Formats turn files into this shape and back;
 * the engine (cipher, MAC, metadata) only ever sees this shape.
 *
 * `Scalar.text` is the canonical sops plaintext form of the value (what sops'
 * `ToBytes` produces): `True`/`False` for booleans, Go `FormatFloat(f,'f',-1)` for
 * floats, decimal for ints, RFC3339Nano for times. Formats convert their native
 * spelling into this form and back, so neither the cipher nor the MAC parse numbers.
 */

export type ScalarType = 'str' | 'int' | 'float' | 'bool' | 'time' | 'null' | 'bytes'

/** A leaf value. `raw` (only for `str`/`bytes`) holds bytes that may not be valid UTF-8 (binary files). */
export interface Scalar {
  readonly kind: 'scalar'
  type: ScalarType
  text: string
  raw?: Uint8Array
  /** Opaque per-format look (quoting style, table kind); the engine ignores it. */
  style?: unknown
}

/** A comment, kept as an ordered item. `text` is the comment without its `#`/`;`. */
export interface Comment {
  readonly kind: 'comment'
  text: string
  inline: boolean
  style?: unknown
}

export interface Pair {
  readonly kind: 'pair'
  key: string
  value: Node
  style?: unknown
}

export interface Mapping {
  readonly kind: 'map'
  entries: Array<Pair | Comment>
  style?: unknown
}

export interface Sequence {
  readonly kind: 'seq'
  items: Array<Node | Comment>
  style?: unknown
}

export type Node = Mapping | Sequence | Scalar

/** A parsed file: one branch per YAML document, exactly one for every other format. */
export interface Tree {
  branches: Mapping[]
  /** Opaque per-format document info (e.g. CRLF, BOM, TOML source text). */
  style?: unknown
  /** What the reader tolerated as sops does (JSON duplicate keys, trailing data): one line each, never file text. */
  notes?: string[]
}

export type Path = ReadonlyArray<string | number>

export const scalar = (type: ScalarType, text: string, style?: unknown): Scalar =>
  style === undefined ? { kind: 'scalar', type, text } : { kind: 'scalar', type, text, style }
export const str = (text: string): Scalar => ({ kind: 'scalar', type: 'str', text })
export const nullScalar = (): Scalar => ({ kind: 'scalar', type: 'null', text: '' })
export const comment = (text: string, inline = false): Comment => ({ kind: 'comment', text, inline })
export const pair = (key: string, value: Node): Pair => ({ kind: 'pair', key, value })
export const mapping = (entries: Array<Pair | Comment> = []): Mapping => ({ kind: 'map', entries })
export const sequence = (items: Array<Node | Comment> = []): Sequence => ({ kind: 'seq', items })

/** The UTF-8 (or raw) bytes of a scalar: what is encrypted and what enters the MAC. */
export function scalarBytes(s: Scalar): Uint8Array {
  return s.raw ?? Buffer.from(s.text, 'utf8')
}

/** The value of the first pair named `key` in a mapping, if any. */
export function getKey(m: Mapping, key: string): Node | undefined {
  for (const e of m.entries) if (e.kind === 'pair' && e.key === key) return e.value
  return undefined
}

/** Deep structural copy (styles are shared, they are treated as immutable). */
export function cloneNode<T extends Node | Comment>(n: T): T {
  switch (n.kind) {
    case 'map':
      return { ...n, entries: n.entries.map((e) => (e.kind === 'pair' ? { ...e, value: cloneNode(e.value) } : { ...e })) } as T
    case 'seq':
      return { ...n, items: n.items.map((i) => cloneNode(i)) } as T
    default:
      return { ...n } as T
  }
}
