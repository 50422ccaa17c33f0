import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { jsonFormat, createJsonFormat } from '../../../src/formats/json/index.js'
import { EmitError, FormatError } from '../../../src/errors.js'
import { formatFloatF } from '../../../src/core/go-number.js'
import { getKey, type Mapping, type Node, type Scalar, type Tree } from '../../../src/core/tree.js'
import { fixture, needsFixtures } from '../../helpers/fixtures.js'

const fixtureTest = needsFixtures(test, import.meta.url)

const enc = new TextEncoder()
const parse = (s: string | Uint8Array): Tree => jsonFormat.parse(typeof s === 'string' ? enc.encode(s) : s)
const root = (s: string): Mapping => parse(s).branches[0]!
const emit = (t: Tree): string => Buffer.from(jsonFormat.emit(t)).toString('utf8')
const doc = (entries: Array<[string, Node]>): Tree => ({
  branches: [{ kind: 'map', entries: entries.map(([key, value]) => ({ kind: 'pair' as const, key, value })) }],
})
const sc = (type: Scalar['type'], text: string): Scalar => ({ kind: 'scalar', type, text })
const val = (m: Mapping, ...path: Array<string | number>): Node => {
  let n: Node = m
  for (const p of path) {
    if (typeof p === 'number') {
      assert.is(n.kind, 'seq')
      n = (n as Extract<Node, { kind: 'seq' }>).items[p] as Node
    } else {
      assert.is(n.kind, 'map')
      n = getKey(n as Mapping, p)!
    }
    assert.ok(n, `missing ${String(p)}`)
  }
  return n
}

// ---------- goldens ----------

