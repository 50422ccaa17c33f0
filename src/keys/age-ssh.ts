/**
 * SSH recipients and identities for age, on the low-level `Recipient` /
 * `Identity` / `Stanza` interfaces of the `age-encryption` package, matching
 * filippo.io/age's agessh package:
 *
 * - `ssh-ed25519` stanza: args `[tag, base64(ephemeral share)]`; the Ed25519
 *   key is mapped to X25519, the X25519 shared secret is multiplied by a tweak
 *   (HKDF-SHA-256 of the key blob), and the wrap key is HKDF-SHA-256 over
 *   share ‖ X25519 public key; the body is ChaCha20-Poly1305 of the file key.
 * - `ssh-rsa` stanza: args `[tag]`, body RSA-OAEP-SHA-256 with the label
 *   `age-encryption.org/v1/ssh-rsa`.
 *
 * The tag is base64 of the first 4 bytes of SHA-256 of the SSH public key blob.
 * Identities return null for stanzas of other keys (tag mismatch, or a failed
 * AEAD/OAEP open, as age does) and throw only for malformed stanzas.
 */
import { constants, createHash, createPublicKey, generateKeyPairSync, privateDecrypt, publicEncrypt } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import type { Identity, Recipient, Stanza } from 'age-encryption'
import { RecipientError } from '../errors.js'
import { parseSshPrivateKeyFile } from './ssh-key-parse.js'
import type { SshPrivateKey } from './ssh-key-parse.js'
import {
  base64NoPad, decodeBase64NoPad, decodeBase64Strict, marshalSshPublicKey, parseSshPublicKeyBlob,
  safeTypeName, sshAgeTag, WireReader,
} from './ssh-wire.js'
import type { SshPublicKey } from './ssh-wire.js'
import {
  aeadOpen, aeadSeal, isLowOrderX25519, hkdf32, x25519, x25519PrivateKey, unwrapX25519Stanzas, x25519PublicBytes, x25519Recipient,
} from './ssh-x25519.js'
import { ed25519PublicToX25519, ed25519SeedToX25519Scalar } from './ed25519-x25519.js'

export type { SshPublicKey } from './ssh-wire.js'
export type { SshPrivateKey } from './ssh-key-parse.js'

const ED25519_LABEL = 'age-encryption.org/v1/ssh-ed25519'
const RSA_LABEL = 'age-encryption.org/v1/ssh-rsa'
const EMPTY = new Uint8Array(0)

/** Loads the secret half on demand (e.g. after a passphrase prompt); null means "not available, skip". */
export type SshKeyLoader = () => Promise<SshPrivateKey | null>

/** Encrypts file keys to an SSH Ed25519 public key (`ssh-ed25519` stanza). */
export class SshEd25519Recipient implements Recipient {
  readonly publicKey: SshPublicKey & { type: 'ssh-ed25519' }
  private readonly blob: Uint8Array
  private readonly theirX: Uint8Array
  private readonly tag: string

  /** @param key an `ssh-ed25519 AAAA… [comment]` line or a parsed key. Throws RecipientError. */
  constructor(key: string | SshPublicKey) {
    const pk = typeof key === 'string' ? parseSshPublicKeyLine(key) : key
    if (pk.type !== 'ssh-ed25519') throw new RecipientError(`expected an ssh-ed25519 key, got ${pk.type}`)
    const x = ed25519PublicToX25519(pk.key)
    if (!x) throw new RecipientError('invalid ssh-ed25519 public key: not a valid curve point')
    if (isLowOrderX25519(x)) throw new RecipientError('invalid ssh-ed25519 public key: a low-order point (nobody could decrypt to it)')
    this.publicKey = pk
    this.blob = marshalSshPublicKey(pk)
    this.theirX = x
    this.tag = sshAgeTag(pk)
  }

  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const { privateKey: ephemeral } = generateKeyPairSync('x25519')
    const share = x25519PublicBytes(ephemeral)
    const tweak = hkdf32(EMPTY, this.blob, ED25519_LABEL)
    const shared = x25519(tweak, x25519(ephemeral, this.theirX))
    const wrapKey = hkdf32(shared, concat(share, this.theirX), ED25519_LABEL)
    return [{ args: ['ssh-ed25519', this.tag, base64NoPad(share)], body: aeadSeal(wrapKey, fileKey) }]
  }
}

