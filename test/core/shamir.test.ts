import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { combine, gfDiv, gfInverse, gfMul, split } from '../../src/core/shamir.js'
import { MetadataError, RecipientError } from '../../src/errors.js'

/** uvu's throws() takes a predicate, not a class. */
const isA = (C: new (...a: never[]) => Error) => (e: unknown): boolean => e instanceof C

const fixed = (...bytes: number[]) => (n: number): Uint8Array => {
  assert.is(n, bytes.length, 'asked for exactly the coefficient bytes')
  return Uint8Array.from(bytes)
}

test('GF(2^8) multiply: the AES check vector mul(0x53, 0xCA) = 1', () => {
  assert.is(gfMul(0x53, 0xca), 0x01)
  assert.is(gfMul(0xca, 0x53), 0x01)
  assert.is(gfMul(0x57, 0x83), 0xc1) // FIPS-197 §4.2 example
  assert.is(gfMul(0x57, 0x13), 0xfe)
  assert.is(gfMul(0, 0xff), 0)
  assert.is(gfMul(1, 0xab), 0xab)
})

test('GF(2^8) inverse and division agree with multiplication for every element', () => {
  assert.is(gfInverse(0x53), 0xca)
  assert.is(gfInverse(0), 0)
  for (let a = 1; a < 256; a++) {
    assert.is(gfMul(a, gfInverse(a)), 1, `a=${a}`)
    assert.is(gfDiv(gfMul(a, 0x1d), 0x1d), a)
  }
  assert.throws(() => gfDiv(3, 0))
})

test('worked example of spec §8.4: secret 0x2A, T=2, coefficient 0x07', () => {
  const shares = split(Uint8Array.of(0x2a), 3, 2, fixed(0x07))
  assert.equal(shares.map((s) => [...s]), [[0x2d, 1], [0x24, 2], [0x23, 3]])
  for (const pair of [[0, 1], [0, 2], [1, 2], [2, 0]]) {
    assert.equal([...combine(pair.map((i) => shares[i]!))], [0x2a])
  }
  assert.equal([...combine(shares)], [0x2a])
})

test('share layout: 33 bytes for a 32-byte key, trailing x = index + 1', () => {
  const key = new Uint8Array(32).fill(0x5a)
  const shares = split(key, 5, 3)
  assert.is(shares.length, 5)
  shares.forEach((s, i) => {
    assert.is(s.length, 33)
    assert.is(s[32], i + 1)
  })
})

test('split enforces 2 <= T <= N <= 255', () => {
  const key = new Uint8Array(32)
  assert.throws(() => split(key, 3, 1), (e: unknown) => e instanceof RecipientError && /at least 2/.test((e as Error).message))
  assert.throws(() => split(key, 2, 3), isA(RecipientError))
  assert.throws(() => split(key, 256, 2), isA(RecipientError))
  assert.throws(() => split(new Uint8Array(0), 2, 2), isA(RecipientError))
  assert.is(split(key, 255, 2).length, 255)
  assert.is(split(key, 255, 2)[254]![32], 255)
})

test('combine rejects too few, unequal, short or duplicate shares', () => {
  const shares = split(new Uint8Array(32).fill(1), 3, 2)
  assert.throws(() => combine([shares[0]!]), isA(MetadataError))
  assert.throws(() => combine([shares[0]!, shares[1]!.subarray(1)]), isA(MetadataError))
  assert.throws(() => combine([Uint8Array.of(1), Uint8Array.of(2)]), isA(MetadataError))
  assert.throws(() => combine([shares[0]!, shares[0]!]), (e: unknown) => e instanceof MetadataError && /duplicate/.test((e as Error).message))
})

test('property: any T of N shares recombine to the secret, in any order', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 40 }),
      fc.integer({ min: 2, max: 8 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 2, max: n }))),
      fc.infiniteStream(fc.nat()),
      (secret, [n, t], picks) => {
        const shares = split(secret, n, t)
        const pool = [...shares]
        const chosen: Uint8Array[] = []
        const it = picks[Symbol.iterator]()
        while (chosen.length < t) chosen.push(pool.splice(it.next().value % pool.length, 1)[0]!)
        assert.equal([...combine(chosen)], [...secret])
      },
    ),
    { numRuns: 300 },
  )
})

test('property: T-1 shares do not give the secret (coefficients chosen so they cannot)', () => {
  // With random coefficients T-1 shares say nothing about the secret; here we check the
  // deterministic consequence: interpolating T-1 points of a degree T-1 polynomial whose top
  // coefficient is non-zero lands on a different constant term than the real secret.
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 16 }),
      fc.integer({ min: 3, max: 6 }),
      fc.integer({ min: 1, max: 255 }),
      (secret, t, top) => {
        const n = t
        // every coefficient but the top one is zero, so p(x) = s + top·x^(t-1)
        const coeffs = (len: number): Uint8Array => {
          const out = new Uint8Array(len)
          for (let b = 0; b < secret.length; b++) out[b * (t - 1) + (t - 2)] = top
          return out
        }
        const shares = split(secret, n, t, coeffs)
        const recovered = combine(shares.slice(0, t - 1))
        assert.is(recovered.length, secret.length)
        assert.not.equal([...recovered], [...secret])
        assert.equal([...combine(shares)], [...secret])
      },
    ),
    { numRuns: 200 },
  )
})

test('with random coefficients, T-1 shares give uniformly spread guesses, not the secret', () => {
  const counts = new Map<number, number>()
  for (let run = 0; run < 512; run++) {
    const shares = split(Uint8Array.of(0x99), 3, 3)
    const guess = combine(shares.slice(1, 3))[0]!
    counts.set(guess, (counts.get(guess) ?? 0) + 1)
  }
  // expected hits on the secret: 2 of 512; 20 would be a ~1e-12 event for a uniform guess
  assert.ok((counts.get(0x99) ?? 0) < 20)
  assert.ok(counts.size > 150, 'guesses spread over the field')
})

test('a planted key-group share with x = 0 (its bytes would become the data key) is a MetadataError', () => {
  const key = new Uint8Array(32).fill(7)
  const [a, b] = split(key, 3, 2)
  // what an attacker with write access and the victim's public key can wrap: chosen bytes, x = 0
  const chosen = new Uint8Array(33).fill(0x41)
  chosen[32] = 0
  for (const shares of [[a!, chosen], [chosen, b!], [a!, b!, chosen]]) {
    assert.throws(() => combine(shares), (e: unknown) => e instanceof MetadataError && e.exitCode === 11 && /x = 0/.test((e as Error).message))
  }
  assert.equal(combine([a!, b!]), key)
})

test('two key-group shares with the same x (a copied entry) are a MetadataError, not a division by zero', () => {
  const [a, b, c] = split(new Uint8Array(32).fill(9), 3, 2)
  const sameX = new Uint8Array(b!)
  sameX[32] = a![32]!
  for (const shares of [[a!, sameX], [a!, c!, sameX]]) {
    assert.throws(() => combine(shares), (e: unknown) => e instanceof MetadataError && /duplicate/.test((e as Error).message))
  }
  assert.equal(combine([c!, a!]), new Uint8Array(32).fill(9))
})

test.run()
