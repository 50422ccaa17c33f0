import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { iniFormat } from '../../../src/formats/ini/index.js'
import { EmitError, FormatError } from '../../../src/errors.js'
import type { Comment, Mapping, Node, Pair, Scalar, Tree } from '../../../src/core/tree.js'
import { fixture, needsFixtures } from '../../helpers/fixtures.js'

const fixtureTest = needsFixtures(test, import.meta.url)

const parse = (s: string | Uint8Array): Tree => iniFormat.parse(typeof s === 'string' ? Buffer.from(s, 'utf8') : s)
const emit = (t: Tree): string => Buffer.from(iniFormat.emit(t)).toString('utf8')
const sc = (text: string, type: Scalar['type'] = 'str'): Scalar => ({ kind: 'scalar', type, text })
const pair = (key: string, value: Node): Pair => ({ kind: 'pair', key, value })
const kv = (key: string, value: string): Pair => pair(key, sc(value))
const cmt = (text: string): Comment => ({ kind: 'comment', text, inline: false })
const section = (name: string, ...entries: Array<Pair | Comment>): Pair => pair(name, { kind: 'map', entries })
const doc = (...sections: Pair[]): Tree => ({ branches: [{ kind: 'map', entries: sections }] })
/** Sections as [name, [key, value] | ['#', comment]] for compact assertions. */
const view = (t: Tree): unknown =>
  t.branches[0]!.entries.map((s) => {
    const p = s as Pair
    return [p.key, (p.value as Mapping).entries.map((e) => (e.kind === 'pair' ? [e.key, (e.value as Scalar).text] : ['#', e.text]))]
  })

// ---------- goldens ----------

