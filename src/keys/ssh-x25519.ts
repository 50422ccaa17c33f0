/**
 * Curve25519 helpers for age's X25519 and ssh-ed25519 stanzas: X25519 through
 * node:crypto (raw 32-byte keys wrapped in fixed DER prefixes), HKDF-SHA-256 and
 * ChaCha20-Poly1305 with the all-zero nonce age uses to wrap file keys, and bech32
 * (on the audited `@scure/base`) for `age1…` and `AGE-SECRET-KEY-1…`. The
 * Ed25519 → X25519 conversions are in ed25519-x25519.ts (loaded only for SSH keys).
 */
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { bech32 } from '@scure/base'
import { decodeBase64NoPad } from './ssh-wire.js'

const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex')
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex')

/** Imports a raw 32-byte X25519 scalar as a node:crypto private key. */
export function x25519PrivateKey(scalar: Uint8Array): KeyObject {
  if (scalar.length !== 32) throw new Error('X25519 scalar must be 32 bytes')
  const der = Buffer.concat([PKCS8_X25519, scalar])
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  } finally {
    der.fill(0)
  }
}

/** The raw 32-byte public key of an X25519 private key. */
export function x25519PublicBytes(priv: KeyObject): Uint8Array {
  const der = createPublicKey(priv).export({ format: 'der', type: 'spki' })
  return new Uint8Array(der.subarray(der.length - 32))
}

/**
 * X25519(scalar, point). Throws when the result is the all-zero value (a
 * low-order input point), as Go's curve25519.X25519 does.
 */
export function x25519(scalar: Uint8Array | KeyObject, point: Uint8Array): Uint8Array {
  const privateKey = scalar instanceof Uint8Array ? x25519PrivateKey(scalar) : scalar
  const publicKey = createPublicKey({ key: Buffer.concat([SPKI_X25519, point]), format: 'der', type: 'spki' })
  let out: Buffer
  try {
    out = diffieHellman({ privateKey, publicKey })
  } catch {
    throw new Error('X25519 produced a low-order result')
  }
  if (out.every((b) => b === 0)) throw new Error('X25519 produced a low-order result')
  return new Uint8Array(out)
}

/** HKDF-SHA-256 with a 32-byte output. */
let probe: KeyObject | undefined
/**
 * Whether an X25519 public key is a low-order point (the all-zero key among them): every
 * shared secret with it is zero, so age refuses to wrap to it (the key is nobody's).
 */
export function isLowOrderX25519(point: Uint8Array): boolean {
  probe ??= generateKeyPairSync('x25519').privateKey
  try {
    x25519(probe, point).fill(0)
    return false
  } catch {
    return true
  }
}

export function hkdf32(ikm: Uint8Array, salt: Uint8Array, info: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, 32))
}

const ZERO_NONCE = Buffer.alloc(12)

/** HKDF label of age's native X25519 recipient type. */
export const X25519_STANZA_LABEL = 'age-encryption.org/v1/X25519'

/**
 * Opens the `X25519` stanza addressed to `scalar` (whose public key is `ourPublic`): the file
 * key, or null when no X25519 stanza is for us. Throws on a malformed stanza, and on a share
 * giving the all-zero shared secret, where the age spec says to abort.
 */
export function unwrapX25519Stanzas(stanzas: ReadonlyArray<{ args: string[]; body: Uint8Array }>, scalar: KeyObject, ourPublic: Uint8Array): Uint8Array | null {
  for (const s of stanzas) {
    if (s.args[0] !== 'X25519') continue
    const share = s.args.length === 2 ? decodeBase64NoPad(s.args[1]!) : null
    if (!share || share.length !== 32 || s.body.length !== 32) throw new Error('invalid X25519 stanza')
    const shared = x25519(scalar, share) // throws on a low-order share
    const wrapKey = hkdf32(shared, Buffer.concat([share, ourPublic]), X25519_STANZA_LABEL)
    shared.fill(0)
    const fileKey = aeadOpen(wrapKey, s.body)
    wrapKey.fill(0)
    if (fileKey) return fileKey
  }
  return null
}

/** ChaCha20-Poly1305 with the all-zero nonce: ciphertext ‖ 16-byte tag. */
export function aeadSeal(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 })
  const body = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()])
  return new Uint8Array(body)
}

/** Opens {@link aeadSeal} output; null when authentication fails. */
export function aeadOpen(key: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < 16) return null
  const d = createDecipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 })
  d.setAuthTag(sealed.subarray(sealed.length - 16))
  try {
    return new Uint8Array(Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]))
  } catch {
    return null
  }
}

/**
 * Bech32 (BIP 173 checksum, no 90-character limit as age's keys exceed it), lower case, as
 * age writes `age1…` recipients and (upper-cased) `AGE-SECRET-KEY-1…` identities.
 */
export function bech32Encode(hrp: string, data: Uint8Array): string {
  return bech32.encode(hrp, bech32.toWords(data), false)
}

/**
 * Bech32 decoding (BIP 173 checksum, no length limit, one case throughout, zero padding): the
 * data bytes, or null when `text` is not valid bech32 with this human-readable part.
 */
export function bech32Decode(hrp: string, text: string): Uint8Array | null {
  try {
    const { prefix, words } = bech32.decode(text, false)
    return prefix === hrp ? Uint8Array.from(bech32.fromWords(words)) : null
  } catch {
    return null
  }
}

/** The `age1…` recipient string of a raw X25519 public key. */
export function x25519Recipient(publicKey: Uint8Array): string {
  return bech32Encode('age', publicKey)
}
