/**
 * A reference of sops' Shamir scheme (HashiCorp Vault's `shamir` package as sops vendors it),
 * written from its description for the differential tests: GF(2^8) modulo x^8+x^4+x^3+x+1 by
 * shift-and-add, inverse a^254, share i = p(i+1) for every secret byte then the byte i+1, and
 * Combine taking x from each share's last byte. Deterministic coefficients can be passed in.
 */
import { randomBytes } from 'node:crypto'

export type RandomSource = (length: number) => Uint8Array

export function gfMul(a: number, b: number): number {
  let r = 0
  for (let i = 7; i >= 0; i--) {
    const bit = (b >> i) & 1
    const high = (r >> 7) & 1
    r = ((r << 1) & 0xff) ^ (-high & 0x1b) ^ (-bit & a)
  }
  return r & 0xff
}

export function gfInverse(a: number): number {
  let power = gfMul(a, a)
  let acc = power
  for (let i = 0; i < 6; i++) {
    power = gfMul(power, power)
    acc = gfMul(acc, power)
  }
  return acc
}

export const gfDiv = (a: number, b: number): number => {
  if (b === 0) throw new RangeError('division by zero in GF(2^8)')
  return gfMul(a, gfInverse(b))
}

/** sops' Split: x = index + 1 as the trailing byte of each share. */
export function sopsSplit(secret: Uint8Array, parts: number, threshold: number, random: RandomSource = (n) => randomBytes(n)): Uint8Array[] {
  const degree = threshold - 1
  const rnd = random(secret.length * degree)
  const shares = Array.from({ length: parts }, (_, i) => {
    const s = new Uint8Array(secret.length + 1)
    s[secret.length] = i + 1
    return s
  })
  for (let b = 0; b < secret.length; b++) {
    const coeffs = [secret[b]!, ...rnd.subarray(b * degree, (b + 1) * degree)]
    for (let i = 0; i < parts; i++) {
      let y = coeffs[degree]!
      for (let k = degree - 1; k >= 0; k--) y = gfMul(y, i + 1) ^ coeffs[k]!
      shares[i]![b] = y
    }
  }
  return shares
}

/** sops' Combine: Lagrange interpolation at 0 with x from each share's last byte. */
export function sopsCombine(shares: Uint8Array[]): Uint8Array {
  const len = shares[0]!.length
  const xs = shares.map((s) => s[len - 1]!)
  if (new Set(xs).size !== xs.length) throw new Error('duplicate part detected')
  const out = new Uint8Array(len - 1)
  for (let b = 0; b < len - 1; b++) {
    let result = 0
    for (let i = 0; i < shares.length; i++) {
      let basis = 1
      for (let j = 0; j < shares.length; j++) if (i !== j) basis = gfMul(basis, gfDiv(xs[j]!, xs[i]! ^ xs[j]!))
      result ^= gfMul(shares[i]![b]!, basis)
    }
    out[b] = result
  }
  return out
}
