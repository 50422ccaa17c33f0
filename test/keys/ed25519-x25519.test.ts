/**
 * src/keys/ed25519-x25519.ts (Ed25519 → X25519 on @noble/curves), checked differentially:
 * against node:crypto's X25519 (the public key converted from an Ed25519 key equals the X25519
 * public key of the converted secret, for random keys), and against the map written out in
 * field arithmetic (u = (1 + y)/(1 − y) mod p, y reduced mod p as age's Go decoder does) on
 * arbitrary 32-byte strings: both refuse, or both give the same bytes.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto'
import { ed25519PublicToX25519, ed25519SeedToX25519Scalar } from '../../src/keys/ed25519-x25519.js'
import { x25519PrivateKey, x25519PublicBytes } from '../../src/keys/ssh-x25519.js'

const P = (1n << 255n) - 19n
const mod = (a: bigint): bigint => ((a % P) + P) % P
function pow(b: bigint, e: bigint): bigint {
  let r = 1n
  for (b = mod(b); e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P
  return r
}
const inv = (a: bigint): bigint => pow(a, P - 2n)
const D = mod(-121665n * inv(121666n))
const le = (b: Uint8Array): bigint => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n)
const le32 = (n: bigint): number[] => Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn))

/** The reference: null when y gives no curve point (x² not a square), when y = 1 (no inverse) or u = 0. */
function reference(pk: Uint8Array): number[] | null {
  const b = Uint8Array.from(pk)
  b[31]! &= 0x7f
  const y = mod(le(b))
  const y2 = (y * y) % P
  const xx = mod((y2 - 1n) * inv(mod(D * y2 + 1n)))
  const chi = pow(xx, (P - 1n) / 2n)
  if (chi !== 0n && chi !== 1n) return null
  if (y === 1n) return null
  const u = mod((1n + y) * inv(mod(1n - y)))
  return u === 0n ? null : le32(u)
}

const ed25519Public = (seed: Uint8Array): Uint8Array => {
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' })
  const der = createPublicKey(key).export({ format: 'der', type: 'spki' })
  return new Uint8Array(der.subarray(der.length - 32))
}

test('differential (node:crypto): converting the Ed25519 public key gives the X25519 public key of the converted secret', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
      const x = ed25519PublicToX25519(ed25519Public(seed))
      assert.ok(x)
      assert.equal([...x], [...x25519PublicBytes(x25519PrivateKey(ed25519SeedToX25519Scalar(seed)))])
    }),
    { numRuns: 100 },
  )
})

test('the secret conversion is the first half of SHA-512(seed), clamped (what X25519 does to it anyway)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
      const h = createHash('sha512').update(seed).digest().subarray(0, 32)
      h[0]! &= 248
      h[31]! &= 127
      h[31]! |= 64
      assert.equal([...ed25519SeedToX25519Scalar(seed)], [...h])
    }),
    { numRuns: 50 },
  )
})

test('differential (field arithmetic): on arbitrary 32 bytes both refuse or both give the same u', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (pk) => {
      const got = ed25519PublicToX25519(pk)
      assert.equal(got ? [...got] : null, reference(pk))
    }),
    { numRuns: 300 },
  )
})

test('edge encodings: y = 0, 1, p − 1, every non-canonical y ≥ p (both signs), and wrong lengths', () => {
  const enc = (y: bigint, sign = 0): Uint8Array => {
    const b = Uint8Array.from(le32(y))
    b[31]! |= sign << 7
    return b
  }
  const cases = [0n, 1n, 2n, P - 1n, P - 2n, ...Array.from({ length: 19 }, (_, i) => P + BigInt(i))]
  for (const y of cases) {
    for (const sign of [0, 1]) {
      const pk = enc(y, sign)
      const got = ed25519PublicToX25519(pk)
      assert.equal(got ? [...got] : null, reference(pk), `y=${y} sign=${sign}`)
    }
  }
  assert.is(ed25519PublicToX25519(enc(1n)), null, 'the identity point has no Montgomery image')
  assert.is(ed25519PublicToX25519(enc(P - 1n)), null, 'u = 0 is refused')
  assert.is(ed25519PublicToX25519(new Uint8Array(31)), null)
  assert.is(ed25519PublicToX25519(new Uint8Array(33)), null)
})

test.run()
