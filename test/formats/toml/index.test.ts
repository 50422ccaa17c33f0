import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { tomlFormat as toml } from '../../../src/formats/toml/index.js'
import { formatFloatF } from '../../../src/core/go-number.js'
import { getKey, type Comment, type Mapping, type Node, type Pair, type Tree } from '../../../src/core/tree.js'
import { EmitError, FormatError } from '../../../src/errors.js'
import { fakeEncrypt, fakeDecrypt, fakeSopsMap, view } from '../../helpers/toml-sim.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)
const parse = (s: string): Tree => toml.parse(enc(s))
const emit = (t: Tree): string => dec(toml.emit(t))
const root = (t: Tree): Mapping => t.branches[0]!
const at = (t: Tree, ...path: Array<string | number>): Node => {
  let n: Node = root(t)
  for (const p of path) {
    if (typeof p === 'string') n = getKey(n as Mapping, p)!
    else n = (n as { items: Node[] }).items.filter((i) => i.kind !== ('comment' as string))[p]!
  }
  return n
}
const scalarOf = (n: Node): string => (n.kind === 'scalar' ? `${n.type}:${n.text}` : n.kind)

/** Everything at once; canonical spellings so encrypt→decrypt also gives it back. */
export const FULL = `# Top comment
title = "TOML \\"Example\\"\\ttab" # end of line
empty = ""
big = 9223372036854775807
beyond = 9007199254740993
neg = -17
pi = 3.14159
whole = 1.0
tiny = 1e-300
pos_inf = inf
neg_inf = -inf
not_a_number = nan
yes = true
no = false
odt = 1979-05-27T07:32:00-08:00
odt_space = 1979-05-27 07:32:00.999999Z
ldt = 1979-05-27T07:32:00
ld = 1979-05-27
lt = 07:32:00
after_time = "still parsed"
lit = 'C:\\Users\\nodejs'
ml = """
Roses are red
Violets are "blue\\""""
ml_lit = '''
first line
second line'''
dotted.key.path = "deep"
dotted.other = 2

[owner]
name = "Tom" # owner's name

# own-line comment inside owner
inline = { first = "a", second.nested = 2 }
list = [ 1, 2, 3 ]
mixed = [
  "x", # after x
  # before y
  "y",
  [ 1, 2 ],
  { k = "v" },
]

# comment before a sub-table
[owner.sub]
deep = true

[[products]]
name = "Hammer"
sku = 738594937

[[products]] # inline on header

[[products]]
name = "Nail"
colors = [ "gray" ]

  [products.dims]
  w = 1.5
# trailing comment at the end
`

test('parse → emit is the identity on a document with every construct', () => {
  assert.is(emit(parse(FULL)), FULL)
})

test('non-canonical spellings, CRLF, BOM and a missing final newline survive a plain round trip', () => {
  const odd = 'a = 0xFF\r\nb = 0o17\r\nc = 0b101\r\nd = 1_000_000\r\ne = +5\r\nf = 1e3\r\ng = +inf\r\nh = -nan\r\ni = "\\u00e9"\r\n[t]\r\nj = 6.626e-34'
  assert.is(emit(parse(odd)), odd)
  const t = parse(odd)
  assert.equal(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map((k) => scalarOf(at(t, k))), [
    'int:255', 'int:15', 'int:5', 'int:1000000', 'int:5', 'float:1000', 'float:+Inf', 'float:NaN', 'str:é',
  ])
  const bom = '\ufeffx = 1\n'
  assert.equal([...toml.emit(toml.parse(enc(bom)))], [...enc(bom)])
  for (const s of ['', '\n', '# only a comment', 'a = 1', '\n\n[t]\n\n']) assert.is(emit(parse(s)), s)
})

