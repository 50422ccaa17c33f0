/**
 * fast-check generators of neutral trees for the YAML format's property tests.
 *
 * `canonicalTree` builds trees that the YAML format must give back unchanged after
 * emit → parse: every scalar in the canonical sops text of its type, floats that do
 * not print as integers (`1.0` is written `1` and re-reads as an int, docs/format.md §7.5), and
 * comments only where YAML can hold them (an inline comment right before a scalar,
 * no comments in empty collections or at the start of a map that is a list item).
 *
 * `looseTree` drops those restrictions (comments anywhere, any float): for it only
 * emit → parse → emit must be stable.
 */
import fc from 'fast-check'
import { formatFloatF } from '../../src/core/go-number.js'
import type { Comment, Mapping, Node, Pair, Scalar, Sequence, Tree } from '../../src/core/tree.js'

const sc = (type: Scalar['type'], text: string): Scalar => ({ kind: 'scalar', type, text })

/** Characters that stress quoting: YAML indicators, spaces, quotes, escapes, non-ASCII. */
const TRICKY = [
  ' ', ' ', '\t', '\n', '\n', ':', '#', '-', '?', '[', ']', '{', '}', ',', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`', '\\',
  '~', '.', '0', '1', 'e', 'x', 'y', 'n', 'é', 'ß', '✓', '中', '😀', '\u00a0', '\u0085', '\u200b', '\u0001', '\u007f', '\ufeff',
]

/** Words that mean something else unquoted. */
const LOOKALIKES = [
  '', 'true', 'False', 'NULL', '~', 'null', 'yes', 'No', 'on', 'OFF', 'y', 'n', '123', '-7', '+3', '0x1F', '0o17', '017', '1_000',
  '3.10', '1e3', '.5', '.inf', '-.Inf', '.nan', '1:30', '2024-01-01', '2024-01-01T00:00:00Z', '<<', '---', '...', '- a', '? x',
  'a: b', 'a #b', 'a:', '#x', 'sops', 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]', '3.13.1', '1.2.3', '@home',
]

const trickyChar = fc.constantFrom(...TRICKY)
const anyChar = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: trickyChar },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
)

/** Any string: unicode, newlines, leading/trailing spaces, look-alikes of other types. */
export const yamlString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.array(anyChar, { maxLength: 12 }).map((cs) => cs.join('')) },
  { weight: 1, arbitrary: fc.constantFrom(...LOOKALIKES) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(' ', '\n', '', '  '), fc.constantFrom(...LOOKALIKES), fc.constantFrom(' ', '\n', '', '\n\n')).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('word', 'two words', 'x', ' ', '\n'), { maxLength: 30 }).map((ws) => ws.join(' ')) },
)

/** A map key: any single-line string (multi-line keys are covered separately). */
export const yamlKey: fc.Arbitrary<string> = yamlString.map((s) => s.replace(/[\r\n\u0085\u2028\u2029]/g, '_'))

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((b) => sc('int', b.toString()))
const smallInt = fc.integer({ min: -1000, max: 1000 }).map((n) => sc('int', String(n)))

/** Finite floats that YAML writes in a float spelling (not an integer-looking one). */
const canonicalFloat = fc
  .oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0.5, -1.25, 25.4, 1234568000, 1e-7, 1e21, 3.14159))
  .filter((x) => !(Number.isInteger(x) && Math.abs(x) < 1e6))
  .map((x) => sc('float', formatFloatF(x)))
const specialFloat = fc.constantFrom('NaN', '+Inf', '-Inf').map((t) => sc('float', t))
const anyFloat = fc.double().map((x) => sc('float', formatFloatF(x)))

const bool = fc.constantFrom('True', 'False').map((t) => sc('bool', t))
const nul = fc.constant(sc('null', ''))

/** RFC3339Nano text as Go's `time.Time.MarshalText` writes it (UTC as `Z`, no trailing zeros). */
const time = fc
  .record({
    ms: fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9999, 11, 31) }),
    nanos: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 999_999_999 })),
    zone: fc.constantFrom('Z', '+05:30', '-08:00', '+14:00'),
  })
  .map(({ ms, nanos, zone }) => {
    const base = new Date(ms).toISOString().slice(0, 19)
    const frac = String(nanos).padStart(9, '0').replace(/0+$/, '')
    return sc('time', `${base}${frac ? '.' + frac : ''}${zone}`)
  })

const str = yamlString.map((t) => sc('str', t))

/** Scalars of every type in canonical form. */
export const canonicalScalar: fc.Arbitrary<Scalar> = fc.oneof(
  { weight: 6, arbitrary: str },
  { weight: 1, arbitrary: int64 },
  { weight: 1, arbitrary: smallInt },
  { weight: 1, arbitrary: canonicalFloat },
  { weight: 1, arbitrary: specialFloat },
  { weight: 1, arbitrary: bool },
  { weight: 1, arbitrary: nul },
  { weight: 1, arbitrary: time },
)

/** Comment text: one line, no trailing blank (YAML drops it), may start with a space or `#`. */
export const commentText: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 1 }), fc.constantFrom(' ', '#', 'é', '✓', ':', '-', '"')), { maxLength: 16 })
  .map((cs) => cs.join('').replace(/[\r\n\t\u0085\u2028\u2029\u000b\u000c]/g, '').replace(/\s+$/, ''))