fixtureTest('format.enc.json: parse + emit reproduces the sops file byte for byte', () => {
  const bytes = fixture('functional-tests/res/format.enc.json')
  const t = jsonFormat.parse(bytes)
  assert.ok(Buffer.from(jsonFormat.emit(t)).equals(bytes))
  const foo = val(t.branches[0]!, 'foo') as Scalar
  assert.is(foo.type, 'str')
  assert.match(foo.text, /^ENC\[AES256_GCM,data:fvD\/,/)
  assert.is((val(t.branches[0]!, 'sops', 'pgp', 0, 'fp') as Scalar).text, 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4')
  assert.match((val(t.branches[0]!, 'sops', 'pgp', 0, 'enc') as Scalar).text, /^-----BEGIN PGP MESSAGE-----\n\n/)
})

fixtureTest('example.json (sops 3.5.0): values, old null key lists; re-emit only adds the final newline', () => {
  const bytes = fixture('example.json')
  const t = jsonFormat.parse(bytes)
  const m = t.branches[0]!
  assert.equal(m.entries.map((e) => (e.kind === 'pair' ? e.key : '#')), [
    'firstName', 'lastName', 'age', 'address', 'phoneNumbers', 'anEmptyValue', 'sops',
  ])
  assert.match((val(m, 'age') as Scalar).text, /,type:float\]$/)
  assert.match((val(m, 'firstName') as Scalar).text, /,type:str\]$/)
  assert.equal(val(m, 'anEmptyValue'), sc('str', ''))
  assert.equal(val(m, 'sops', 'kms'), sc('null', ''))
  assert.equal(val(m, 'sops', 'version'), sc('str', '3.5.0'))
  assert.match((val(m, 'phoneNumbers', 1, 'type') as Scalar).text, /^ENC\[/)
  assert.is(bytes[bytes.length - 1], 0x7d) // no final newline in the old file
  assert.ok(Buffer.from(jsonFormat.emit(t)).equals(Buffer.concat([bytes, Buffer.from('\n')])))
})

fixtureTest('examples/**/*.json and example.txt (binary envelope) parse and re-emit', () => {
  for (const f of ['examples/per_file/config.enc/static_github.json', 'examples/all_in_one/config/secret.enc.json', 'example.txt']) {
    const bytes = fixture(f)
    const t = jsonFormat.parse(bytes)
    assert.ok(Buffer.from(jsonFormat.emit(t)).equals(Buffer.concat([bytes, Buffer.from('\n')])), f)
  }
  const gh = jsonFormat.parse(fixture('examples/per_file/config.enc/static_github.json')).branches[0]!
  assert.equal(val(gh, 'common', 'github_username_unencrypted'), sc('str', 'twolfson-dev'))
  assert.equal(val(gh, 'development'), { kind: 'map', entries: [] })
})

fixtureTest('python-era file (4-space indent, trailing spaces after commas) parses', () => {
  const m = jsonFormat.parse(fixture('stores/ini/test_resources/example.json')).branches[0]!
  assert.equal(val(m, 'sops', 'version'), sc('str', '1.13'))
  assert.is((val(m, 'example_array') as Extract<Node, { kind: 'seq' }>).items.length, 2)
})

// ---------- reading ----------

test('key order is kept, including integer-like keys', () => {
  const m = root('{"b":1,"2":2,"a":3,"1":4,"10":5}')
  assert.equal(m.entries.map((e) => (e.kind === 'pair' ? e.key : '')), ['b', '2', 'a', '1', '10'])
})

test('numbers: int64 literals are ints, everything else floats with canonical text', () => {
  const cases: Array<[string, Scalar]> = [
    ['0', sc('int', '0')],
    ['-0', sc('int', '0')],
    ['42', sc('int', '42')],
    ['-17', sc('int', '-17')],
    ['9223372036854775807', sc('int', '9223372036854775807')],
    ['-9223372036854775808', sc('int', '-9223372036854775808')],
    ['9223372036854775808', sc('float', '9223372036854776000')],
    ['1.0', sc('float', '1')],
    ['25.4', sc('float', '25.4')],
    ['1e3', sc('float', '1000')],
    ['1E+2', sc('float', '100')],
    ['-1.5e-7', sc('float', '-0.00000015')],
    ['-0.0', sc('float', '-0')],
    ['1e-400', sc('float', '0')],
  ]
  for (const [lit, want] of cases) assert.equal(val(root(`{"n":${lit}}`), 'n'), want, lit)
})

test('literals and nesting', () => {
  const m = root(' {\n "t": true, "f": false, "n": null, "l": [1, "x", [], {}, {"k": [null]}], "o": {"p": {"q": "r"}} } \n')
  assert.equal(val(m, 't'), sc('bool', 'True'))
  assert.equal(val(m, 'f'), sc('bool', 'False'))
  assert.equal(val(m, 'n'), sc('null', ''))
  assert.equal(val(m, 'l', 4, 'k', 0), sc('null', ''))
  assert.equal(val(m, 'o', 'p', 'q'), sc('str', 'r'))
})

test('strings: all escapes, surrogate pairs, lone surrogates become U+FFFD', () => {
  const m = root(String.raw`{"s":"a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\ud83d\ude00","lone":"\ud800x","low":"\udc00","pair2":"\ud800\u0041","raw":"é😀"}`)
  assert.is((val(m, 's') as Scalar).text, 'a"b\\c/d\b\f\n\r\tAé😀')
  assert.is((val(m, 'lone') as Scalar).text, '\ufffdx')
  assert.is((val(m, 'low') as Scalar).text, '\ufffd')
  assert.is((val(m, 'pair2') as Scalar).text, '\ufffdA')
  assert.is((val(m, 'raw') as Scalar).text, 'é😀')
})

test('invalid UTF-8 inside a string reads as U+FFFD (like Go)', () => {
  const bytes = Buffer.concat([Buffer.from('{"s":"a'), Buffer.from([0xff]), Buffer.from('b"}')])
  assert.is((val(parse(bytes).branches[0]!, 's') as Scalar).text, 'a\ufffdb')
})

const CANARY = 'CANARY-9f3'
const bad: Array<[string, string, number?, number?]> = [
  ['empty input', ''],
  ['whitespace only', '  \n '],
  ['top-level array', `["${CANARY}"]`],
  ['top-level string', `"${CANARY}"`],
  ['top-level number', '42'],
  ['NaN', `{"${CANARY}":NaN}`, 1, 15],
  ['Infinity', `{"a":Infinity,"b":"${CANARY}"}`],
  ['-Infinity', `{"a":-Infinity}`],
  ['True', `{"a":True}`],
  ['invalid escape', `{"a":"${CANARY}\\x"}`, 1, 17],
  ['short unicode escape', `{"a":"\\u12"}`],
  ['control char in string', `{"a":"${CANARY}\n"}`],
  ['unterminated string', `{"a":"${CANARY}`],
  ['truncated object', `{"a":"${CANARY}"`],
  ['truncated array', `{"a":["${CANARY}"`],
  ['trailing comma object', `{"a":"${CANARY}",}`],
  ['trailing comma array', `{"a":["${CANARY}",]}`],
  ['missing colon', `{"a" "${CANARY}"}`],
  ['missing comma', `{"a":1 "b":"${CANARY}"}`],
  ['single quotes', `{'a':'${CANARY}'}`],
  ['unquoted key', `{${CANARY}:1}`],
  ['leading zero', `{"a":01}`],
  ['leading plus', `{"a":+1}`],
  ['bare dot', `{"a":1.}`],
  ['number out of range', `{"a":1e400,"b":"${CANARY}"}`],
  ['comment', `{/* ${CANARY} */"a":1}`],
  ['byte order mark', `\ufeff{"a":"${CANARY}"}`],
]

test('bad input → FormatError with line/column, never the input text', () => {
  for (const [name, src, line, column] of bad) {
    try {
      parse(src)
      assert.unreachable(name)
    } catch (e) {
      assert.instance(e, FormatError, name)
      const err = e as FormatError
      assert.not.ok(err.message.includes(CANARY), name)
      assert.not.ok(err.message.includes('a":'), name)
      if (line !== undefined) assert.is(err.line, line, `${name} line`)
      if (column !== undefined) assert.is(err.column, column, `${name} column`)
    }
  }
})

test('very deep nesting is an error, not a stack overflow; moderately deep works', () => {
  const deep = (n: number): string => '{"a":' + '['.repeat(n) + ']'.repeat(n) + '}'
  assert.throws(() => parse(deep(20000)), (e: unknown) => e instanceof FormatError)
  const t = parse(deep(2000))
  assert.is(emit(t).split('\n').length, 4002)
})

// ---------- writing ----------

test('layout: tab indent, ": ", compact empty containers, one final newline', () => {
  const out = emit(doc([
    ['a', sc('str', 'x')],
    ['e', { kind: 'map', entries: [] }],
    ['l', { kind: 'seq', items: [] }],
    ['n', { kind: 'seq', items: [sc('int', '1'), { kind: 'map', entries: [{ kind: 'pair', key: 'k', value: sc('null', '') }] }] }],
  ]))
  assert.is(out, '{\n\t"a": "x",\n\t"e": {},\n\t"l": [],\n\t"n": [\n\t\t1,\n\t\t{\n\t\t\t"k": null\n\t\t}\n\t]\n}\n')
  assert.is(emit({ branches: [{ kind: 'map', entries: [] }] }), '{}\n')
})

test('indent option: spaces, and 0 = newlines without indentation; < -1 rejected', () => {
  const t = doc([['a', { kind: 'seq', items: [sc('int', '1')] }]])
  assert.is(Buffer.from(createJsonFormat({ indent: 2 }).emit(t)).toString(), '{\n  "a": [\n    1\n  ]\n}\n')
  assert.is(Buffer.from(createJsonFormat({ indent: 0 }).emit(t)).toString(), '{\n"a": [\n1\n]\n}\n')
  assert.throws(() => createJsonFormat({ indent: -2 }))
})

test('Go string escaping for keys and values', () => {
  const s = 'q"b\\<a>&\u2028\u2029\b\f\n\r\t\u0001\u001f\u007fé😀/'
  const want = '"q\\"b\\\\\\u003ca\\u003e\\u0026\\u2028\\u2029\\b\\f\\n\\r\\t\\u0001\\u001f\u007fé😀/"'
  assert.is(emit(doc([[s, sc('str', s)]])), `{\n\t${want}: ${want}\n}\n`)
})

test('raw (non-UTF-8) strings: each invalid byte becomes \\ufffd like Go', () => {
  const raw = Uint8Array.from([0x61, 0xff, 0xc3, 0xa9, 0xed, 0xa0, 0x80, 0x3c])
  const out = emit(doc([['b', { kind: 'scalar', type: 'str', text: 'ignored', raw }]]))
  assert.is(out, '{\n\t"b": "a\\ufffdé\\ufffd\\ufffd\\ufffd\\u003c"\n}\n')
})

/** goQuoteBytes as it was first written (one character at a time): the reference the run-writing one must match byte for byte. */
function quoteBytesReference(bytes: Uint8Array): string {
  const esc = (c: number): string | undefined => {
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x3c && c !== 0x3e && c !== 0x26) return undefined
    const named: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' }
    return named[c] ?? '\\u00' + c.toString(16).padStart(2, '0')
  }
  const seqLen = (b: Uint8Array, i: number): number => {
    const c = b[i]!
    const cont = (j: number, lo = 0x80, hi = 0xbf): boolean => j < b.length && b[j]! >= lo && b[j]! <= hi
    if (c >= 0xc2 && c <= 0xdf) return cont(i + 1) ? 2 : 0
    if (c >= 0xe0 && c <= 0xef) return cont(i + 1, c === 0xe0 ? 0xa0 : 0x80, c === 0xed ? 0x9f : 0xbf) && cont(i + 2) ? 3 : 0
    if (c >= 0xf0 && c <= 0xf4) return cont(i + 1, c === 0xf0 ? 0x90 : 0x80, c === 0xf4 ? 0x8f : 0xbf) && cont(i + 2) && cont(i + 3) ? 4 : 0
    return 0
  }
  let out = '"'
  for (let i = 0; i < bytes.length;) {
    const c = bytes[i]!
    if (c < 0x80) { out += esc(c) ?? String.fromCharCode(c); i++; continue }
    const n = seqLen(bytes, i)
    if (n === 0) { out += '\\ufffd'; i++; continue }
    const ch = Buffer.from(bytes.subarray(i, i + n)).toString('utf8')
    out += ch === '\u2028' ? '\\u2028' : ch === '\u2029' ? '\\u2029' : ch
    i += n
  }
  return out + '"'
}

