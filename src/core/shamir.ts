/**
 * Shamir secret sharing exactly as sops does it (the HashiCorp Vault scheme):
 * arithmetic in GF(2^8) with the AES polynomial x^8+x^4+x^3+x+1, one random
 * polynomial of degree T−1 per secret byte, and each share laid out as the
 * polynomial values followed by ONE trailing x byte (x = share index + 1).
 * A 32-byte data key therefore gives 33-byte shares.
 *
 * Field operations are written without secret-dependent branches or table
 * lookups (shift-and-add multiply, inverse = a^254).
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto'
import { MetadataError, RecipientError } from '../errors.js'

/** Source of random coefficient bytes; tests pass a deterministic one. */
export type RandomSource = (length: number) => Uint8Array

/** Addition (and subtraction) in GF(2^8). */
export const gfAdd = (a: number, b: number): number => (a ^ b) & 0xff

/** Multiplication in GF(2^8) modulo x^8+x^4+x^3+x+1 (shift-and-add, constant time). */
export function gfMul(a: number, b: number): number {
  let r = 0
  for (let i = 7; i >= 0; i--) {
    const bit = (b >> i) & 1
    const high = (r >> 7) & 1
    r = ((r << 1) & 0xff) ^ (-high & 0x1b) ^ (-bit & a)
  }
  return r & 0xff
}

/** Multiplicative inverse a^254 = a^2 · a^4 · … · a^128 (0 maps to 0). */
export function gfInverse(a: number): number {
  let power = gfMul(a, a)
  let acc = power
  for (let i = 0; i < 6; i++) {
    power = gfMul(power, power)
    acc = gfMul(acc, power)
  }
  return acc
}

/** Division a / b in GF(2^8); b must be non-zero. */
export function gfDiv(a: number, b: number): number {
  if (b === 0) throw new RangeError('division by zero in GF(2^8)')
  return gfMul(a, gfInverse(b))
}

/** Evaluates the polynomial with the given coefficients (constant term first) at x (Horner). */
function evaluate(coefficients: Uint8Array, x: number): number {
  if (x === 0) return coefficients[0]!
  let out = coefficients[coefficients.length - 1]!
  for (let i = coefficients.length - 2; i >= 0; i--) out = gfAdd(gfMul(out, x), coefficients[i]!)
  return out
}

/** Lagrange interpolation of the points (xs[i], ys[i]) evaluated at x. */
function interpolate(xs: Uint8Array, ys: Uint8Array, x: number): number {
  let result = 0
  for (let i = 0; i < xs.length; i++) {
    let basis = 1
    for (let j = 0; j < xs.length; j++) {
      if (i === j) continue
      basis = gfMul(basis, gfDiv(gfAdd(x, xs[j]!), gfAdd(xs[i]!, xs[j]!)))
    }
    result = gfAdd(result, gfMul(ys[i]!, basis))
  }
  return result
}

/**
 * Splits `secret` into `parts` shares, any `threshold` of which recombine it.
 * Share i (0-based) is `p(i+1)` for every secret byte, then the byte `i+1`.
 * Constraints (as sops/Vault): 2 ≤ threshold ≤ parts ≤ 255, non-empty secret.
 * Throws RecipientError otherwise.
 */
export function split(secret: Uint8Array, parts: number, threshold: number, random: RandomSource = cryptoRandomBytes): Uint8Array[] {
  if (!Number.isInteger(parts) || !Number.isInteger(threshold)) throw new RecipientError('shamir parts and threshold must be whole numbers')
  if (parts > 255) throw new RecipientError('shamir secret sharing supports at most 255 key groups')
  if (threshold < 2) throw new RecipientError('shamir threshold must be at least 2')
  if (threshold > parts) throw new RecipientError('shamir threshold cannot exceed the number of key groups')
  if (secret.length === 0) throw new RecipientError('cannot split an empty secret')

  const degree = threshold - 1
  const rnd = random(secret.length * degree)
  if (rnd.length < secret.length * degree) throw new RangeError('random source returned too few bytes')
  const shares = Array.from({ length: parts }, (_, i) => {
    const share = new Uint8Array(secret.length + 1)
    share[secret.length] = i + 1
    return share
  })
  const coefficients = new Uint8Array(threshold)
  for (let b = 0; b < secret.length; b++) {
    coefficients[0] = secret[b]!
    for (let k = 1; k <= degree; k++) coefficients[k] = rnd[b * degree + k - 1]!
    for (let i = 0; i < parts; i++) shares[i]![b] = evaluate(coefficients, i + 1)
  }
  coefficients.fill(0)
  rnd.fill(0)
  return shares
}

/**
 * Recombines shares made by {@link split} (order does not matter). Needs at
 * least 2 shares of equal length ≥ 2 with distinct, non-zero x bytes; throws
 * MetadataError otherwise. With fewer than the threshold number of shares the
 * result is just wrong bytes: Shamir has no integrity check (the MAC catches it).
 */
export function combine(shares: Uint8Array[]): Uint8Array {
  if (shares.length < 2) throw new MetadataError('at least two key-group shares are needed to recover the data key')
  const len = shares[0]!.length
  if (len < 2) throw new MetadataError('key-group share is too short')
  if (shares.some((s) => s.length !== len)) throw new MetadataError('key-group shares have different lengths')
  const xs = new Uint8Array(shares.length)
  const seen = new Set<number>()
  for (const [i, s] of shares.entries()) {
    const x = s[len - 1]!
    // split never makes x = 0: that share's values ARE the secret (interpolation at 0 returns
    // them), so a share planted with x = 0 would choose the data key
    if (x === 0) throw new MetadataError('a key-group share has x = 0, which sops never writes: the file was tampered with')
    if (seen.has(x)) throw new MetadataError('duplicate key-group share')
    seen.add(x)
    xs[i] = x
  }
  const secret = new Uint8Array(len - 1)
  const ys = new Uint8Array(shares.length)
  for (let b = 0; b < len - 1; b++) {
    for (let i = 0; i < shares.length; i++) ys[i] = shares[i]![b]!
    secret[b] = interpolate(xs, ys, 0)
  }
  ys.fill(0)
  return secret
}
