import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { binaryFormat } from '../../../src/formats/binary/index.js'
import { EmitError } from '../../../src/errors.js'
import type { Pair, Scalar, Tree } from '../../../src/core/tree.js'

const data = (t: Tree): Scalar => {
  assert.is(t.branches.length, 1)
  const [p] = t.branches[0]!.entries as Pair[]
  assert.is(t.branches[0]!.entries.length, 1)
  assert.is(p!.key, 'data')
  return p!.value as Scalar
}

test('text file → one data string with exact bytes; emit gives the bytes back (no newline added)', () => {
  const bytes = Buffer.from('Welcome to SOPS!\n\nline')
  const t = binaryFormat.parse(bytes)
  const v = data(t)
  assert.is(v.type, 'str')
  assert.is(v.text, 'Welcome to SOPS!\n\nline')
  assert.ok(Buffer.from(v.raw!).equals(bytes))
  assert.ok(Buffer.from(binaryFormat.emit(t)).equals(bytes))
})

test('non-UTF-8 bytes and a BOM round-trip exactly', () => {
  const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x00, 0xff, 0xfe, 0x80, 0x41, 0x0d, 0x0a])
  const t = binaryFormat.parse(bytes)
  assert.ok(data(t).text.startsWith('\ufeff\u0000\ufffd'))
  assert.ok(Buffer.from(binaryFormat.emit(t)).equals(bytes))
})

test('the parsed raw bytes are a copy, not a view of the input', () => {
  const bytes = Buffer.from('abc')
  const t = binaryFormat.parse(bytes)
  bytes[0] = 0x7a
  assert.ok(Buffer.from(binaryFormat.emit(t)).equals(Buffer.from('abc')))
})

test('empty file → data "" and back to zero bytes', () => {
  const t = binaryFormat.parse(new Uint8Array(0))
  assert.is(data(t).text, '')
  assert.is(binaryFormat.emit(t).length, 0)
})

test('emit uses text when no raw bytes (a decrypted str), and finds data among other keys', () => {
  const t: Tree = {
    branches: [{
      kind: 'map',
      entries: [
        { kind: 'comment', text: 'c', inline: false },
        { kind: 'pair', key: 'other', value: { kind: 'scalar', type: 'str', text: 'x' } },
        { kind: 'pair', key: 'data', value: { kind: 'scalar', type: 'str', text: 'héllo' } },
      ],
    }],
  }
  assert.is(Buffer.from(binaryFormat.emit(t)).toString('utf8'), 'héllo')
})

test('no data, non-string data or several documents → EmitError with an --output-type hint', () => {
  const cases: Tree[] = [
    { branches: [{ kind: 'map', entries: [{ kind: 'pair', key: 'foo', value: { kind: 'scalar', type: 'str', text: 'CANARY-9f3' } }] }] },
    { branches: [{ kind: 'map', entries: [{ kind: 'pair', key: 'data', value: { kind: 'map', entries: [] } }] }] },
    { branches: [{ kind: 'map', entries: [{ kind: 'pair', key: 'data', value: { kind: 'scalar', type: 'int', text: '1' } }] }] },
    { branches: [] },
    { branches: [{ kind: 'map', entries: [] }, { kind: 'map', entries: [] }] },
  ]
  for (const t of cases) {
    try {
      binaryFormat.emit(t)
      assert.unreachable()
    } catch (e) {
      assert.instance(e, EmitError)
      assert.match((e as EmitError).hint ?? '', /--output-type/)
      assert.not.match((e as Error).message, /CANARY/)
    }
  }
  assert.match(
    (() => { try { binaryFormat.emit(cases[0]!) } catch (e) { return (e as Error).message } return '' })(),
    /no binary data found in tree/,
  )
})

test('emitValue is not possible for binary', () => {
  assert.throws(() => binaryFormat.emitValue({ kind: 'scalar', type: 'str', text: 'x' }), (e: unknown) => e instanceof EmitError)
})

test('name and layout', () => {
  assert.is(binaryFormat.name, 'binary')
  assert.is(binaryFormat.metadataLayout, 'binary')
})

test('property: any bytes round-trip; emit∘parse∘emit is stable', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const t = binaryFormat.parse(bytes)
      const once = binaryFormat.emit(t)
      assert.ok(Buffer.from(once).equals(Buffer.from(bytes)))
      const again = binaryFormat.parse(once)
      assert.equal(again, t)
      assert.ok(Buffer.from(binaryFormat.emit(again)).equals(Buffer.from(once)))
    }),
    { numRuns: 500 },
  )
})

test.run()
