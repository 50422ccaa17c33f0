/**
 * Ed25519 → X25519 for age's ssh-ed25519 recipient type and the identity sops derives from an
 * SSH key, on `@noble/curves` (loaded on first use, see ed25519-load.ts): the public key through
 * the birational map u = (1 + y) / (1 − y), the secret through SHA-512 of the seed.
 */
import { loadEd25519 } from './ed25519-load.js'

/**
 * The X25519 public key of the same secret as an Ed25519 public key. Like age (Go's
 * filippo.io/edwards25519), a non-canonical y encoding of a valid point is accepted. Returns
 * null when the bytes do not encode a point on the curve, or encode one that maps to u = 0.
 */
export function ed25519PublicToX25519(pk: Uint8Array): Uint8Array | null {
  if (pk.length !== 32) return null
  const { Point, utils } = loadEd25519()
  let u: Uint8Array
  try {
    u = utils.toMontgomery(Point.fromBytes(Uint8Array.from(pk), true).toBytes())
  } catch {
    return null // not a point, or the identity (y = 1, where 1 − y has no inverse)
  }
  return u.some((b) => b !== 0) ? u : null
}

/** The X25519 scalar of an Ed25519 private key (its 32-byte seed): SHA-512(seed)[0..32], clamped. */
export function ed25519SeedToX25519Scalar(seed: Uint8Array): Uint8Array {
  return loadEd25519().utils.toMontgomerySecret(Uint8Array.from(seed))
}
