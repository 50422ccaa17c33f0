/**
 * src/core/shamir.ts: the `shamir-secret-sharing` package behind sops' limits and our typed
 * errors, and a differential test against a reference of sops' own scheme
 * (test/helpers/sops-shamir.ts): shares sops writes open here, shares written here open with
 * sops' Combine, and on any set of shares both give the same bytes (same field, same layout).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { combine, split } from '../../src/core/shamir.js'
import { MetadataError, RecipientError } from '../../src/errors.js'
import { gfDiv, gfInverse, gfMul, sopsCombine, sopsSplit } from '../helpers/sops-shamir.js'

/** uvu's throws() takes a predicate, not a class. */
const isA = (C: new (...a: never[]) => Error) => (e: unknown): boolean => e instanceof C
async function rejects(fn: () => Promise<unknown>, check: (e: unknown) => boolean): Promise<void> {
  try {
    await fn()
  } catch (e) {
    assert.ok(check(e), `unexpected error: ${String(e)}`)
    return
  }
  assert.unreachable('did not throw')
}

const fixed = (...bytes: number[]) => (n: number): Uint8Array => {
  assert.is(n, bytes.length, 'asked for exactly the coefficient bytes')
  return Uint8Array.from(bytes)
}

test('reference GF(2^8) (sops\'): the AES check vectors, inverse and division for every element', () => {
  assert.is(gfMul(0x53, 0xca), 0x01)
  assert.is(gfMul(0x57, 0x83), 0xc1) // FIPS-197 §4.2 example
  assert.is(gfMul(0x57, 0x13), 0xfe)
  assert.is(gfInverse(0x53), 0xca)
  for (let a = 1; a < 256; a++) {
    assert.is(gfMul(a, gfInverse(a)), 1, `a=${a}`)
    assert.is(gfDiv(gfMul(a, 0x1d), 0x1d), a)
  }
})

test('worked example: secret 0x2A, T=2, coefficient 0x07 gives sops\' shares, which combine here', async () => {
  const shares = sopsSplit(Uint8Array.of(0x2a), 3, 2, fixed(0x07))
  assert.equal(shares.map((s) => [...s]), [[0x2d, 1], [0x24, 2], [0x23, 3]])
  for (const pair of [[0, 1], [0, 2], [1, 2], [2, 0]]) {
    assert.equal([...(await combine(pair.map((i) => shares[i]!)))], [0x2a])
  }
  assert.equal([...(await combine(shares))], [0x2a])
})

test('differential: on any set of shares with distinct non-zero x, combine here and sops\' Combine give the same bytes', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 40 }).chain((len) =>
        fc.uniqueArray(fc.integer({ min: 1, max: 255 }), { minLength: 2, maxLength: 8 }).chain((xs) =>
          fc.tuple(fc.constant(xs), fc.array(fc.uint8Array({ minLength: len, maxLength: len }), { minLength: xs.length, maxLength: xs.length })))),
      async ([xs, ys]) => {
        const shares = xs.map((x, i) => Uint8Array.from([...ys[i]!, x]))
        assert.equal([...(await combine(shares))], [...sopsCombine(shares)])
      },
    ),
    { numRuns: 400 },
  )
})

test('differential: shares sops writes (x = i+1) open here, and shares written here open with sops\' Combine, any T of N in any order', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 1, maxLength: 40 }),
      fc.integer({ min: 2, max: 8 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 2, max: n }))),
      fc.infiniteStream(fc.nat()),
      async (secret, [n, t], picks) => {
        const it = picks[Symbol.iterator]()
        const pick = (all: Uint8Array[]): Uint8Array[] => {
          const pool = [...all]
          const chosen: Uint8Array[] = []
          while (chosen.length < t) chosen.push(pool.splice(it.next().value % pool.length, 1)[0]!)
          return chosen
        }
        assert.equal([...(await combine(pick(sopsSplit(secret, n, t))))], [...secret], 'sops-written shares')
        assert.equal([...sopsCombine(pick(await split(secret, n, t)))], [...secret], 'our shares read by sops')
      },
    ),
    { numRuns: 300 },
  )
})

test('share layout: 33 bytes for a 32-byte key, distinct non-zero trailing x (sops writes i+1; the package a random x, which readers take as written)', async () => {
  const shares = await split(new Uint8Array(32).fill(0x5a), 5, 3)
  assert.is(shares.length, 5)
  for (const s of shares) {
    assert.is(s.length, 33)
    assert.ok(s[32]! >= 1)
  }
  assert.is(new Set(shares.map((s) => s[32])).size, 5)
})