test('raw strings written in runs: the same bytes as one character at a time, across 64 KiB pieces and at every edge', () => {
  const edges = [
    [0xff], [0xe2, 0x80, 0xa8], [0xe2, 0x80, 0xa9], [0xe2, 0x80], [0xf0, 0x9f, 0x98, 0x80], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80],
    [0x00], [0x1f], [0x22], [0x5c], [0x3c], [0x3e], [0x26], [0x7f], [0x0a], [0xc3, 0xa9], [0xc3], [0xf4, 0x90, 0x80, 0x80],
  ]
  let seed = 7
  const next = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16
  const cases: Uint8Array[] = edges.map((e) => Uint8Array.from([0x61, ...e, 0xff, ...e]))
  for (const size of [3, 100, 70_000, 200_003]) {
    const b = new Uint8Array(size)
    for (let i = 0; i < size; i++) b[i] = next() & 0xff
    // sprinkle whole sequences so that valid multi-byte characters straddle the piece edges too
    for (let i = 0; i + 4 < size; i += 997) b.set(edges[i % edges.length]!, i)
    b[0] = 0xff
    cases.push(b)
  }
  for (const raw of cases) {
    const out = emit(doc([['b', { kind: 'scalar', type: 'str', text: 'ignored', raw }]]))
    assert.is(out, `{\n\t"b": ${quoteBytesReference(raw)}\n}\n`, `${raw.length} bytes`)
  }
})

