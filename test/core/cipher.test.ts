import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes } from 'node:crypto'
import { IV_POOL_BYTES, decryptString, encryptBytes, freshIv, isCanonicalEnc, parseEnc } from '../../src/core/cipher.js'
import { TamperedValueError } from '../../src/errors.js'

const KEY = Buffer.from('af5e68dd342b72c6a0475f81a50da4fde898f4b7742c92cbcf1668211411f4e4', 'hex')
const FIXTURE_VALUE = 'ENC[AES256_GCM,data:8CvE,iv:tjchf/lmMpXDOA1tLE/N4oY9IqJIzfQ/7NlvQlDUtoA=,tag:1aFCHIRp3j/VPNcCEsE95A==,type:str]'

test('decrypts the spec vector (format.enc.yaml foo)', () => {
  const d = decryptString(FIXTURE_VALUE, KEY, 'foo:', 'foo')
  assert.is(d.plain.toString(), 'bar')
  assert.is(d.type, 'str')
})

test('wrong AAD (value moved to another key) fails with exit 25', () => {
  try {
    decryptString(FIXTURE_VALUE, KEY, 'other:', 'other')
    assert.unreachable()
  } catch (e) {
    assert.instance(e, TamperedValueError)
    assert.is((e as TamperedValueError).exitCode, 25)
  }
})

test('writes a 32-byte IV and 16-byte tag, round-trips', () => {
  const enc = encryptBytes(Buffer.from('hello'), 'str', KEY, 'a:b:')
  const p = parseEnc(enc, 'x')
  assert.is(p.iv.length, 32)
  assert.is(p.tag.length, 16)
  assert.is(decryptString(enc, KEY, 'a:b:', 'x').plain.toString(), 'hello')
})

test('empty plaintext is never encrypted', () => {
  assert.is(encryptBytes(Buffer.alloc(0), 'str', KEY, 'a:'), '')
})

test('same IV gives identical ciphertext (IV stash)', () => {
  const iv = randomBytes(32)
  assert.is(encryptBytes(Buffer.from('v'), 'str', KEY, 'a:', iv), encryptBytes(Buffer.from('v'), 'str', KEY, 'a:', iv))
})

test('nonce reuse across the IV pool: consecutive IVs are distinct, and a refill never rewrites an IV already handed out', () => {
  const perPool = IV_POOL_BYTES / 32
  const held: Buffer[] = []
  const drawn: string[] = []
  const seen = new Set<string>()
  for (let i = 0; i < perPool * 3 + 7; i++) {
    const iv = freshIv()
    assert.is(iv.length, 32)
    const hex = iv.toString('hex')
    assert.not.ok(seen.has(hex), `IV ${i} was handed out before`)
    seen.add(hex)
    drawn.push(hex)
    held.push(iv)
  }
  // the buffers handed out still hold what they held when drawn: refills use a new buffer
  held.forEach((b, i) => assert.is(b.toString('hex'), drawn[i], `IV ${i} changed after a refill`))
})

test('nonce reuse: the same value encrypted twice gets two different IVs', () => {
  const a = parseEnc(encryptBytes(Buffer.from('v'), 'str', KEY, 'a:'), 'x').iv
  const b = parseEnc(encryptBytes(Buffer.from('v'), 'str', KEY, 'a:'), 'x').iv
  assert.is.not(a.toString('hex'), b.toString('hex'))
})

test('isCanonicalEnc: true exactly for what encryptBytes writes', () => {
  for (let n = 1; n < 70; n++) {
    const enc = encryptBytes(randomBytes(n), 'str', KEY, 'a:')
    assert.ok(isCanonicalEnc(enc, 'str', n, 32), `length ${n}`)
    assert.not.ok(isCanonicalEnc(enc, 'int', n, 32), 'other type label')
    assert.not.ok(isCanonicalEnc(enc + 'x', 'str', n, 32), 'bytes after ]')
    assert.not.ok(isCanonicalEnc(enc.replace(',iv:', '\n,iv:'), 'str', n, 32), 'a line break')
    assert.is(decryptString(enc, KEY, 'a:', 'x').plain.length, n)
  }
  // non-zero padding bits: Go and Node decode "AB==" to the byte 0x00 as "AA==" does
  const one = encryptBytes(Buffer.from('v'), 'str', KEY, 'a:')
  const data = /data:([^,]+),/.exec(one)![1]!
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  const bumped = data.slice(0, 1) + ALPHABET[ALPHABET.indexOf(data[1]!) ^ 1] + '=='
  assert.ok(Buffer.from(bumped, 'base64').equals(Buffer.from(data, 'base64')), 'both spellings decode alike')
  assert.not.ok(isCanonicalEnc(one.replace(data, bumped), 'str', 1, 32), 'non-canonical base64')
})

test('isCanonicalEnc: the last quantum is judged as a base64 decode and re-encode would judge it', () => {
  const CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ .\n'
  const pick = (i: number): string => CHARS[i % CHARS.length]!
  for (const n of [1, 2, 3]) {
    const enc = encryptBytes(randomBytes(n), 'str', KEY, 'a:')
    const at = enc.indexOf(',iv:') - 4
    for (let i = 0; i < 20_000; i++) {
      const r = randomBytes(4)
      const q = pick(r[0]!) + pick(r[1]!) + (i % 3 === 0 ? '=' : pick(r[2]!)) + (i % 2 === 0 ? '=' : pick(r[3]!))
      const expected = Buffer.from(q, 'base64').toString('base64') === q
      assert.is(isCanonicalEnc(enc.slice(0, at) + q + enc.slice(at + 4), 'str', n, 32), expected, JSON.stringify(q))
    }
  }
})

const malformed = {
  'missing fields': 'ENC[AES256_GCM,data:8CvE,iv:tjchf/lmMpXDOA1tLE/N4oY9IqJIzfQ/7NlvQlDUtoA=]',
  'bad base64': 'ENC[AES256_GCM,data:8C!E,iv:tjchf/lmMpXDOA1tLE/N4oY9IqJIzfQ/7NlvQlDUtoA=,tag:1aFCHIRp3j/VPNcCEsE95A==,type:str]',
  'short tag': 'ENC[AES256_GCM,data:8CvE,iv:tjchf/lmMpXDOA1tLE/N4oY9IqJIzfQ/7NlvQlDUtoA=,tag:1aFCHIRp3j/VPNcC,type:str]',
  'unknown type': 'ENC[AES256_GCM,data:8CvE,iv:tjchf/lmMpXDOA1tLE/N4oY9IqJIzfQ/7NlvQlDUtoA=,tag:1aFCHIRp3j/VPNcCEsE95A==,type:blob]',
  'unknown cipher': 'ENC[CHACHA,data:8CvE,iv:tjchf/lmMpXDOA1tLE/N4oY9IqJIzfQ/7NlvQlDUtoA=,tag:1aFCHIRp3j/VPNcCEsE95A==,type:str]',
  'wrong iv': 'ENC[AES256_GCM,data:8CvE,iv:AAAA,tag:1aFCHIRp3j/VPNcCEsE95A==,type:str]',
}
for (const [name, v] of Object.entries(malformed)) {
  test(`malformed ENC: ${name}`, () => {
    try {
      decryptString(v, KEY, 'foo:', '["foo"]')
      assert.unreachable()
    } catch (e) {
      assert.instance(e, TamperedValueError)
      assert.not.match((e as Error).message, '8CvE')
    }
  })
}

test.run()