test('split takes a Buffer (the data key is one) and leaves it unchanged', async () => {
  const key = Buffer.alloc(32, 3)
  const shares = await split(key, 2, 2)
  assert.equal([...key], [...Buffer.alloc(32, 3)])
  assert.equal([...(await combine(shares.map((s) => Buffer.from(s))))], [...key])
})

test('split enforces 2 <= T <= N <= 255', async () => {
  const key = new Uint8Array(32)
  await rejects(() => split(key, 3, 1), (e) => e instanceof RecipientError && /at least 2/.test((e as Error).message))
  await rejects(() => split(key, 2, 3), isA(RecipientError))
  await rejects(() => split(key, 256, 2), isA(RecipientError))
  await rejects(() => split(new Uint8Array(0), 2, 2), isA(RecipientError))
  await rejects(() => split(key, 2.5, 2), isA(RecipientError))
  assert.is((await split(key, 255, 2)).length, 255)
})

test('combine rejects too few, too many, unequal, short or duplicate shares with MetadataError', async () => {
  const shares = await split(new Uint8Array(32).fill(1), 3, 2)
  await rejects(() => combine([shares[0]!]), isA(MetadataError))
  await rejects(() => combine([shares[0]!, shares[1]!.subarray(1)]), isA(MetadataError))
  await rejects(() => combine([Uint8Array.of(1), Uint8Array.of(2)]), isA(MetadataError))
  await rejects(() => combine([shares[0]!, shares[0]!]), (e) => e instanceof MetadataError && /duplicate/.test((e as Error).message))
  await rejects(() => combine(Array.from({ length: 256 }, (_, i) => Uint8Array.of(0, i))), isA(MetadataError))
})

test('property: T-1 shares do not give the secret (top coefficient non-zero)', async () => {
  // deterministic consequence of the scheme, checked on sops-layout shares read here: interpolating
  // T-1 points of a degree T-1 polynomial whose top coefficient is non-zero misses the constant term
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 1, maxLength: 16 }),
      fc.integer({ min: 3, max: 6 }),
      fc.integer({ min: 1, max: 255 }),
      async (secret, t, top) => {
        const coeffs = (len: number): Uint8Array => {
          const out = new Uint8Array(len)
          for (let b = 0; b < secret.length; b++) out[b * (t - 1) + (t - 2)] = top
          return out
        }
        const shares = sopsSplit(secret, t, t, coeffs)
        assert.not.equal([...(await combine(shares.slice(0, t - 1)))], [...secret])
        assert.equal([...(await combine(shares))], [...secret])
      },
    ),
    { numRuns: 200 },
  )
})

test('with random coefficients, T-1 shares give uniformly spread guesses, not the secret', async () => {
  const counts = new Map<number, number>()
  for (let run = 0; run < 512; run++) {
    const shares = await split(Uint8Array.of(0x99), 3, 3)
    const guess = (await combine(shares.slice(1, 3)))[0]!
    counts.set(guess, (counts.get(guess) ?? 0) + 1)
  }
  // expected hits on the secret: 2 of 512; 20 would be a ~1e-12 event for a uniform guess
  assert.ok((counts.get(0x99) ?? 0) < 20)
  assert.ok(counts.size > 150, 'guesses spread over the field')
})

test('a planted key-group share with x = 0 (its bytes would become the data key) is a MetadataError', async () => {
  const key = new Uint8Array(32).fill(7)
  const [a, b] = await split(key, 3, 2)
  // what an attacker with write access and the victim's public key can wrap: chosen bytes, x = 0
  const chosen = new Uint8Array(33).fill(0x41)
  chosen[32] = 0
  for (const shares of [[a!, chosen], [chosen, b!], [a!, b!, chosen]]) {
    await rejects(() => combine(shares), (e) => e instanceof MetadataError && e.exitCode === 11 && /x = 0/.test((e as Error).message))
  }
  assert.equal(await combine([a!, b!]), key)
})

test('two key-group shares with the same x (a copied entry) are a MetadataError, not a division by zero', async () => {
  const [a, b, c] = await split(new Uint8Array(32).fill(9), 3, 2)
  const sameX = new Uint8Array(b!)
  sameX[32] = a![32]!
  for (const shares of [[a!, sameX], [a!, c!, sameX]]) {
    await rejects(() => combine(shares), (e) => e instanceof MetadataError && /duplicate/.test((e as Error).message))
  }
  assert.equal(await combine([c!, a!]), new Uint8Array(32).fill(9))
})

test.run()