test('tree mapping: types, canonical texts, tables, dotted keys, arrays of tables', () => {
  const t = parse(FULL)
  assert.is(scalarOf(at(t, 'big')), 'int:9223372036854775807')
  assert.is(scalarOf(at(t, 'beyond')), 'int:9007199254740993')
  assert.is(scalarOf(at(t, 'whole')), 'float:1')
  assert.is(scalarOf(at(t, 'tiny')), 'float:0.' + '0'.repeat(299) + '1')
  assert.equal(['pos_inf', 'neg_inf', 'not_a_number'].map((k) => scalarOf(at(t, k))), ['float:+Inf', 'float:-Inf', 'float:NaN'])
  assert.equal(['yes', 'no'].map((k) => scalarOf(at(t, k))), ['bool:True', 'bool:False'])
  assert.is(scalarOf(at(t, 'odt_space')), 'time:1979-05-27 07:32:00.999999Z')
  assert.is(scalarOf(at(t, 'lt')), 'time:07:32:00')
  assert.is(scalarOf(at(t, 'after_time')), 'str:still parsed')
  assert.is(scalarOf(at(t, 'lit')), 'str:C:\\Users\\nodejs')
  assert.is(scalarOf(at(t, 'ml')), 'str:Roses are red\nViolets are "blue"')
  assert.is(scalarOf(at(t, 'dotted', 'key', 'path')), 'str:deep')
  assert.is(scalarOf(at(t, 'owner', 'inline', 'second', 'nested')), 'int:2')
  assert.is(scalarOf(at(t, 'owner', 'sub', 'deep')), 'bool:True')
  assert.is(scalarOf(at(t, 'owner', 'mixed', 2, 1)), 'int:2')
  assert.is(scalarOf(at(t, 'products', 2, 'dims', 'w')), 'float:1.5')
  assert.is((at(t, 'products') as { items: Node[] }).items.filter((i) => i.kind === 'map').length, 3)
})

test('comments: inline ones precede the item they follow, header comments precede the table', () => {
  const t = parse(FULL)
  const r = view(root(t)) as { map: unknown[] }
  assert.equal(r.map.slice(0, 3), [{ comment: ' Top comment', inline: false }, { comment: ' end of line', inline: true }, ['title', 'str:TOML "Example"\ttab']])
  const owner = view(at(t, 'owner')) as { map: unknown[] }
  assert.equal(owner.map[0], { comment: " owner's name", inline: true })
  assert.equal(owner.map[2], { comment: ' own-line comment inside owner', inline: false })
  assert.equal(owner.map[6], { comment: ' comment before a sub-table', inline: false })
  assert.equal((view(at(t, 'owner', 'mixed')) as { seq: unknown[] }).seq.slice(0, 4), [
    { comment: ' after x', inline: true }, 'str:x', { comment: ' before y', inline: false }, 'str:y',
  ])
  const products = view(at(t, 'products')) as { seq: unknown[] }
  assert.equal(products.seq[1], { comment: ' inline on header', inline: true })
  const last = view(at(t, 'products', 2, 'dims')) as { map: unknown[] }
  assert.equal(last.map.at(-1), { comment: ' trailing comment at the end', inline: false })
})

test('encrypt → decrypt gives the original bytes back', () => {
  const docs = [FULL, FULL.replace(/\n/g, '\r\n'), FULL.trimEnd(), '', '# just a comment\n', 'a = 1', 'x = "y"\n\n\n']
  for (const doc of docs) {
    const encrypted = emit(fakeEncrypt(parse(doc)))
    assert.ok(encrypted.includes('[sops]'), 'has a [sops] table')
    const decrypted = emit(fakeDecrypt(parse(encrypted)))
    assert.is(decrypted, doc)
  }
})

