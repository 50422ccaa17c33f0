import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { dotenvFormat } from '../../../src/formats/dotenv/index.js'
import { EmitError, FormatError } from '../../../src/errors.js'
import type { Comment, Node, Pair, Scalar, Tree } from '../../../src/core/tree.js'
import { fixture, needsFixtures } from '../../helpers/fixtures.js'

const fixtureTest = needsFixtures(test, import.meta.url)

const parse = (s: string | Uint8Array): Tree => dotenvFormat.parse(typeof s === 'string' ? Buffer.from(s, 'utf8') : s)
const emit = (t: Tree): string => Buffer.from(dotenvFormat.emit(t)).toString('utf8')
const items = (s: string): Array<Pair | Comment> => parse(s).branches[0]!.entries
const sc = (type: Scalar['type'], text: string): Scalar => ({ kind: 'scalar', type, text })
const pair = (key: string, value: Node): Pair => ({ kind: 'pair', key, value })
const cmt = (text: string): Comment => ({ kind: 'comment', text, inline: false })
const doc = (entries: Array<Pair | Comment>): Tree => ({ branches: [{ kind: 'map', entries }] })

fixtureTest('format.enc.env: parse + emit reproduces the sops file byte for byte', () => {
  const bytes = fixture('functional-tests/res/format.enc.env')
  const t = dotenvFormat.parse(bytes)
  assert.ok(Buffer.from(dotenvFormat.emit(t)).equals(bytes))
  const [first] = t.branches[0]!.entries as Pair[]
  assert.is(first!.key, 'foo ') // untrimmed key, AAD "foo :"
  assert.match((first!.value as Scalar).text, /^ENC\[AES256_GCM,data:XBV7lQ==,/)
  const enc = t.branches[0]!.entries.find((e) => e.kind === 'pair' && e.key === 'sops_pgp__list_0__map_enc') as Pair
  const text = (enc.value as Scalar).text
  assert.ok(text.startsWith('-----BEGIN PGP MESSAGE-----\n\nwcBM'), 'two-char \\n became newlines')
  assert.ok(text.endsWith('\n-----END PGP MESSAGE-----'))
})

test('reading: first "=" splits, nothing trimmed or unquoted, "#" lines are comments, blank lines skipped', () => {
  assert.equal(items('A=1\n\n# hello\nB = "two"=2\nexport C=3\n#\nD=\n=E\n'), [
    pair('A', sc('str', '1')),
    cmt(' hello'),
    pair('B ', sc('str', ' "two"=2')),
    pair('export C', sc('str', '3')),
    cmt(''),
    pair('D', sc('str', '')),
    pair('', sc('str', 'E')),
  ])
  assert.equal(items(''), [])
  assert.equal(items('\n\n'), [])
  assert.equal(items('X=no final newline'), [pair('X', sc('str', 'no final newline'))])
  assert.equal(items(' #not a comment=1'), [pair(' #not a comment', sc('str', '1'))])
})

test('reading: the two characters \\n become a newline; other escapes stay', () => {
  assert.equal(items('K=a\\nb\\tc\\\\nd\n'), [pair('K', sc('str', 'a\nb\\tc\\\nd'))])
})

test('CRLF files round-trip byte for byte (\\r stays in keys, values and comments)', () => {
  const src = '#c\r\nA=1\r\nB=x y\r\n'
  assert.equal(items(src), [cmt('c\r'), pair('A', sc('str', '1\r')), pair('B', sc('str', 'x y\r'))])
  assert.is(emit(parse(src)), src)
})

test('non-UTF-8 values keep their exact bytes', () => {
  const src = Buffer.concat([Buffer.from('K=a'), Buffer.from([0xff, 0xfe]), Buffer.from('\\nz\nL=ok\n')])
  const t = parse(src)
  const v = (t.branches[0]!.entries[0] as Pair).value as Scalar
  assert.ok(v.raw && Buffer.from(v.raw).equals(Buffer.from([0x61, 0xff, 0xfe, 0x0a, 0x7a])))
  assert.equal((t.branches[0]!.entries[1] as Pair).value, sc('str', 'ok'))
  assert.ok(Buffer.from(dotenvFormat.emit(t)).equals(src))
})

test('a BOM stays part of the first key (as in sops) and round-trips', () => {
  const src = '\ufeffA=1\n'
  assert.is((items(src)[0] as Pair).key, '\ufeffA')
  assert.is(emit(parse(src)), src)
})

const CANARY = 'CANARY-9f3'

test('a line without "=" → FormatError with its line number, no input text', () => {
  for (const [src, line] of [[`A=1\n\n${CANARY}\n`, 3], [`${CANARY}`, 1], ['A=1\n\r\n', 2], [`#x\nexport ${CANARY}\n`, 2]] as const) {
    try {
      parse(src)
      assert.unreachable()
    } catch (e) {
      assert.instance(e, FormatError)
      assert.is((e as FormatError).line, line)
      assert.not.ok((e as Error).message.includes(CANARY))
    }
  }
})

test('writing: comments, newlines as \\n, every line ends with \\n', () => {
  assert.is(emit(doc([cmt(' top'), pair('A', sc('str', 'l1\nl2')), pair('B', sc('str', '')), cmt('ENC[x]')])), '# top\nA=l1\\nl2\nB=\n#ENC[x]\n')
  assert.is(emit(doc([])), '')
})

test('writing: non-strings via ValToString', () => {
  const out = emit(doc([
    pair('t', sc('bool', 'True')),
    pair('f', sc('bool', 'False')),
    pair('i', sc('int', '-42')),
    pair('f1', sc('float', '3')),
    pair('f2', sc('float', '25.4')),
    pair('f3', sc('float', '1234567')),
    pair('f4', sc('float', '0.00001')),
    pair('n', sc('null', '')),
    pair('d', sc('time', '2024-01-02T03:04:05.123Z')),
  ]))
  assert.is(out, 't=true\nf=false\ni=-42\nf1=3.0\nf2=25.4\nf3=1.234567E+06\nf4=1E-05\nn=<nil>\nd=2024-01-02T03:04:05Z\n')
})

test('writing: nested values and keys that would not read back → EmitError naming only the key', () => {
  const cases: Array<[Pair | Comment, RegExp]> = [
    [pair('nested', { kind: 'map', entries: [pair('x', sc('str', 'CANARY-9f3'))] }), /complex value.*nested/],
    [pair('list', { kind: 'seq', items: [sc('str', 'CANARY-9f3')] }), /complex value.*list/],
    [pair('a=b', sc('str', 'CANARY-9f3')), /a=b/],
    [pair('#k', sc('str', 'CANARY-9f3')), /#k/],
    [pair('a\nb', sc('str', 'CANARY-9f3')), /key/],
    [cmt('two\nlines CANARY-9f3'), /comment/],
  ]
  for (const [item, re] of cases) {
    try {
      emit(doc([item]))
      assert.unreachable()
    } catch (e) {
      assert.instance(e, EmitError)
      assert.match((e as Error).message, re)
      assert.not.ok((e as Error).message.includes(CANARY))
    }
  }
})

test('emitValue: strings only (raw, no newline)', () => {
  assert.is(Buffer.from(dotenvFormat.emitValue(sc('str', 'a\nb'))).toString(), 'a\nb')
  assert.throws(() => dotenvFormat.emitValue(sc('int', '1')), (e: unknown) => e instanceof EmitError)
  assert.throws(() => dotenvFormat.emitValue({ kind: 'map', entries: [] }), (e: unknown) => e instanceof EmitError)
})

// Keys: no '=' or '\n', not starting with '#'; a one-char-line key/value cannot be empty+empty (that is "=", still fine).
const keyArb = fc.string({ unit: 'binary', maxLength: 8 }).filter((k) => !k.includes('=') && !k.includes('\n') && !k.startsWith('#'))
// Values: anything except a literal backslash followed by "n" (indistinguishable from an escaped newline, by design).
const valueArb = fc.string({ unit: 'binary', maxLength: 12 }).filter((v) => !v.includes('\\n'))
const commentArb = fc.string({ unit: 'binary', maxLength: 10 }).filter((c) => !c.includes('\n'))
const itemArb: fc.Arbitrary<Pair | Comment> = fc.oneof(
  fc.tuple(keyArb, valueArb).map(([k, v]) => pair(k, sc('str', v))),
  commentArb.map((c) => cmt(c)),
)

test('property: parse(emit(t)) = t and emit is stable', () => {
  fc.assert(
    fc.property(fc.array(itemArb, { maxLength: 8 }), (entries) => {
      const t = doc(entries)
      const once = dotenvFormat.emit(t)
      const back = dotenvFormat.parse(once)
      assert.equal(back, t)
      assert.ok(Buffer.from(dotenvFormat.emit(back)).equals(Buffer.from(once)))
    }),
    { numRuns: 500 },
  )
})

test('property: parse then emit of arbitrary valid dotenv text is stable', () => {
  const line = fc.oneof(
    fc.tuple(keyArb, fc.string({ maxLength: 10 })).map(([k, v]) => `${k}=${v.replace(/\n/g, '')}`),
    commentArb.map((c) => '#' + c),
    fc.constant(''),
  )
  fc.assert(
    fc.property(fc.array(line, { maxLength: 8 }), (lines) => {
      const once = dotenvFormat.emit(parse(lines.join('\n')))
      assert.ok(Buffer.from(dotenvFormat.emit(dotenvFormat.parse(once))).equals(Buffer.from(once)))
    }),
    { numRuns: 300 },
  )
})

test.run()
