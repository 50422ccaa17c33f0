/**
 * The YAML format (src/formats/yaml/). Expected texts marked "go-yaml" were checked
 * against go-yaml v3.0.4 (the emitter sops 3.13 uses) driven the way sops' YAML store
 * drives it; the deviations listed in src/formats/yaml/layout.ts are tested as deviations.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { yamlFormat as yaml } from '../../../src/formats/yaml/index.js'
import { EmitError, FormatError, LimitExceededError } from '../../../src/errors.js'
import { getKey, type Comment, type Mapping, type Node, type Scalar, type Sequence, type Tree } from '../../../src/core/tree.js'
import { fixture, needsFixtures } from '../../helpers/fixtures.js'
import { canonicalTree, looseTree, yamlString } from '../../helpers/yaml-gen.js'
import { analyzeScalar, analyzeScalarFully } from '../../../src/formats/yaml/emitter.js'

const fixtureTest = needsFixtures(test, import.meta.url)

const parse = (s: string | Uint8Array): Tree => yaml.parse(typeof s === 'string' ? Buffer.from(s, 'utf8') : s)
const root = (s: string): Mapping => parse(s).branches[0]!
const emit = (t: Tree): string => Buffer.from(yaml.emit(t)).toString('utf8')
const rt = (s: string): string => emit(parse(s))
const sc = (type: Scalar['type'], text: string): Scalar => ({ kind: 'scalar', type, text })
const cm = (text: string, inline = false): Comment => ({ kind: 'comment', text, inline })
const doc = (entries: Array<[string, Node]>): Tree => ({
  branches: [{ kind: 'map', entries: entries.map(([key, value]) => ({ kind: 'pair' as const, key, value })) }],
})
const val = (m: Mapping, ...path: Array<string | number>): Node => {
  let n: Node = m
  for (const p of path) {
    if (typeof p === 'number') {
      assert.is(n.kind, 'seq')
      n = (n as Sequence).items.filter((i) => i.kind !== 'comment')[p] as Node
    } else {
      assert.is(n.kind, 'map')
      n = getKey(n as Mapping, p)!
    }
    assert.ok(n, `missing ${String(p)}`)
  }
  return n
}
/** Entries of a map as short strings: `key` for pairs, `#text` / `#inline:text` for comments. */
const shape = (items: ReadonlyArray<{ kind: string; key?: string; text?: string; inline?: boolean }>): string[] =>
  items.map((e) => (e.kind === 'pair' ? e.key! : e.kind === 'comment' ? `#${e.inline ? 'inline:' : ''}${e.text}` : e.kind))

// ---------- sops fixtures (docs/format.md §7.2, §12–§14) ----------

test('the fast path of scalar analysis agrees with the full go-yaml analysis', () => {
  const chars = 'aZ09_./+=,:[]-# \'"!&*?|>{}%@`\t\n'.split('')
  fc.assert(fc.property(fc.array(fc.constantFrom(...chars), { maxLength: 12 }).map((a) => a.join('')), (s) => {
    assert.equal(analyzeScalar(s), analyzeScalarFully(s), JSON.stringify(s))
  }), { numRuns: 3000 })
  for (const s of ['ENC[AES256_GCM,data:8CvE,iv:tjch/lmM=,tag:1a==,type:str]', 'a:', '...x', '-x', 'x-', 'a:b', '[x]']) assert.equal(analyzeScalar(s), analyzeScalarFully(s), s)
})

fixtureTest('format.enc.yaml, example.yaml and plainfile.yaml: re-emit from the tree is byte for byte', () => {
  for (const f of ['functional-tests/res/format.enc.yaml', 'example.yaml', 'functional-tests/res/plainfile.yaml']) {
    const bytes = fixture(f)
    const t = yaml.parse(bytes)
    assert.ok(Buffer.from(yaml.emit(t)).equals(bytes), f)
  }
  const m = yaml.parse(fixture('example.yaml')).branches[0]!
  assert.match((val(m, 'number') as Scalar).text, /,type:float\]$/)
  assert.is((val(m, 'somelist_unencrypted', 2) as Scalar).text, 'because of the _unencrypted suffix in the key')
  // the encrypted comment after `password:` belongs to app2.db (AAD app2:db:), as the last item
  const db = val(m, 'app2', 'db') as Mapping
  assert.equal(shape(db.entries).map((s) => s.slice(0, 18)), ['user', 'password', '#ENC[AES256_GCM,da'])
  const enc = (val(m, 'sops', 'pgp', 0, 'enc') as Scalar).text
  assert.ok(enc.startsWith('-----BEGIN PGP MESSAGE-----\n\n') && enc.endsWith('-----END PGP MESSAGE-----'))
  assert.equal(val(m, 'sops', 'lastmodified'), sc('str', '2025-08-06T18:55:05Z'))
})