// Same constructor shape as SshEd25519Recipient on purpose: each key type parses and checks its own key.
/** Encrypts file keys to an SSH RSA public key (`ssh-rsa` stanza, RSA-OAEP-SHA-256). */
export class SshRsaRecipient implements Recipient {
  readonly publicKey: SshPublicKey & { type: 'ssh-rsa' }
  private readonly key: KeyObject
  private readonly tag: string

  /** @param key an `ssh-rsa AAAA… [comment]` line or a parsed key. Throws RecipientError. */
  constructor(key: string | SshPublicKey) {
    const pk = typeof key === 'string' ? parseSshPublicKeyLine(key) : key
    if (pk.type !== 'ssh-rsa') throw new RecipientError(`expected an ssh-rsa key, got ${pk.type}`)
    const bits = bitLength(pk.n)
    if (bits < 2048) throw new RecipientError(`ssh-rsa key is too small (${bits} bits, age needs at least 2048)`)
    if (bits > 16384) throw new RecipientError(`ssh-rsa key is too large (${bits} bits)`)
    const e = bitLength(pk.e) > 24 ? 0 : pk.e.reduce((acc, b) => acc * 256 + b, 0)
    if (e < 3 || e % 2 === 0) throw new RecipientError('invalid ssh-rsa public exponent')
    try {
      this.key = createPublicKey({ key: { kty: 'RSA', n: b64u(pk.n), e: b64u(pk.e) }, format: 'jwk' })
    } catch {
      throw new RecipientError('invalid ssh-rsa public key')
    }
    this.publicKey = pk
    this.tag = sshAgeTag(pk)
  }

  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const body = publicEncrypt(
      { key: this.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from(RSA_LABEL) },
      fileKey,
    )
    return [{ args: ['ssh-rsa', this.tag], body: new Uint8Array(body) }]
  }
}

/** Caches a loader's result (one prompt per key). */
function memo(source: SshPrivateKey | SshKeyLoader): SshKeyLoader {
  if (typeof source !== 'function') return async () => source
  let pending: Promise<SshPrivateKey | null> | undefined
  return () => (pending ??= source())
}

/**
 * The X25519 public key of an Ed25519 one, converted on first use (loading the curve library
 * only then, see ed25519-load.ts); null, cached, when the key is no usable curve point.
 */
function lazyX25519(pk: SshPublicKey & { type: 'ssh-ed25519' }): () => Uint8Array | null {
  let x: Uint8Array | null | undefined
  return () => (x === undefined ? (x = ed25519PublicToX25519(pk.key)) : x)
}

/**
 * Decrypts `ssh-ed25519` stanzas with an SSH Ed25519 private key. The key is converted to
 * X25519 only when a stanza carries its tag (found keys cost nothing until then); a public key
 * that is no curve point opens nothing.
 */
export class SshEd25519Identity implements Identity {
  readonly publicKey: SshPublicKey & { type: 'ssh-ed25519' }
  private readonly blob: Uint8Array
  private readonly ourX: () => Uint8Array | null
  private readonly tag: string
  private readonly load: SshKeyLoader
  private scalar?: KeyObject

