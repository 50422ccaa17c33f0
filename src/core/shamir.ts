/**
 * Shamir secret sharing of the data key across key groups, on the audited
 * `shamir-secret-sharing` package (Cure53 and Zellic audits). It implements the
 * scheme sops uses (HashiCorp Vault's): GF(2^8) with the AES polynomial
 * x^8+x^4+x^3+x+1, one random polynomial of degree T−1 per secret byte, and each
 * share laid out as the polynomial values followed by ONE trailing x byte, so a
 * 32-byte data key gives 33-byte shares. test/core/shamir.test.ts proves the
 * arithmetic byte-identical to sops' in both directions (differential test).
 *
 * The one difference: sops gives share i the x byte i + 1, the package a random
 * distinct x in 1…255. Readers take x from the share, so sops opens our files and
 * we open sops' (the test shows both).
 *
 * What this module adds: sops' limits and our typed errors (RecipientError when
 * splitting, MetadataError when a file's shares cannot be combined), the refusal
 * of a share with x = 0 (its bytes would BE the data key), and plain Uint8Array
 * copies (the package refuses a Buffer), zeroed after use.
 */
import { combine as combineShares, split as splitShares } from 'shamir-secret-sharing'
import { MetadataError, RecipientError } from '../errors.js'

/**
 * Splits `secret` into `parts` shares, any `threshold` of which recombine it.
 * Constraints (as sops/Vault): 2 ≤ threshold ≤ parts ≤ 255, non-empty secret.
 * Throws RecipientError otherwise.
 */
export async function split(secret: Uint8Array, parts: number, threshold: number): Promise<Uint8Array[]> {
  if (!Number.isInteger(parts) || !Number.isInteger(threshold)) throw new RecipientError('shamir parts and threshold must be whole numbers')
  if (parts > 255) throw new RecipientError('shamir secret sharing supports at most 255 key groups')
  if (threshold < 2) throw new RecipientError('shamir threshold must be at least 2')
  if (threshold > parts) throw new RecipientError('shamir threshold cannot exceed the number of key groups')
  if (secret.length === 0) throw new RecipientError('cannot split an empty secret')
  const copy = Uint8Array.from(secret)
  try {
    return await splitShares(copy, parts, threshold)
  } finally {
    copy.fill(0)
  }
}

/**
 * Recombines shares made by {@link split} or by sops (order does not matter). Needs
 * 2 to 255 shares of equal length ≥ 2 with distinct, non-zero x bytes; throws
 * MetadataError otherwise. With fewer than the threshold number of shares the
 * result is just wrong bytes: Shamir has no integrity check (the MAC catches it).
 */
export async function combine(shares: Uint8Array[]): Promise<Uint8Array> {
  if (shares.length < 2) throw new MetadataError('at least two key-group shares are needed to recover the data key')
  if (shares.length > 255) throw new MetadataError('a file has more than 255 key-group shares, which sops never writes')
  const len = shares[0]!.length
  if (len < 2) throw new MetadataError('key-group share is too short')
  if (shares.some((s) => s.length !== len)) throw new MetadataError('key-group shares have different lengths')
  const seen = new Set<number>()
  for (const s of shares) {
    const x = s[len - 1]!
    // split never makes x = 0: that share's values ARE the secret (interpolation at 0 returns
    // them), so a share planted with x = 0 would choose the data key
    if (x === 0) throw new MetadataError('a key-group share has x = 0, which sops never writes: the file was tampered with')
    if (seen.has(x)) throw new MetadataError('duplicate key-group share')
    seen.add(x)
  }
  const copies = shares.map((s) => Uint8Array.from(s))
  try {
    return await combineShares(copies)
  } finally {
    for (const c of copies) c.fill(0)
  }
}