const comments = (max: number): fc.Arbitrary<Comment[]> =>
  fc.array(commentText.map((text): Comment => ({ kind: 'comment', text, inline: false })), { maxLength: max })
const inlineComment: fc.Arbitrary<Comment[]> = fc.option(commentText.map((text): Comment => ({ kind: 'comment', text, inline: true })), { nil: undefined }).map((c) => (c ? [c] : []))

const isEmpty = (n: Node): boolean =>
  (n.kind === 'map' && !n.entries.some((e) => e.kind === 'pair')) || (n.kind === 'seq' && !n.items.some((e) => e.kind !== 'comment'))

// a type (not an interface) so that fc.letrec can type its `tie`
type Shape = {
  map: Mapping
  seq: Sequence
  node: Node
}

/** Canonical trees: parse(emit(tree)) must give the tree back exactly. */
const canonicalShapes = fc.letrec<Shape>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, { weight: 3, arbitrary: canonicalScalar }, tie('map'), tie('seq')),
  map: fc
    .tuple(
      fc.uniqueArray(fc.tuple(yamlKey, tie('node'), comments(2), inlineComment), { maxLength: 5, selector: ([k]) => k }),
      comments(2),
    )
    .map(([pairs, tail]): Mapping => {
      const entries: Array<Pair | Comment> = []
      for (const [key, value, head, inline] of pairs) {
        const v = isEmpty(value) ? (value.kind === 'map' ? { kind: 'map' as const, entries: [] } : { kind: 'seq' as const, items: [] }) : value
        entries.push(...head, ...(v.kind === 'scalar' ? inline : []), { kind: 'pair', key, value: v })
      }
      if (pairs.length > 0) entries.push(...tail)
      return { kind: 'map', entries }
    }),
  seq: fc
    .tuple(fc.array(fc.tuple(tie('node'), comments(2), inlineComment), { maxLength: 5 }), comments(2))
    .map(([items, tail]): Sequence => {
      const out: Array<Node | Comment> = []
      for (const [value, head, inline] of items) {
        let v = value
        if (isEmpty(v)) v = v.kind === 'map' ? { kind: 'map', entries: [] } : { kind: 'seq', items: [] }
        // a collection item cannot start with its own comments: they read back as the outer list's
        if (v.kind === 'map') v = { kind: 'map', entries: v.entries.slice(v.entries.findIndex((e) => e.kind === 'pair')) }
        if (v.kind === 'seq') v = { kind: 'seq', items: v.items.slice(v.items.findIndex((e) => e.kind !== 'comment')) }
        out.push(...head, ...(v.kind === 'scalar' ? inline : []), v)
      }
      if (items.length > 0) out.push(...tail)
      return { kind: 'seq', items: out }
    }),
}))

/** A document root for canonical trees (a map, possibly with head comments before its first key). */
export const canonicalTree: fc.Arbitrary<Tree> = fc
  .array(canonicalShapes.map, { minLength: 1, maxLength: 3 })
  .map((branches): Tree => ({ branches }))

/** Loose trees: comments anywhere (inline or not), any float, empty collections holding comments. */
const looseShapes = fc.letrec<Shape>((tie) => {
  const item = fc.oneof(
    { weight: 4, arbitrary: tie('node') },
    { weight: 1, arbitrary: fc.tuple(commentText, fc.boolean()).map(([text, inline]): Comment => ({ kind: 'comment', text, inline })) },
  )
  return {
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 3, arbitrary: fc.oneof(canonicalScalar, anyFloat) },
      tie('map'),
      tie('seq'),
    ),
    map: fc
      .tuple(fc.uniqueArray(yamlKey, { maxLength: 5 }), fc.array(item, { maxLength: 8 }))
      .map(([keys, items]): Mapping => {
        const entries: Array<Pair | Comment> = []
        let k = 0
        for (const it of items) {
          if (it.kind === 'comment') entries.push(it)
          else if (k < keys.length) entries.push({ kind: 'pair', key: keys[k++]!, value: it })
        }
        return { kind: 'map', entries }
      }),
    seq: fc.array(item, { maxLength: 6 }).map((items): Sequence => ({ kind: 'seq', items })),
  }
})

export const looseTree: fc.Arbitrary<Tree> = fc.array(looseShapes.map, { minLength: 1, maxLength: 3 }).map((branches): Tree => ({ branches }))