test('scalar types: ints as is, floats in Go JSON spelling, bools, null, time, bytes', () => {
  const out = emit(doc([
    ['i', sc('int', '-12345678901234567890')],
    ['f1', sc('float', '25.4')],
    ['f2', sc('float', '1')],
    ['f3', sc('float', '0.00000015')],
    ['f4', sc('float', '1000000000000000000000')],
    ['t', sc('bool', 'True')],
    ['f', sc('bool', 'False')],
    ['n', sc('null', '')],
    ['time', sc('time', '2024-01-01T00:00:00.5Z')],
    ['bytes', sc('bytes', 'hi')],
  ]))
  assert.is(out, '{\n\t"i": -12345678901234567890,\n\t"f1": 25.4,\n\t"f2": 1,\n\t"f3": 1.5e-7,\n\t"f4": 1e+21,\n\t"t": true,\n\t"f": false,\n\t"n": null,\n\t"time": "2024-01-01T00:00:00.5Z",\n\t"bytes": "aGk="\n}\n')
})

test('NaN and infinities cannot be written (EmitError naming the key only)', () => {
  for (const text of ['NaN', '+Inf', '-Inf']) {
    try {
      emit(doc([['secretkey', sc('float', text)]]))
      assert.unreachable()
    } catch (e) {
      assert.instance(e, EmitError)
      assert.match((e as Error).message, /secretkey/)
    }
  }
})