  /**
   * @param publicKey the key's public half (readable without the passphrase).
   * @param secret the private key, or a loader called only when a stanza carries this key's tag.
   */
  constructor(publicKey: SshPublicKey, secret: SshPrivateKey | SshKeyLoader) {
    if (publicKey.type !== 'ssh-ed25519') throw new RecipientError(`expected an ssh-ed25519 key, got ${publicKey.type}`)
    this.publicKey = publicKey
    this.blob = marshalSshPublicKey(publicKey)
    this.ourX = lazyX25519(publicKey)
    this.tag = sshAgeTag(publicKey)
    this.load = memo(secret)
  }

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    for (const s of stanzas) {
      if (s.args[0] !== 'ssh-ed25519') continue
      const share = s.args.length === 3 ? decodeBase64NoPad(s.args[2]!) : null
      if (!share || share.length !== 32) throw new Error('invalid ssh-ed25519 stanza')
      if (s.args[1] !== this.tag) continue
      if (s.body.length !== 32) throw new Error('invalid ssh-ed25519 stanza: incorrect file key size')
      const ourX = this.ourX()
      if (!ourX) return null
      const scalar = await this.secretScalar()
      if (!scalar) return null
      let shared: Uint8Array
      try {
        shared = x25519(scalar, share)
      } catch {
        throw new Error('invalid ssh-ed25519 stanza: low-order ephemeral share')
      }
      const tweak = hkdf32(EMPTY, this.blob, ED25519_LABEL)
      shared = x25519(tweak, shared)
      const wrapKey = hkdf32(shared, concat(share, ourX), ED25519_LABEL)
      const fileKey = aeadOpen(wrapKey, s.body)
      if (fileKey) return fileKey
    }
    return null
  }

  private async secretScalar(): Promise<KeyObject | null> {
    if (this.scalar) return this.scalar
    const key = await this.load()
    if (!key || key.type !== 'ssh-ed25519') return null
    this.scalar = importScalar(key.seed)
    return this.scalar
  }
}

/** The X25519 private key of an Ed25519 seed (the scalar bytes are zeroed once imported). */
function importScalar(seed: Uint8Array): KeyObject {
  const scalar = ed25519SeedToX25519Scalar(seed)
  try {
    return x25519PrivateKey(scalar)
  } finally {
    scalar.fill(0)
  }
}

/**
 * The native age X25519 identity derived from an SSH Ed25519 key (what
 * `ssh-to-age -private-key` produces; sops loads it next to the SSH identity).
 * Decrypts `X25519` stanzas addressed to {@link SshEd25519X25519Identity.recipient}.
 * The key is converted on first use (its recipient asked for, or an X25519 stanza to try).
 */
export class SshEd25519X25519Identity implements Identity {
  private readonly ourX: () => Uint8Array | null
  private readonly load: SshKeyLoader
  private scalar?: KeyObject

  /** The `age1…` recipient of this identity; empty when the SSH key is no usable curve point (it opens nothing). */
  get recipient(): string {
    const x = this.ourX()
    return x ? x25519Recipient(x) : ''
  }

  /**
   * True when an entry's recipient is this identity's `age1…` recipient. X25519
   * stanzas carry no key hint, so callers should offer this identity only to
   * matching entries (as sops does) to avoid needless passphrase prompts.
   */
  matchesRecipient(recipient: string): boolean {
    const ours = this.recipient
    return ours !== '' && recipient.trim() === ours
  }

  constructor(publicKey: SshPublicKey, secret: SshPrivateKey | SshKeyLoader) {
    if (publicKey.type !== 'ssh-ed25519') throw new RecipientError('invalid ssh-ed25519 public key')
    this.ourX = lazyX25519(publicKey)
    this.load = memo(secret)
  }

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    if (!stanzas.some((s) => s.args[0] === 'X25519')) return null
    const ourX = this.ourX()
    if (!ourX) return null
    if (!this.scalar) {
      const key = await this.load() // the passphrase prompt, if any, only now
      if (!key || key.type !== 'ssh-ed25519') return null
      this.scalar = importScalar(key.seed)
    }
    return unwrapX25519Stanzas(stanzas, this.scalar, ourX)
  }
}

/** Decrypts `ssh-rsa` stanzas with an SSH RSA private key. */
export class SshRsaIdentity implements Identity {
  readonly publicKey: SshPublicKey & { type: 'ssh-rsa' }
  private readonly tag: string
  private readonly load: SshKeyLoader