test('encrypted output: ENC strings in place, #ENC comments, [sops] with arrays of tables', () => {
  const encrypted = emit(fakeEncrypt(parse('# c\nport = 5 # p\nname = \'lit\'\n[t]\nd = 1979-05-27\n')))
  const lines = encrypted.split('\n')
  assert.match(lines[0]!, /^#ENC\[AES256_GCM,data:[^\]]+,type:comment\]$/)
  assert.match(lines[1]!, /^port = "ENC\[AES256_GCM,.*type:str\]" #ENC\[/)
  assert.match(lines[2]!, /^name = 'ENC\[AES256_GCM,.*\]'$/)
  assert.match(lines[4]!, /^d = "ENC\[/)
  assert.is(lines[5], '')
  assert.is(lines[6], '[sops]')
  assert.ok(encrypted.includes('\n[[sops.age]]\n'))
  assert.ok(encrypted.includes('\n[[sops.pgp]]\n'))
  assert.ok(encrypted.endsWith('\n'))
  const sops = getKey(root(parse(encrypted)), 'sops') as Mapping
  const sorted = (m: unknown): unknown => m
  assert.equal(
    sorted(new Map((view(sops) as { map: Array<[string, unknown]> }).map)),
    new Map((view(fakeSopsMap()) as { map: Array<[string, unknown]> }).map),
  )
})

test('decrypting into a string slot keeps its quoting where possible', () => {
  const src = 'a = "x"\nb = \'y\'\nc = """\nz"""\nd = \'\'\'w\'\'\'\n'
  const t = parse(src)
  const set = (k: string, text: string): void => {
    const n = getKey(root(t), k)!
    Object.assign(n, { type: 'str', text })
  }
  set('a', 'line1\nline2')
  set('b', "it's")
  set('c', 'p\nq\\r')
  set('d', 'multi\nline')
  const out = emit(t)
  assert.is(out, 'a = "line1\\nline2"\nb = "it\'s"\nc = """\np\nq\\\\r"""\nd = \'\'\'multi\nline\'\'\'\n')
  assert.equal(view(root(parse(out))), view(root(t)))
})

test('typed values are written in TOML spelling', () => {
  const t = parse('a = "1"\nb = "2"\nc = "3"\nd = "4"\ne = "5"\nf = "6"\ng = "7"\n')
  const vals: Array<[string, string, string]> = [
    ['a', 'int', '-9223372036854775808'], ['b', 'float', '1'], ['c', 'float', '-Inf'], ['d', 'float', 'NaN'],
    ['e', 'bool', 'False'], ['f', 'time', '07:32:00.5'], ['g', 'float', '0.' + '0'.repeat(30) + '15'],
  ]
  for (const [k, type, text] of vals) Object.assign(getKey(root(t), k)!, { type, text })
  assert.is(emit(t), 'a = -9223372036854775808\nb = 1.0\nc = -inf\nd = nan\ne = false\nf = 07:32:00.5\ng = 1.5e-31\n')
})

test('null values cannot be emitted: EmitError naming the key', () => {
  const t = parse('[a]\nsecret_key = 1\n')
  Object.assign(getKey(getKey(root(t), 'a') as Mapping, 'secret_key')!, { type: 'null', text: '' })
  try {
    emit(t)
    assert.unreachable()
  } catch (e) {
    assert.instance(e, EmitError)
    assert.match((e as Error).message, 'secret_key')
  }
})

test('removing a top-level table removes its lines; adding keys rewrites a table or the document', () => {
  const src = 'a = 1\n\n[b]\nx = 2\n\n[c]\ny = 3\n'
  const t = parse(src)
  root(t).entries = root(t).entries.filter((e) => !(e.kind === 'pair' && e.key === 'b'))
  assert.is(emit(t), 'a = 1\n\n[c]\ny = 3\n')

  const mid = parse('[a]\nx=1\n\n# about b\n[b]\ny=2\n[b.c]\nz=3\n\n[d]\nw=4')
  root(mid).entries = root(mid).entries.filter((e) => !(e.kind === 'pair' && e.key === 'b'))
  assert.is(emit(mid), '[a]\nx=1\n\n# about b\n[d]\nw=4', 'the comment stays directly above a header')

  const changed = parse('x = 1 # keep\n\n[a]\n# c\nb = 2   # two\nc = 3\n\n[z]\nq = 1\n')
  ;(getKey(getKey(root(changed), 'a') as Mapping, 'b') as { kind: string }).kind = 'map'
  Object.assign(getKey(getKey(root(changed), 'a') as Mapping, 'b')!, { entries: [] })
  assert.is(emit(changed), 'x = 1 # keep\n\n[a]\n# c\nb = {} # two\nc = 3\n\n[z]\nq = 1\n', 'only [a] is rewritten')

  const t2 = parse('# hi\na = 1 # one\n[c]\ny = 3\n')
  ;(getKey(root(t2), 'c') as Mapping).entries.push({ kind: 'pair', key: 'z w', value: { kind: 'scalar', type: 'str', text: 'new' } })
  const out = emit(t2)
  assert.is(out, '# hi\na = 1 # one\n[c]\ny = 3\n"z w" = "new"\n', 'only [c] is rewritten')
  assert.equal(view(root(parse(out))), view(root(t2)))

  const t3 = parse('# c\na = {x=1}   # i\nb = 2\n[t]\nk = 1\n')
  ;(getKey(root(t3), 'a') as Mapping).entries.push({ kind: 'pair', key: 'y', value: { kind: 'scalar', type: 'int', text: '2' } })
  const full = emit(t3)
  assert.is(full, '# c\na = { x = 1, y = 2 } # i\nb = 2\n\n[t]\nk = 1\n', 'full re-emit')
  assert.equal(view(root(parse(full))), view(root(t3)))
})

test('replacing the sops map (rotate) rewrites the [sops] block in place', () => {
  const encrypted = emit(fakeEncrypt(parse('a = 1\n# keep me\n')))
  const t = parse(encrypted)
  const pair = root(t).entries.find((e) => e.kind === 'pair' && e.key === 'sops')!
  const fresh = fakeSopsMap()
  ;(fresh.entries[1] as { value: Node }).value = { kind: 'scalar', type: 'str', text: '2027-01-01T00:00:00Z' }
  ;(pair as { value: Node }).value = fresh
  const out = emit(t)
  assert.is(out, encrypted.replace('2026-05-22T20:16:23Z', '2027-01-01T00:00:00Z'))
})

test('emitValue: strings raw, maps as documents, others as TOML values', () => {
  const t = parse('s = "a\\nb"\nn = 5\nf = 2.0\nl = [1, "x"]\n[m]\nk = true\n[m.sub]\nq = 1\n')
  assert.is(dec(toml.emitValue(at(t, 's'))), 'a\nb')
  assert.is(dec(toml.emitValue(at(t, 'n'))), '5\n')
  assert.is(dec(toml.emitValue(at(t, 'f'))), '2.0\n')
  assert.is(dec(toml.emitValue(at(t, 'l'))), '[1, "x"]\n')
  assert.is(dec(toml.emitValue(at(t, 'm'))), 'k = true\n\n[sub]\nq = 1\n')
})

const CANARY = 'CANARY_s3cr3t'
const BAD: Array<[string, string]> = [
  ['duplicate key', `a = "${CANARY}"\na = "${CANARY}"\n`],
  ['duplicate table', `[${CANARY}]\nx = 1\n[${CANARY}]\n`],
  ['unterminated string', `a = "${CANARY}\n`],
  ['unterminated multi-line string', `a = """${CANARY}\n`],
  ['bad table header', `[${CANARY}\nx = 1\n`],
  ['bad array-of-tables header', `[[${CANARY}]\n`],
  ['invalid escape', `a = "${CANARY}\\q"\n`],
  ['control character in a comment', `# ${CANARY}\u0001\n`],
  ['integer out of range', `${CANARY} = 9223372036854775808\n`],
  ['bare value', `a = ${CANARY}\n`],
  ['missing equals', `${CANARY} 1\n`],
  ['key redefined by a table', `a.b = "${CANARY}"\n[a]\n`],
]

test('malformed TOML → FormatError with line/column and no input text', () => {
  for (const [what, src] of BAD) {
    try {
      parse(src)
      assert.unreachable(what)
    } catch (e) {
      assert.instance(e, FormatError, what)
      const fe = e as FormatError
      assert.ok(!fe.message.includes(CANARY) && !fe.message.includes('\u0001'), `${what}: ${fe.message}`)
      assert.type(fe.line, 'number', what)
    }
  }
  try {
    toml.parse(new Uint8Array([0x61, 0x3d, 0x22, 0xff, 0x22, 0x0a]))
    assert.unreachable()
  } catch (e) {
    assert.instance(e, FormatError)
  }
})

// ---- property tests over generated documents (canonical spellings: the writer's output) ----

const special = fc.constantFrom('"', "'", '\\', '\n', '\r', '\t', '\u0000', '\u007f', '#', ' ', 'é', '𝄞', '"""', "'''")
const strArb = fc.string({ unit: fc.oneof(special, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 8 })
const commentArb = fc.string({ unit: fc.constantFrom('a', ' ', '#', '"', "'", 'é', '\t', '𝄞', '=', '['), maxLength: 6 })
const keyArb = fc.oneof(fc.constantFrom('a', 'b_1', 'with space', '', 'x.y', 'é', '"q"', 'sops_x'), fc.string({ maxLength: 4 }))
const TIMES = ['1979-05-27T07:32:00Z', '1979-05-27T00:32:00.999999-07:00', '1979-05-27 07:32:00+01:00', '1979-05-27T07:32:00', '1979-05-27', '07:32:00', '00:32:00.5']
const sc = (type: 'str' | 'int' | 'float' | 'bool' | 'time', text: string): Node => ({ kind: 'scalar', type, text })
const leafArb: fc.Arbitrary<Node> = fc.oneof(
  strArb.map((t) => sc('str', t)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => sc('int', v.toString())),
  fc.double().map((d) => sc('float', formatFloatF(d))),
  fc.boolean().map((b) => sc('bool', b ? 'True' : 'False')),
  fc.constantFrom(...TIMES).map((t) => sc('time', t)),
)
/** Comments before an item: own-line ones, then at most one inline comment right before it. */
const beforeArb = fc.tuple(fc.array(commentArb, { maxLength: 2 }), fc.option(commentArb, { freq: 3 }))
const trailingArb = fc.array(commentArb, { maxLength: 1 })
const comments = ([own, inl]: [string[], string | null]): Comment[] => [
  ...own.map((text): Comment => ({ kind: 'comment', text, inline: false })),
  ...(inl === null ? [] : [{ kind: 'comment', text: inl, inline: true } as Comment]),
]
const trailing = (t: string[]): Comment[] => t.map((text) => ({ kind: 'comment', text, inline: false }))

const { map: mapArb } = fc.letrec<{ node: Node; map: Mapping; seq: Node; tables: Node }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', maxDepth: 4 }, leafArb, tie('map'), tie('seq'), tie('tables')),
  map: fc
    .tuple(fc.uniqueArray(fc.tuple(keyArb, tie('node'), beforeArb), { selector: (t) => t[0], maxLength: 4 }), trailingArb)
    .map(([pairs, tail]): Mapping => ({
      kind: 'map',
      entries: [...pairs.flatMap(([key, value, before]) => [...comments(before), { kind: 'pair', key, value } as Pair]), ...trailing(tail)],
    })),
  seq: fc
    .tuple(fc.array(fc.tuple(tie('node'), beforeArb), { maxLength: 3 }), trailingArb)
    .map(([items, tail]): Node => ({ kind: 'seq', items: [...items.flatMap(([n, before]) => [...comments(before), n]), ...trailing(tail)] })),
  tables: fc
    .array(fc.tuple(tie('map'), beforeArb), { minLength: 1, maxLength: 3 })
    .map((items): Node => ({ kind: 'seq', items: items.flatMap(([n, before], i) => [...(i === 0 ? [] : comments(before)), n]) })),
}))
const withoutSops = (m: Mapping): Mapping => ({ ...m, entries: m.entries.filter((e) => !(e.kind === 'pair' && e.key === 'sops')) })

test('property: written documents parse back to the same tree and re-emit byte for byte', () => {
  fc.assert(
    fc.property(mapArb, (m) => {
      const tree: Tree = { branches: [withoutSops(m)] }
      const text = emit(tree)
      const back = parse(text)
      assert.equal(view(root(back)), view(root(tree)), text)
      assert.is(emit(back), text)
    }),
    { numRuns: Number(process.env.TOML_RUNS ?? 300) },
  )
})

test('property: encrypt → decrypt is the identity on generated documents', () => {
  fc.assert(
    fc.property(mapArb, fc.boolean(), fc.boolean(), (m, crlf, trim) => {
      const text = emit({ branches: [withoutSops(m)] })
      const crlfText = crlf ? text.replace(/\n/g, '\r\n') : text
      const doc = trim ? crlfText.replace(/\r?\n$/, '') : crlfText
      const encrypted = emit(fakeEncrypt(parse(doc)))
      assert.is(emit(fakeDecrypt(parse(encrypted))), doc, encrypted)
    }),
    { numRuns: Number(process.env.TOML_RUNS ?? 300) },
  )
})

test.run()