const OLD_LAYOUT = [
  'functional-tests/res/comments.enc.yaml',
  'functional-tests/res/multiple_keys.yaml',
  'functional-tests/res/no_mac.yaml',
  'functional-tests/res/comments_unencrypted_comments.yaml',
  'config/test_resources/example.yaml',
  'extra/flux/age.yaml',
  'extra/flux/global-secret.yaml',
]

fixtureTest('older layouts (yaml.v2 era, 2-space flux files): parse → emit → parse keeps the tree, output is the 3.13 layout', () => {
  for (const f of OLD_LAYOUT) {
    const input = fixture(f).toString('utf8')
    const t = parse(input)
    const out = emit(t)
    assert.equal(parse(out), t, f)
    assert.is(rt(out), out, `${f}: stable`)
    assert.is.not(out, input, `${f}: layout changed`)
    assert.ok(out.includes('\nsops:\n    '), `${f}: metadata indented by 4`)
    assert.match(out, /^    (pgp|age):\n        - \w+: /m, `${f}: key lists indented under their key`)
    assert.not.match(out, /^ *- {2,}\S/m, `${f}: no yaml.v2 '-   ' items`)
    assert.not.match(out, /'\d{4}-\d\d-\d\dT/, `${f}: timestamps double-quoted`)
    assert.match(out, /^    lastmodified: "\d{4}-/m, f)
  }
  const old = fixture('functional-tests/res/comments.enc.yaml').toString('utf8')
  assert.ok(old.includes("\n    -   created_at: '2019-08-29T21:52:32Z'\n"))
  assert.ok(emit(parse(old)).includes('\n        - created_at: "2019-08-29T21:52:32Z"\n          enc: |\n'))
})

// ---------- comments (docs/format.md §7.4) ----------

fixtureTest('comments.yaml: comments are ordered items of the root map; emitted as sops does', () => {
  const t = parse(fixture('functional-tests/res/comments.yaml'))
  assert.equal(t.branches[0]!.entries, [
    cm(' first comment in file'),
    { kind: 'pair', key: 'lorem', value: sc('str', 'ipsum') },
    cm(' this-is-a-comment'),
    { kind: 'pair', key: 'dolor', value: sc('str', 'sit') },
  ])
  assert.is(emit(t), '# first comment in file\nlorem: ipsum\n# this-is-a-comment\ndolor: sit\n')
})

fixtureTest('comments_list.yaml: a comment inside a list is an item of the list', () => {
  const t = parse(fixture('functional-tests/res/comments_list.yaml'))
  assert.equal(val(t.branches[0]!, 'lorem'), { kind: 'seq', items: [sc('str', 'foo'), cm('this-is-a-comment'), sc('str', 'bar')] })
  assert.is(emit(t), 'lorem:\n    - foo\n    #this-is-a-comment\n    - bar\n')
})

const COMMENTED = `# head of file

# second block
app:
  # before name
  name: demo   # end of line
  port: 8080
  # foot of app
list:
  # before first
  - one  # inline one
  # before two
  - two
# foot of file
`

test('head, inline and foot comments keep their order and place (go-yaml)', () => {
  const t = parse(COMMENTED)
  const m = t.branches[0]!
  assert.equal(shape(m.entries), ['# head of file', '# second block', 'app', 'list', '# foot of file'])
  assert.equal(shape((val(m, 'app') as Mapping).entries), ['# before name', '#inline: end of line', 'name', 'port', '# foot of app'])
  assert.equal(shape((val(m, 'list') as Sequence).items as never), ['# before first', '#inline: inline one', 'scalar', '# before two', 'scalar'])
  const out = emit(t)
  assert.is(out, `# head of file
# second block
app:
    # before name
    name: demo # end of line
    port: 8080
    # foot of app
list:
    # before first
    - one # inline one
    # before two
    - two
# foot of file
`)
  assert.is(rt(out), out)
})

test('comments inside nested lists and maps stay in their collection (AAD path)', () => {
  const m = root('a:\n    b:\n        c: 1\n        # in b\n    # in a\n# in root\nl:\n    - k: 1\n      # in item map\n    - 2\n')
  assert.equal(shape((val(m, 'a', 'b') as Mapping).entries), ['c', '# in b'])
  assert.equal(shape((val(m, 'a') as Mapping).entries), ['b', '# in a'])
  assert.equal(shape(m.entries), ['a', '# in root', 'l'])
  assert.equal(shape((val(m, 'l', 0) as Mapping).entries), ['k', '# in item map'])
})

test('tags and anchors before a key do not move comments out of its map', () => {
  for (const prop of ['!!str ', '&anchor ']) {
    const m = root(`a:\n    ${prop}x: 0\n    # c\nb: 1\n`)
    assert.equal(shape((val(m, 'a') as Mapping).entries), ['x', '# c'], prop)
    assert.equal(shape(m.entries), ['a', 'b'], prop)
  }
})

test('encrypted comments in a list are written as `- ENC[…]` items and read back as comments', () => {
  const c = 'ENC[AES256_GCM,data:abc=,iv:def=,tag:ghi==,type:comment]'
  const t = doc([['l', { kind: 'seq', items: [cm(c), sc('str', 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]')] }]])
  const out = emit(t)
  assert.is(out, `l:\n    - ${c}\n    - ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n`)
  assert.equal(parse(out), t)
  // in a map an encrypted comment is a `#` line with no space
  assert.is(emit({ branches: [{ kind: 'map', entries: [cm(c), { kind: 'pair', key: 'k', value: sc('str', 'v') }] }] }), `#${c}\nk: v\n`)
})

test('two inline comments before one entry: the second goes to the next line (go-yaml, with its blank line)', () => {
  const t: Tree = { branches: [{ kind: 'map', entries: [cm('a', true), cm('b', true), { kind: 'pair', key: 'k', value: sc('str', 'v') }, { kind: 'pair', key: 'k2', value: sc('str', 'v') }] }] }
  const out = emit(t)
  assert.is(out, 'k: v #a\n\n#b\nk2: v\n')
  // read back, `#b` is a head comment of k2; from then on the text is stable
  assert.equal(shape(root(out).entries), ['#inline:a', 'k', '#b', 'k2'])
  assert.is(rt(rt(out)), rt(out))
})

test('deviation: `key: # c` before a block value or no value stays on the key line (go-yaml moves it above)', () => {
  assert.equal(shape(root('a: # c\n    b: 1\n').entries), ['#inline: c', 'a'])
  assert.is(rt('a: # c\n    b: 1\n'), 'a: # c\n    b: 1\n')
  assert.is(rt('a: # c\n  - 1\n'), 'a: # c\n    - 1\n')
  assert.is(rt('a: # c\nb: 1\n'), 'a: null # c\nb: 1\n')
})

test('deviation: comments after a list whose last item is a collection stay right after the list', () => {
  const src = 'l:\n    - x: 1\n      z: 2\n    # end of list\nm: 2\n'
  assert.equal(shape((val(root(src), 'l') as Sequence).items as never), ['map', '# end of list'])
  assert.is(rt(src), src)
})

test('deviation: a collection holding only comments is written {} / [] with the comments above its key', () => {
  const t = doc([
    ['m', { kind: 'map', entries: [cm(' in m')] }],
    ['l', { kind: 'seq', items: [cm(' in l')] }],
  ])
  const out = emit(t)
  assert.is(out, '# in m\nm: {}\n# in l\nl: []\n')
  assert.is(rt(out), out)
})

test('deviation: comments a nested list item would put on its `-` line go above the outer `-`', () => {
  const inner: Sequence = { kind: 'seq', items: [cm('c', true), { kind: 'seq', items: [sc('str', 'x')] }] }
  const out = emit(doc([['l', { kind: 'seq', items: [inner] }]]))
  assert.is(out, 'l:\n    #c\n    - - - x\n')
  assert.is(rt(out), out)
})

// ---------- documents ----------

test('multi-document files: one branch per document, `---` between them, empty ones as {}', () => {
  const t = parse('a: 1\n---\nb: 2\n---\n---\nc: [3]\n')
  assert.is(t.branches.length, 4)
  assert.equal(t.branches[2], { kind: 'map', entries: [] })
  assert.is(emit(t), 'a: 1\n---\nb: 2\n---\n{}\n---\nc:\n    - 3\n') // go-yaml
  assert.is(rt('---\na: 1\n...\n---\nb: 2\n'), 'a: 1\n---\nb: 2\n')
  assert.is(rt('# c1\nk: v\n---\n# c2\nk2: v2\n'), '# c1\nk: v\n---\n# c2\nk2: v2\n')
})

test('no document: empty, whitespace-only and comment-only files give zero branches and emit nothing', () => {
  for (const src of ['', '\n\n  \n', '# only\n# comments\n']) {
    const t = parse(src)
    assert.is(t.branches.length, 0, JSON.stringify(src))
    assert.is(emit(t), '')
  }
})

test('duplicate keys are an error in the first document only (as sops)', () => {
  assert.throws(() => parse('a: 1\nb: 2\na: 3\n'), (e: unknown) => e instanceof FormatError && e.line === 3 && e.column === 1)
  const t = parse('a: 1\n---\nx: 1\nx: 2\n')
  assert.equal(shape(t.branches[1]!.entries), ['x', 'x'])
})

test('documents that are lists or values are refused', () => {
  assert.throws(() => parse('- a\n'), (e: unknown) => e instanceof FormatError && /sequences/.test((e as Error).message))
  assert.throws(() => parse('just text\n'), (e: unknown) => e instanceof FormatError && /values/.test((e as Error).message))
  assert.equal(parse('---\n~\n').branches, [{ kind: 'map', entries: [] }])
})

test('CRLF line ends and a byte-order mark are kept', () => {
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a: 1\r\nb:\r\n  - x\r\n')])
  const out = Buffer.from(yaml.emit(yaml.parse(bom)))
  assert.ok(out.equals(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a: 1\r\nb:\r\n    - x\r\n')])))
})

// ---------- scalar types (docs/format.md §7.1, §7.5) ----------

const TYPES: Array<[string, Scalar['type'], string]> = [
  ['42', 'int', '42'],
  ['-17', 'int', '-17'],
  ['+5', 'int', '5'],
  ['0x1F', 'int', '31'],
  ['0o17', 'int', '15'],
  ['017', 'int', '15'],
  ['0b101', 'int', '5'],
  ['1_000', 'int', '1000'],
  ['9223372036854775807', 'int', '9223372036854775807'],
  ['-9223372036854775808', 'int', '-9223372036854775808'],
  ['18446744073709551615', 'int', '18446744073709551615'], // a uint64 in go-yaml; the tree has no uint type
  ['1.5', 'float', '1.5'],
  ['1.0', 'float', '1'],
  ['1e3', 'float', '1000'],
  ['.5', 'float', '0.5'],
  ['.1_0', 'float', '0.1'],
  ['-.5e3', 'float', '-500'],
  ['1_000.5', 'float', '1000.5'],
  ['.inf', 'float', '+Inf'],
  ['+.INF', 'float', '+Inf'],
  ['-.Inf', 'float', '-Inf'],
  ['.NaN', 'float', 'NaN'],
  ['1e400', 'str', '1e400'],
  ['._1', 'str', '._1'],
  ['true', 'bool', 'True'],
  ['FALSE', 'bool', 'False'],
  ['tRUE', 'str', 'tRUE'],
  ['yes', 'str', 'yes'],
  ['off', 'str', 'off'],
  ['~', 'null', ''],
  ['Null', 'null', ''],
  ['', 'null', ''],
  ['2002-12-14', 'time', '2002-12-14T00:00:00Z'],
  ['2001-12-14t21:59:43.10-05:00', 'time', '2001-12-14T21:59:43.1-05:00'],
  ['2001-12-14 21:59:43.10', 'time', '2001-12-14T21:59:43.1Z'],
  ['2001-12-14   21:59:43', 'time', '2001-12-14T21:59:43Z'], // Go's layouts match a run of spaces
  ['2001-01-01T01:02:03.1234567891Z', 'time', '2001-01-01T01:02:03.123456789Z'], // Go ≥ 1.20 drops digits past ns
  ['2001-01-01T01:02:03+00:00', 'time', '2001-01-01T01:02:03Z'],
  ['2001-01-01T01:02:03+05:60', 'time', '2001-01-01T01:02:03+06:00'],
  ['2001-01-01T01:02:03+25:00', 'str', '2001-01-01T01:02:03+25:00'],
  ['2000-02-29', 'time', '2000-02-29T00:00:00Z'],
  ['2001-02-29', 'str', '2001-02-29'],
  ['2002-13-14', 'str', '2002-13-14'],
  ['2001-01-01T01:02:03', 'str', '2001-01-01T01:02:03'],
  ['1:30', 'str', '1:30'],
  ['3.13.1', 'str', '3.13.1'],
  ['<<', 'str', '<<'],
  ['"123"', 'str', '123'],
  ["'true'", 'str', 'true'],
  ['!!str 123', 'str', '123'],
  ['!!int "42"', 'int', '42'],
  ['!!float 1', 'float', '1'],
  ['!!binary aGVsbG8=', 'str', 'hello'],
  ['!Ref some-name', 'str', 'some-name'],
]

test('scalar types as the neutral tree records them (canonical sops text)', () => {
  for (const [lit, type, text] of TYPES) assert.equal(val(root(`v: ${lit}\n`), 'v'), sc(type, text), lit)
})

test('scalar types as written (go-yaml): ints decimal, floats Go "g", RFC3339Nano times, tags dropped', () => {
  const src = 'int: 42\nhex: 0x1F\nlegacy_oct: 017\nunderscore: 1_000\nfloat: 25.4\nwhole_float: 1.0\nexp: 1e3\n' +
    'big_float: 1234567890.5\ntiny: 0.0000001\ndot: .5\ninf: .inf\nninf: -.Inf\nnan: .NaN\nt: true\nf: FALSE\n' +
    'n1: null\nn2: ~\nn3:\nts: 2001-12-14t21:59:43.10-05:00\ndate: 2002-12-14\nyes: yes\nstr: !!str 123\n' +
    'custom: !Ref value\nbinary: !!binary aGVsbG8=\n'
  assert.is(rt(src), 'int: 42\nhex: 31\nlegacy_oct: 15\nunderscore: 1000\nfloat: 25.4\nwhole_float: 1\nexp: 1000\n' +
    'big_float: 1.2345678905e+09\ntiny: 1e-07\ndot: 0.5\ninf: .inf\nninf: -.inf\nnan: .nan\nt: true\nf: false\n' +
    'n1: null\nn2: null\nn3: null\nts: 2001-12-14T21:59:43.1-05:00\ndate: 2002-12-14T00:00:00Z\n"yes": "yes"\nstr: "123"\n' +
    'custom: value\nbinary: hello\n')
  // a float that prints as an integer re-reads as an int (docs/format.md §7.5)
  assert.equal(val(root(rt('x: 1.0\n')), 'x'), sc('int', '1'))
})

test('non-UTF-8 !!binary stays bytes and is written back as !!binary', () => {
  const t = parse('b: !!binary /+7/\n')
  const b = val(t.branches[0]!, 'b') as Scalar
  assert.equal(Array.from(b.raw!), [0xff, 0xee, 0xff])
  assert.is(emit(t), 'b: !!binary /+7/\n')
  const long = emit(doc([['b', { kind: 'scalar', type: 'str', text: '', raw: new Uint8Array(60).fill(0xff) }]]))
  assert.match(long, /^b: !!binary \|\n    \/{70}\n    \/{10}\n$/)
})

test('string style selection (docs/format.md §7.3, go-yaml): quote what would read as another type', () => {
  const src = 'a: ""\nb: "123"\nc: "true"\nd: "yes"\ne: "2026-05-22T20:16:23Z"\nf: "3.10"\ng: 3.13.1\nh: "null"\n' +
    'i: "~"\nj: "1:30"\nk: "0x1F"\nl: " lead"\nm: "trail "\nn: "- dash"\no: "a: b"\np: "a #b"\nq: "#x"\nr: "it\'s"\n' +
    's: "tab\\there"\nt: "@x"\nu: "<<"\nv: "é✓😀"\nw: "\\x01"\nx: "\\u00a0"\ny: "\\ufeffbom"\n' +
    'z: "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]"\n'
  assert.is(rt(src), 'a: ""\nb: "123"\nc: "true"\nd: "yes"\ne: "2026-05-22T20:16:23Z"\nf: "3.10"\ng: 3.13.1\nh: "null"\n' +
    'i: "~"\nj: "1:30"\nk: "0x1F"\nl: \' lead\'\nm: \'trail \'\n"n": \'- dash\'\no: \'a: b\'\np: \'a #b\'\nq: \'#x\'\n' +
    'r: it\'s\ns: "tab\\there"\nt: \'@x\'\nu: !!merge <<\nv: "é✓\\U0001F600"\nw: "\\x01"\nx: \u00a0\n' +
    '"y": "\\uFEFF\\x62\\x6F\\x6D"\nz: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n')
})

test('every look-alike string survives emit → parse as the same string', () => {
  fc.assert(
    fc.property(yamlString, (s) => {
      const back = val(root(emit(doc([['k', sc('str', s)]]))), 'k')
      assert.equal(back, sc('str', s))
    }),
    { numRuns: 500 },
  )
})

test('block scalars (go-yaml): chomping and indentation indicators; folded input becomes literal', () => {
  const src = 'keep: |+\n    a\n\nclip: |\n    a\n    b\nstrip: |-\n    a\nfolded: >\n    one\n    two\n\n    three\n' +
    'space: " lead\\nx"\ntrailing: "x \\ny"\nempty_lines: "a\\n\\n\\nb"\nnested:\n    deep: |\n        line1\n        line2\n'
  assert.is(rt(src), 'keep: |+\n    a\n\nclip: |\n    a\n    b\nstrip: a\nfolded: |\n    one two\n    three\n' +
    'space: |4-\n     lead\n    x\ntrailing: "x \\ny"\nempty_lines: |-\n    a\n\n\n    b\nnested:\n    deep: |\n        line1\n        line2\n')
})

test('long values are never folded (go-yaml v3 has no line width)', () => {
  const long = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ')
  for (const text of [long, long + ' ', `#${long}`]) {
    const out = emit(doc([['k', { kind: 'map', entries: [{ kind: 'pair', key: 'l', value: { kind: 'seq', items: [sc('str', text)] } }] }]]))
    assert.is(out.split('\n').length, 4, text.slice(0, 8)) // k:, l:, the item, ''
    assert.equal(val(root(out), 'k', 'l', 0), sc('str', text))
  }
})

test('deviation: a literal block needing an indentation digit gets its real offset in lists (go-yaml writes 4)', () => {
  const t = doc([
    ['m', sc('str', ' lead\nx')],
    ['l', { kind: 'seq', items: [sc('str', ' lead\nx'), { kind: 'map', entries: [{ kind: 'pair', key: 'k', value: sc('str', '\nfirst') }] }] }],
  ])
  const out = emit(t)
  assert.is(out, 'm: |4-\n     lead\n    x\nl:\n    - |2-\n       lead\n      x\n    - k: |2-\n\n        first\n')
  assert.equal(parse(out), t)
})

test('deviation: a leading line break of a literal block is kept (go-yaml drops it)', () => {
  const t = doc([['a', sc('str', '\nlead')], ['b', sc('str', '\n')]])
  const out = emit(t)
  assert.is(out, 'a: |4-\n\n    lead\nb: |4+\n\n')
  assert.equal(parse(out), t)
})

test('deviation: text with U+2028/U+2029 is double-quoted (go-yaml writes it raw and reads it back changed)', () => {
  const t = doc([['a', sc('str', 'x\u2028y')], ['b', sc('str', '\u2029')]])
  assert.is(emit(t), 'a: "x\\Ly"\nb: "\\P"\n')
  assert.equal(parse(emit(t)), t)
})

test('keys: quoted like values, explicit `? ` form past 128 bytes or with line breaks, non-string keys kept', () => {
  assert.is(rt('"123": a\n"true": b\n"": c\n"a: b": d\nkey with spaces: e\n'), '"123": a\n"true": b\n"": c\n\'a: b\': d\nkey with spaces: e\n')
  const longKey = 'k'.repeat(129)
  assert.is(emit(doc([[longKey, sc('int', '1')]])), `? ${longKey}\n: 1\n`)
  const ml = emit(doc([['two\nlines', sc('int', '1')]]))
  assert.is(ml, '? |-\n    two\n    lines\n: 1\n')
  assert.equal(shape(root(ml).entries), ['two\nlines'])
  const m = root('1: a\ntrue: b\n1.5: c\nnull: d\n0x10: e\n')
  assert.equal(shape(m.entries), ['1', 'true', '1.5', 'null', '16'])
  assert.is(rt('1: a\ntrue: b\n1.5: c\nnull: d\n0x10: e\n'), '1: a\ntrue: b\n1.5: c\nnull: d\n16: e\n')
})

test('empty collections are {} / []; flow collections become block (go-yaml)', () => {
  const src = 'm: {}\nl: []\nflow: {a: 1, b: [x, y, {c: 3}]}\nnested_empty: [[], {}]\n'
  const m = root(src)
  assert.equal(val(m, 'm'), { kind: 'map', entries: [] })
  assert.equal(val(m, 'l'), { kind: 'seq', items: [] })
  assert.is(rt(src), 'm: {}\nl: []\nflow:\n    a: 1\n    b:\n        - x\n        - "y"\n        - c: 3\nnested_empty:\n    - []\n    - {}\n')
})

test('anchors and aliases are expanded into copies; `<<` stays a plain key (go-yaml writes !!merge)', () => {
  const src = 'base: &base\n    user: admin\n    port: 5432\nprod:\n    <<: *base\n    port: 6543\nlist: &l [1, 2]\ncopy: *l\nscalar: &s text\nscalar_copy: *s\n'
  const m = root(src)
  assert.equal(val(m, 'prod', '<<'), val(m, 'base'))
  assert.equal(shape((val(m, 'prod') as Mapping).entries), ['<<', 'port'])
  assert.equal(val(m, 'copy'), val(m, 'list'))
  assert.equal(val(m, 'scalar_copy'), sc('str', 'text'))
  assert.is(rt(src), 'base:\n    user: admin\n    port: 5432\nprod:\n    !!merge <<:\n        user: admin\n        port: 5432\n    port: 6543\n' +
    'list:\n    - 1\n    - 2\ncopy:\n    - 1\n    - 2\nscalar: text\nscalar_copy: text\n')
  // the expanded copy is a copy: changing it leaves the original alone
  ;(val(m, 'copy') as Sequence).items.pop()
  assert.is((val(m, 'list') as Sequence).items.length, 2)
  assert.equal(root('"<<": x\n').entries, [{ kind: 'pair', key: '<<', value: sc('str', 'x') }])
})

test('emitValue: strings raw, maps as documents, other values as one-value documents', () => {
  const ev = (n: Node): string => Buffer.from(yaml.emitValue(n)).toString()
  assert.is(ev(sc('str', 'multi\nline: x')), 'multi\nline: x')
  assert.is(ev({ kind: 'map', entries: [{ kind: 'pair', key: 'a', value: sc('int', '1') }] }), 'a: 1\n')
  assert.is(ev({ kind: 'seq', items: [sc('int', '1'), sc('str', 'x')] }), '- 1\n- x\n')
  assert.is(ev(sc('bool', 'True')), 'true\n')
  assert.is(ev(sc('float', '25.4')), '25.4\n')
  assert.is(ev(sc('null', '')), 'null\n')
  assert.is(ev({ kind: 'map', entries: [] }), '{}\n')
})

// ---------- errors ----------

const CANARY = 'CANARY-yaml-xyz'
const BAD: Array<[string, string, number, number]> = [
  ['bad indentation', `a: 1\n  b: ${CANARY}\n c: 2\n`, 1, 4],
  ['unclosed quote', `a: "${CANARY}\n`, 2, 1],
  ['unclosed flow', `a: [${CANARY}, 2\n`, 2, 1],
  ['tab indentation', `a:\n\tb: ${CANARY}\n`, 2, 1],
  ['duplicate key', `a: ${CANARY}\na: 2\n`, 2, 1],
  ['bad escape', `a: "\\q${CANARY}"\n`, 1, 5],
  ['undefined alias', `a: *${CANARY}\n`, 1, 4],
  ['list document', `- ${CANARY}\n`, 1, 1],
  ['value document', `${CANARY}\n`, 1, 1],
  ['tag mismatch', `a: !!int ${CANARY}\n`, 1, 10],
  ['bad base64', `a: !!binary ${CANARY}\n`, 1, 13],
  ['two anchors', `a: &x &y ${CANARY}\n`, 1, 7],
  ['key over 1024 chars', `${'k'.repeat(1100)}${CANARY}: 1\n`, 1, 1],
  ['junk after document end', `a: 1\n... ${CANARY}\n`, 2, 5],
  ['block in flow', `a: [b:\n  - ${CANARY}]\n`, 2, 3],
  ['self-referencing alias', `a: &a\n  b: *a\n  c: ${CANARY}\n`, 2, 6],
]

test('malformed YAML → FormatError (exit 2, as sops) with line/column, never any text of the input', () => {
  for (const [name, src, line, column] of BAD) {
    try {
      parse(src)
      assert.unreachable(name)
    } catch (e) {
      assert.instance(e, FormatError, name)
      const err = e as FormatError
      assert.is(err.exitCode, 2, name)
      assert.is(err.line, line, `${name} line`)
      assert.is(err.column, column, `${name} column`)
      assert.match(err.message, new RegExp(`at line ${line}, column ${column}$`), name)
      for (const text of [err.message, String(err.stack)]) {
        assert.not.ok(text.includes(CANARY), `${name}: canary leaked`)
        assert.not.ok(text.includes('kkkk'), `${name}: source leaked`)
      }
    }
  }
})

test('invalid UTF-8 → FormatError at the first bad byte', () => {
  const bytes = Buffer.concat([Buffer.from(`ok: é\n${CANARY}: `), Buffer.from([0xc0, 0x80])])
  try {
    yaml.parse(bytes)
    assert.unreachable()
  } catch (e) {
    assert.instance(e, FormatError)
    assert.is((e as FormatError).line, 2)
    assert.is((e as FormatError).column, CANARY.length + 3)
    assert.not.ok(String((e as Error).stack).includes(CANARY))
  }
})

/** `levels` anchors, each a list of `fan` aliases to the previous one: fan^levels leaves. */
const aliasBomb = (levels: number, fan: number): string => {
  let s = `a0: &a0 [${CANARY}, x]\n`
  for (let i = 1; i < levels; i++) s += `a${i}: &a${i} [${Array(fan).fill(`*a${i - 1}`).join(', ')}]\n`
  return s
}

test('alias bomb ("billion laughs") is refused (LimitExceededError), not expanded into memory', () => {
  for (const [levels, fan] of [[10, 9], [30, 4], [64, 2]] as const) {
    try {
      parse(aliasBomb(levels, fan))
      assert.unreachable(`${levels}x${fan}`)
    } catch (e) {
      assert.instance(e, LimitExceededError)
      assert.match((e as Error).message, /aliases expand to too much data \(more than 10× the file's size plus 1 MiB\) at line \d+, column \d+$/)
      assert.not.ok(String((e as Error).stack).includes(CANARY))
    }
  }
  // ordinary use of aliases is fine
  const m = root(aliasBomb(4, 3))
  assert.is((val(m, 'a3') as Sequence).items.length, 3)
})

/** 300 aliases of one 1 MB value: a 1 MB file that stood for a 300 MB tree (~2.8 GB once encrypted and written). */
const aliasFanOut = (valueBytes: number, aliases: number): string =>
  `big: &v ${'x'.repeat(valueBytes)}\ncopies:\n${'    - *v\n'.repeat(aliases)}`

test('alias fan-out (300 aliases of one 1 MB value) is refused by the expanded-bytes budget, not by node count', () => {
  const src = aliasFanOut(1_000_000, 300)
  try {
    parse(src)
    assert.unreachable('the fan-out was expanded')
  } catch (e) {
    assert.instance(e, LimitExceededError)
    assert.is((e as LimitExceededError).exitCode, 15)
    // the alias that went over: the 11th copy (11 MB > 10 × 1 MB + 1 MiB), on line 13
    assert.match((e as Error).message, /^YAML aliases expand to too much data \(more than 10× the file's size plus 1 MiB\) at line 13, column 7$/)
  }
  // within the budget: 9 copies of a 1 MB value (≈ 9× the file) are fine, and so is a small value many times
  assert.is((val(root(aliasFanOut(1_000_000, 9)), 'copies') as Sequence).items.length, 9)
  assert.is((val(root(aliasFanOut(100, 20_000)), 'copies') as Sequence).items.length, 20_000)
  // keys count too: aliases as keys of a big map, and comments copied with an aliased collection
  // (in a second document, where sops does not check duplicate keys)
  const keyFan = `a: 1\n---\nk: &k ${'y'.repeat(500_000)}\nm:\n${Array.from({ length: 30 }, (_, i) => `    ? *k\n    : ${i}\n`).join('')}`
  assert.throws(() => parse(keyFan), (e: unknown) => e instanceof LimitExceededError)
  const commentFan = `a: &a\n    # ${'c'.repeat(1_000_000)}\n    k: v\nl: [${Array(30).fill('*a').join(', ')}]\n`
  assert.throws(() => parse(commentFan), (e: unknown) => e instanceof LimitExceededError)
})

test('10,000-level nesting is a clean FormatError / EmitError, not a crash; 200 levels work', () => {
  const deep = [
    'a: ' + '['.repeat(10000) + ']'.repeat(10000) + '\n',
    'a: ' + '{k: '.repeat(10000) + CANARY + '}'.repeat(10000) + '\n',
    'a:\n' + '- '.repeat(10000) + CANARY + '\n',
  ]
  for (const src of deep) {
    try {
      parse(src)
      assert.unreachable()
    } catch (e) {
      assert.instance(e, FormatError)
      assert.match((e as Error).message, /nesting is too deep/)
      assert.not.ok(String((e as Error).stack).includes(CANARY))
    }
  }
  let n: Node = sc('str', 'x')
  for (let i = 0; i < 10000; i++) n = i % 2 ? { kind: 'map', entries: [{ kind: 'pair', key: 'k', value: n }] } : { kind: 'seq', items: [n] }
  assert.throws(() => yaml.emit(doc([['a', n]])), (e: unknown) => e instanceof EmitError && e.exitCode === 4)
  assert.throws(() => yaml.emitValue(n), (e: unknown) => e instanceof EmitError)
  const ok = parse('a: ' + '['.repeat(200) + '1' + ']'.repeat(200) + '\n')
  assert.equal(parse(emit(ok)), ok)
})

// ---------- properties ----------

test('property: parse(emit(tree)) = tree and emit → parse → emit is stable (scalars of every type, comments)', () => {
  fc.assert(
    fc.property(canonicalTree, (t) => {
      const once = emit(t)
      const back = parse(once)
      assert.equal(back, t)
      assert.is(emit(back), once)
    }),
    { numRuns: 300 },
  )
})

test('property: any tree (comments anywhere) emits YAML that reads back, and is stable from the first re-read on', () => {
  fc.assert(
    fc.property(looseTree, (t) => {
      const first = emit(t)
      const second = emit(parse(first))
      assert.is(emit(parse(second)), second)
    }),
    { numRuns: 300 },
  )
})

test.run()