  /** See {@link SshEd25519Identity}'s constructor. */
  constructor(publicKey: SshPublicKey, secret: SshPrivateKey | SshKeyLoader) {
    if (publicKey.type !== 'ssh-rsa') throw new RecipientError(`expected an ssh-rsa key, got ${publicKey.type}`)
    this.publicKey = publicKey
    this.tag = sshAgeTag(publicKey)
    this.load = memo(secret)
  }

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    for (const s of stanzas) {
      if (s.args[0] !== 'ssh-rsa') continue
      if (s.args.length !== 2) throw new Error('invalid ssh-rsa stanza')
      if (s.args[1] !== this.tag) continue
      const key = await this.load()
      if (!key || key.type !== 'ssh-rsa') return null
      try {
        const fileKey = privateDecrypt(
          { key: key.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from(RSA_LABEL) },
          s.body,
        )
        return new Uint8Array(fileKey)
      } catch {
        continue
      }
    }
    return null
  }
}

/**
 * Parses the text of an unencrypted (or, with `passphrase`, encrypted) SSH private
 * key file into the matching identity. Throws `ReadError` for a wrong or missing
 * passphrase and a plain `Error` with a fixed message for malformed files.
 */
export function parseSshIdentity(text: string, passphrase?: string): SshEd25519Identity | SshRsaIdentity {
  const key = parseSshPrivateKeyFile(text).decrypt(passphrase)
  return key.type === 'ssh-ed25519' ? new SshEd25519Identity(key.publicKey, key) : new SshRsaIdentity(key.publicKey, key)
}

/**
 * Parses an SSH public key line (`ssh-ed25519 AAAA… comment` / `ssh-rsa AAAA… comment`)
 * into an age recipient. Throws `RecipientError` naming the problem and at most the key type.
 */
export function parseSshRecipient(line: string): SshEd25519Recipient | SshRsaRecipient {
  const pk = parseSshPublicKeyLine(line)
  return pk.type === 'ssh-ed25519' ? new SshEd25519Recipient(pk) : new SshRsaRecipient(pk)
}

/** Parses `type base64 [comment]` into a public key age supports; throws RecipientError. */
export function parseSshPublicKeyLine(line: string): SshPublicKey {
  const { type, blob } = splitKeyLine(line)
  if (type !== 'ssh-ed25519' && type !== 'ssh-rsa') {
    throw new RecipientError(`unsupported SSH recipient type ${safeTypeName(type)} (age supports ssh-ed25519 and ssh-rsa)`)
  }
  let pk: SshPublicKey
  try {
    pk = parseSshPublicKeyBlob(blob)
  } catch (e) {
    throw new RecipientError(`malformed ${type} recipient: ${(e as Error).message}`)
  }
  if (pk.type !== type) throw new RecipientError(`malformed ${type} recipient: the key inside is not ${type}`)
  return pk
}

function splitKeyLine(line: string): { type: string; blob: Uint8Array } {
  const fields = line.trim().split(/\s+/)
  if (fields.length < 2 || fields[0] === '') {
    throw new RecipientError('malformed SSH recipient: expected "<type> <base64 key> [comment]"')
  }
  const type = fields[0]!
  const blob = decodeBase64Strict(fields[1]!)
  if (!blob) throw new RecipientError(`malformed ${safeTypeName(type)} recipient: invalid base64`)
  return { type, blob }
}

/**
 * `SHA256:…` fingerprint of an SSH public key line, as `ssh-keygen -l` prints it.
 * Works for any key type whose blob names the same type as the line.
 */
export function sshFingerprint(publicKeyLine: string): string {
  const { type, blob } = splitKeyLine(publicKeyLine)
  let inner: string
  try {
    inner = new WireReader(blob).text()
  } catch {
    throw new RecipientError(`malformed ${safeTypeName(type)} key: truncated`)
  }
  if (inner !== type) throw new RecipientError(`malformed ${safeTypeName(type)} key: the key inside is not ${safeTypeName(type)}`)
  return 'SHA256:' + base64NoPad(createHash('sha256').update(blob).digest())
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

function bitLength(b: Uint8Array): number {
  let i = 0
  while (i < b.length && b[i] === 0) i++
  if (i === b.length) return 0
  return (b.length - i - 1) * 8 + (32 - Math.clz32(b[i]!))
}

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url')