test('comments are dropped in maps and sequences', () => {
  const t: Tree = {
    branches: [{
      kind: 'map',
      entries: [
        { kind: 'comment', text: ' top', inline: false },
        { kind: 'pair', key: 'l', value: { kind: 'seq', items: [{ kind: 'comment', text: 'c', inline: false }] } },
        { kind: 'pair', key: 'm', value: { kind: 'seq', items: [{ kind: 'comment', text: 'c', inline: false }, sc('int', '1')] } },
      ],
    }],
  }
  assert.is(emit(t), '{\n\t"l": [],\n\t"m": [\n\t\t1\n\t]\n}\n')
})

test('emitValue: str raw, map = document, other values indented without newline', () => {
  const ev = (n: Node): string => Buffer.from(jsonFormat.emitValue(n)).toString()
  assert.is(ev(sc('str', 'a<b\n')), 'a<b\n')
  assert.ok(Buffer.from(jsonFormat.emitValue({ kind: 'scalar', type: 'str', text: '', raw: Uint8Array.of(0xff) })).equals(Buffer.of(0xff)))
  assert.is(ev({ kind: 'map', entries: [{ kind: 'pair', key: 'a', value: sc('int', '1') }] }), '{\n\t"a": 1\n}\n')
  assert.is(ev({ kind: 'seq', items: [sc('int', '1'), sc('str', 'x')] }), '[\n\t1,\n\t"x"\n]')
  assert.is(ev(sc('bool', 'True')), 'true')
  assert.is(ev(sc('float', '25.4')), '25.4')
  assert.is(ev(sc('null', '')), 'null')
})

test('format object is spreadable (the engine spreads it for the binary envelope)', () => {
  const f = { ...jsonFormat, metadataLayout: 'binary' as const }
  assert.is(Buffer.from(f.emit(f.parse(enc.encode('{"data":"x"}')))).toString(), '{\n\t"data": "x"\n}\n')
})

// ---------- properties ----------

const INT64 = 2n ** 63n
const jsonScalarArb: fc.Arbitrary<Node> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }).map((s) => sc('str', s)),
  fc.bigInt({ min: -INT64, max: INT64 - 1n }).map((v) => sc('int', v.toString())),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .filter((x) => !(Number.isInteger(x) && Math.abs(x) < 2 ** 63)) // those re-read as int (as in sops)
    .map((x) => sc('float', formatFloatF(x))),
  fc.boolean().map((b) => sc('bool', b ? 'True' : 'False')),
  fc.constant(sc('null', '')),
)

const { tree: jsonNodeArb } = fc.letrec<{ tree: Node; map: Mapping; seq: Node }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, jsonScalarArb, tie('map'), tie('seq')),
  map: fc
    .uniqueArray(fc.tuple(fc.string({ unit: 'binary', maxLength: 6 }), tie('tree')), { selector: ([k]) => k, maxLength: 4 })
    .map((pairs): Mapping => ({ kind: 'map', entries: pairs.map(([key, value]) => ({ kind: 'pair', key, value })) })),
  seq: fc.array(tie('tree'), { maxLength: 4 }).map((items): Node => ({ kind: 'seq', items })),
}))

test('property: parse(emit(t)) = t and emit is stable', () => {
  fc.assert(
    fc.property(jsonNodeArb, fc.string({ unit: 'binary', maxLength: 6 }), (node, key) => {
      const t = doc([[key, node]])
      const once = jsonFormat.emit(t)
      const back = jsonFormat.parse(once)
      assert.equal(back, t)
      assert.ok(Buffer.from(jsonFormat.emit(back)).equals(Buffer.from(once)))
    }),
    { numRuns: 300 },
  )
})

/** The tree as a plain JS value (ints/floats as numbers) to compare with JSON.parse. */
function plain(n: Node): unknown {
  if (n.kind === 'map') return Object.fromEntries(n.entries.flatMap((e) => (e.kind === 'pair' ? [[e.key, plain(e.value)]] : [])))
  if (n.kind === 'seq') return n.items.map((i) => plain(i as Node))
  switch (n.type) {
    case 'int': case 'float': return Number(n.text)
    case 'bool': return n.text === 'True'
    case 'null': return null
    default: return n.text
  }
}

test('property: agrees with JSON.parse on generated JSON text', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }), (obj) => {
      const text = JSON.stringify(obj, null, 1)
      assert.equal(plain(parse(text).branches[0]!), JSON.parse(text))
    }),
    { numRuns: 300 },
  )
})

test.run()