fixtureTest('format.enc.ini: parse + emit reproduces the sops file byte for byte', () => {
  const bytes = fixture('functional-tests/res/format.enc.ini')
  const t = iniFormat.parse(bytes)
  assert.ok(Buffer.from(iniFormat.emit(t)).equals(bytes))
  const v = view(t) as Array<[string, Array<[string, string]>]>
  assert.equal(v.map(([n]) => n), ['DEFAULT', 'foo', 'sops'])
  assert.equal(v[0]![1], [])
  assert.match(v[1]![1][0]![1], /^ENC\[AES256_GCM,data:Upwq,/)
  const enc = v[2]![1].find(([k]) => k === 'pgp__list_0__map_enc')![1]
  assert.ok(enc.startsWith('-----BEGIN PGP MESSAGE-----\\n\\nwcBM'), 'metadata newlines stay as the two chars \\n here')
})

fixtureTest('format-2.enc.ini: """ multi-line metadata parses with real newlines and re-emits byte for byte', () => {
  const bytes = fixture('functional-tests/res/format-2.enc.ini')
  const t = iniFormat.parse(bytes)
  const sops = (view(t) as Array<[string, Array<[string, string]>]>).find(([n]) => n === 'sops')![1]
  const enc = sops.find(([k]) => k === 'pgp__list_0__map_enc')![1]
  assert.ok(enc.startsWith('-----BEGIN PGP MESSAGE-----\n\nwcBMAyUpShfNkFB/AQf/eLAAHlnmaYZGuitpb7FU3tarxgRLHKoRSYCXBWg1CSPJ\n'))
  assert.ok(enc.endsWith('\n=j3Rn\n-----END PGP MESSAGE-----'))
  assert.equal(sops.find(([k]) => k === 'version'), ['version', '3.13.1'])
  assert.ok(Buffer.from(iniFormat.emit(t)).equals(bytes))
})

fixtureTest('example.ini (sops 3.5.0): section comment first, clear value; re-emit drops only the old trailing blank line', () => {
  const bytes = fixture('example.ini')
  const t = iniFormat.parse(bytes)
  const v = view(t) as Array<[string, Array<[string, string]>]>
  assert.equal(v.map(([n]) => n), ['DEFAULT', 'name', 'address', 'phoneNumbers', 'not private', 'sops'])
  const [first] = v[1]![1]
  assert.is(first![0], '#')
  assert.match(first![1], /^ENC\[AES256_GCM,data:EexYkXJHDv1E9WwU8wUrBakxAZcnlIkAJQgRFts3alF\+5w==,.*type:comment\]$/)
  assert.equal(v[4]![1], [['notsecret_unencrypted', 'hi there!']])
  assert.ok(Buffer.from(iniFormat.emit(t)).equals(bytes.subarray(0, bytes.length - 1)))
})

// ---------- reading ----------

test('reading: DEFAULT first, delimiters, trimming, quotes, comments, duplicates', () => {
  const src = [
    'top = 1',
    '; sec comment',
    '# second',
    '[s] ; inline',
    'a = x;y',
    '; before b',
    'b: "  q  "',
    "c = 'single'",
    'd = `v # w`',
    'e = """l1',
    'l2"""   ; after',
    'f = cont \\',
    '  more\\',
    ' end',
    'g = "in"side"',
    'url = http://h:1/p',
    '- = auto',
    '- = auto2',
    '  [ spaced ]',
    'a=dup',
    'a=dup2',
    'empty=',
    '[s]',
    'k :v',
    '',
  ].join('\n')
  assert.equal(view(parse(src)), [
    ['DEFAULT', [['top', '1']]],
    ['s', [
      ['#', 'sec comment\n# second\n; inline'],
      ['a', 'x'], ['#', 'y'],
      ['b', '  q  '], ['#', 'before b'],
      ['c', 'single'],
      ['d', 'v # w'],
      ['e', 'l1\nl2'], ['#', 'after'],
      ['f', 'cont moreend'],
      ['g', '"in"side"'],
      ['url', 'http://h:1/p'],
      ['#1', 'auto'],
      ['#2', 'auto2'],
    ]],
    [' spaced ', [['a', 'dup2'], ['empty', '']]],
    ['s', [['k', 'v']]],
  ])
})

test('reading: quoted keys, comments at the end are dropped, CRLF and BOM', () => {
  assert.equal(view(parse('`a=b` = 1\n"c:d" = 2\n"""e`f""" = 3\n; dangling\n')), [['DEFAULT', [['a=b', '1'], ['c:d', '2'], ['e`f', '3']]]])
  assert.equal(view(parse('\ufeff[x]\r\n; c\r\nk = v\r\nm = """a\r\nb"""\r\n')), [['DEFAULT', []], ['x', [['k', 'v'], ['#', 'c'], ['m', 'a\r\nb']]]])
  assert.equal(view(parse('')), [['DEFAULT', []]])
})

const CANARY = 'CANARY-9f3'
const bad: Array<[string, string, number]> = [
  ['no delimiter', `[a]\nk = 1\n${CANARY}\n`, 3],
  ['unclosed section', `\n[${CANARY}\n`, 2],
  ['empty section name', `a=1\n[]\nb=${CANARY}\n`, 2],
  ['empty key name', `= ${CANARY}\n`, 1],
  ['empty key name (colon)', `x=1\n  : ${CANARY}\n`, 2],
  ['quoted empty key', `"" = ${CANARY}\n`, 1],
  ['missing closing key quote', `"${CANARY} = 1\n`, 1],
  ['quoted key without delimiter', `\`${CANARY}\` x\n`, 1],
  ['unterminated """ value', `a=1\nk = """${CANARY}\nmore\n`, 2],
  ['unterminated backtick value', `k = \`${CANARY}`, 1],
]

test('bad input → FormatError with line number, never the input text', () => {
  for (const [name, src, line] of bad) {
    try {
      parse(src)
      assert.unreachable(name)
    } catch (e) {
      assert.instance(e, FormatError, name)
      assert.is((e as FormatError).line, line, name)
      assert.not.ok((e as Error).message.includes(CANARY), name)
    }
  }
})

// ---------- writing ----------

test('writing: padding, comment placement, DEFAULT without header, blank line between sections', () => {
  const t = doc(
    section('DEFAULT', kv('d', '1')),
    section('first', cmt('about first'), kv('a', 'x'), cmt('about a'), kv('longer_key', 'y')),
    section('empty'),
    section('last', kv('k', 'v'), cmt('#hash  '), cmt('wins')),
  )
  assert.is(emit(t), [
    'd = 1',
    '',
    '; about first',
    '[first]',
    '; about a',
    'a          = x',
    'longer_key = y',
    '',
    '[empty]',
    '',
    '[last]',
    '; wins',
    'k = v',
    '',
  ].join('\n'))
})

test('writing: empty DEFAULT is skipped; DEFAULT not first gets a header; top-level comments skipped', () => {
  const t: Tree = { branches: [{ kind: 'map', entries: [cmt('top'), section('DEFAULT'), section('a', kv('k', 'v')), section('DEFAULT', kv('x', 'y'))] }] }
  assert.is(emit(t), '[a]\nk = v\n\n[DEFAULT]\nx = y\n')
  assert.is(emit(doc(section('a', kv('k', 'v')))), '[a]\nk = v\n')
  assert.is(emit(doc(section('DEFAULT'))), '')
})

test('writing: comment line prefixes like ini.v1', () => {
  const t = doc(section('s', cmt('line1\n# own hash\n;  own semi  \n  spaced'), kv('k', 'v'), cmt('  k1  \n#k2')))
  assert.is(emit(t), '; line1\n# own hash\n; own semi\n;   spaced\n[s]\n; k1\n# k2\nk = v\n')
})

test('writing: value quoting rules', () => {
  const t = doc(section('s',
    kv('nl', 'a\nb'),
    kv('bt', 'a`b'),
    kv('hash', 'a#b'),
    kv('semi', 'a;b'),
    kv('lead', ' a'),
    kv('trail', 'a\t'),
    kv('empty', ''),
    kv('plain', 'x = y: "z"'),
  ))
  assert.is(emit(t), [
    '[s]',
    'nl    = """a\nb"""',
    'bt    = """a`b"""',
    'hash  = `a#b`',
    'semi  = `a;b`',
    'lead  = " a"',
    'trail = "a\t"',
    'empty = ',
    'plain = x = y: "z"',
    '',
  ].join('\n'))
})

test('writing: key quoting (ini.v1), byte-length alignment', () => {
  const t = doc(section('s', kv('a=b', '1'), kv('q"k', '2'), kv('b`t', '3'), kv('é', '4')))
  assert.is(emit(t), '[s]\n`a=b`     = 1\n`q"k`     = 2\n"""b`t""" = 3\né' + ' '.repeat(7) + ' = 4\n')
})

test('writing beyond ini.v1: keys and values that would not read back get a quoting that does', () => {
  const t = doc(section('s', kv('#1', 'a'), kv(';k', 'b'), kv('[k', 'c'), kv('p', 'C:\\dir\\'), kv('q', "'x'"), kv('r', '"y"'), kv('s', ' "z" ')))
  const out = emit(t)
  assert.is(out, '[s]\n`#1` = a\n`;k` = b\n`[k` = c\np    = `C:\\dir\\`\nq    = `\'x\'`\nr    = `"y"`\ns    = ` "z" `\n')
  assert.equal(view(parse(out)), [['DEFAULT', []], ...(view(t) as unknown[])])
})

test('writing: non-string scalars via ValToString', () => {
  const t = doc(section('s', pair('b', sc('True', 'bool')), pair('f', sc('123456', 'float')), pair('i', sc('7', 'int')), pair('n', sc('', 'null'))))
  assert.is(emit(t), '[s]\nb = true\nf = 123456.0\ni = 7\nn = <nil>\n')
})

test('writing errors: EmitError naming at most the key', () => {
  const cases: Tree[] = [
    doc(pair('s', sc(CANARY))),
    doc(section('s', pair('k', { kind: 'map', entries: [kv('x', CANARY)] }))),
    doc(section('s', pair('k', { kind: 'seq', items: [sc(CANARY)] }))),
    doc(section('', kv('k', CANARY))),
    doc(section('a\nb', kv('k', CANARY))),
    doc(section('s', kv('', CANARY))),
    doc(section('s', kv('-', CANARY))),
    doc(section('s', kv(' padded', CANARY))),
    doc(section('s', kv('k', 'a\nb"""c`\n' + CANARY))),
  ]
  for (const t of cases) {
    try {
      emit(t)
      assert.unreachable()
    } catch (e) {
      assert.instance(e, EmitError)
      assert.not.ok((e as Error).message.includes(CANARY))
    }
  }
})

test('emitValue: str raw, map as INI, others compact JSON', () => {
  const ev = (n: Node): string => Buffer.from(iniFormat.emitValue(n)).toString()
  assert.is(ev(sc('a\nb')), 'a\nb')
  assert.is(ev({ kind: 'map', entries: [section('s', kv('k', 'v'))] }), '[s]\nk = v\n')
  assert.is(ev({ kind: 'seq', items: [sc('a<'), sc('1', 'int'), { kind: 'map', entries: [kv('k', 'v')] }] }), '["a\\u003c",1,{"k":"v"}]')
  assert.is(ev(sc('True', 'bool')), 'true')
})

// ---------- properties ----------

const safeText = fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9 ,.!?=:#;]{0,10}[A-Za-z0-9.!?])?$/)
const keyArb = fc.stringMatching(/^[A-Za-z0-9_.`"=:#;\[\]-](?:[A-Za-z0-9_. `"=:#;\[\]-]{0,6}[A-Za-z0-9_.`"=:#;\]-])?$/).filter((k) => k !== '-')
const valueArb = fc.string({ unit: fc.constantFrom(...'ab 9\t\n`"\'#;\\=:[]é'.split('')), maxLength: 10 })
const keysArb = fc.uniqueArray(fc.tuple(keyArb, valueArb, fc.option(safeText, { nil: undefined })), { selector: ([k]) => k, maxLength: 5 })
const entriesOf = (keys: Array<[string, string, string | undefined]>): Array<Pair | Comment> =>
  keys.flatMap(([k, v, c]) => (c === undefined ? [kv(k, v)] : [kv(k, v), cmt(c)]))
const sectionArb = fc
  .tuple(fc.stringMatching(/^[A-Za-z0-9 ._:#;[-]{1,8}$/), fc.option(safeText, { nil: undefined }), keysArb)
  .map(([name, c, keys]) => section(name, ...(c === undefined ? [] : [cmt(c)]), ...entriesOf(keys)))
const treeArb = fc
  .tuple(keysArb, fc.array(sectionArb, { maxLength: 4 }))
  .map(([defaults, rest]) => doc(section('DEFAULT', ...entriesOf(defaults)), ...rest))

test('property: parse(emit(t)) = t and emit is stable, for every tree that can be written', () => {
  let written = 0
  fc.assert(
    fc.property(treeArb, (t) => {
      let once: Uint8Array
      try {
        once = iniFormat.emit(t)
      } catch (e) {
        assert.instance(e, EmitError)
        return
      }
      written++
      const back = iniFormat.parse(once)
      assert.equal(view(back), view(t))
      assert.ok(Buffer.from(iniFormat.emit(back)).equals(Buffer.from(once)))
    }),
    { numRuns: 400 },
  )
  assert.ok(written > 300, `only ${written} trees could be written`)
})

test('property: values without """ and keys without both ` and " can always be written', () => {
  fc.assert(
    fc.property(keyArb.filter((k) => !(k.includes('`') && k.includes('"'))), valueArb.filter((v) => !v.includes('"""')), (k, v) => {
      const back = view(parse(emit(doc(section('s', kv(k, v))))))
      assert.equal(back, [['DEFAULT', []], ['s', [[k, v]]]])
    }),
    { numRuns: 500 },
  )
})

test.run()
