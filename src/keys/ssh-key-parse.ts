/**
 * Parsing of SSH private key files as age reads them: the OpenSSH
 * `openssh-key-v1` format (plain, or passphrase-protected with bcrypt_pbkdf and
 * AES in CTR, CBC or GCM mode) and PEM keys (`RSA PRIVATE KEY`, PKCS #8,
 * legacy-encrypted or not) through node:crypto.
 *
 * Parsing is split in two steps so passphrase prompts can be deferred: the
 * public half of an `openssh-key-v1` file is readable without the passphrase;
 * {@link SshPrivateKeyFile.decrypt} yields the secret half.
 *
 * Errors are plain `Error`s with fixed texts, `ReadError` for a wrong or missing
 * passphrase, or `LimitExceededError` for too many bcrypt rounds; messages never
 * contain key material.
 */
import { createDecipheriv, createPrivateKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { LimitExceededError, ReadError } from '../errors.js'
import { bcryptPbkdf } from './ssh-bcrypt-pbkdf.js'
import { WireReader, decodeBase64Strict, parseSshPublicKeyBlob, safeTypeName } from './ssh-wire.js'
import type { SshPublicKey } from './ssh-wire.js'

/** The secret half of a key, ready for use. */
export type SshPrivateKey =
  | { readonly type: 'ssh-ed25519'; readonly publicKey: SshPublicKey; readonly seed: Uint8Array }
  | { readonly type: 'ssh-rsa'; readonly publicKey: SshPublicKey; readonly key: KeyObject }

/** A parsed private key file. */
export interface SshPrivateKeyFile {
  /** The public key, or null for an encrypted PEM key (its public half is encrypted too). */
  readonly publicKey: SshPublicKey | null
  /** True when {@link decrypt} needs a passphrase. */
  readonly encrypted: boolean
  /** The secret key. Throws `ReadError` for a missing or wrong passphrase. */
  decrypt(passphrase?: string): SshPrivateKey
}

/**
 * Most bcrypt_pbkdf rounds accepted. ssh-keygen's default is 16 and hardening guides use 64–100;
 * OpenSSH itself spends ~8 ms of CPU per round, so a key of 10,000 rounds takes it over a minute
 * to unlock (nobody uses one), while the field is a uint32: 4 billion rounds would never finish.
 */
export const MAX_BCRYPT_ROUNDS = 10_000

const OPENSSH_BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----'
const OPENSSH_END = '-----END OPENSSH PRIVATE KEY-----'
const MAGIC = 'openssh-key-v1\0'

/** Cipher parameters for the ciphers ssh-keygen can write. */
const CIPHERS: Record<string, { node: string; keyLen: number; ivLen: number; mode: 'ctr' | 'cbc' | 'gcm' }> = {
  'aes128-ctr': { node: 'aes-128-ctr', keyLen: 16, ivLen: 16, mode: 'ctr' },
  'aes192-ctr': { node: 'aes-192-ctr', keyLen: 24, ivLen: 16, mode: 'ctr' },
  'aes256-ctr': { node: 'aes-256-ctr', keyLen: 32, ivLen: 16, mode: 'ctr' },
  'aes128-cbc': { node: 'aes-128-cbc', keyLen: 16, ivLen: 16, mode: 'cbc' },
  'aes192-cbc': { node: 'aes-192-cbc', keyLen: 24, ivLen: 16, mode: 'cbc' },
  'aes256-cbc': { node: 'aes-256-cbc', keyLen: 32, ivLen: 16, mode: 'cbc' },
  'aes128-gcm@openssh.com': { node: 'aes-128-gcm', keyLen: 16, ivLen: 12, mode: 'gcm' },
  'aes256-gcm@openssh.com': { node: 'aes-256-gcm', keyLen: 32, ivLen: 12, mode: 'gcm' },
}

/** Parses the text of an SSH private key file. */
export function parseSshPrivateKeyFile(text: string): SshPrivateKeyFile {
  const t = text.replace(/^\uFEFF/, '').trim()
  if (t.startsWith(OPENSSH_BEGIN)) return parseOpenSsh(t)
  if (/^-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY-----/.test(t)) return parsePem(t)
  const m = /^-----BEGIN ([A-Z0-9 ]{1,40}) PRIVATE KEY-----/.exec(t)
  if (m) throw new Error(`unsupported SSH private key format ${m[1]}`)
  throw new Error('not an SSH private key file')
}

function parseOpenSsh(t: string): SshPrivateKeyFile {
  const endAt = t.indexOf(OPENSSH_END)
  if (endAt < 0) throw new Error('malformed OpenSSH private key')
  const b64 = t.slice(OPENSSH_BEGIN.length, endAt).replace(/\s+/g, '')
  const raw = decodeBase64Strict(b64)
  if (!raw) throw new Error('malformed OpenSSH private key')
  if (new TextDecoder().decode(raw.subarray(0, MAGIC.length)) !== MAGIC) throw new Error('malformed OpenSSH private key')
  try {
    const r = new WireReader(raw.subarray(MAGIC.length))
    const cipherName = r.text()
    const kdfName = r.text()
    const kdfOptions = r.string()
    const count = r.uint32()
    if (count !== 1) throw new Error('OpenSSH private key files with several keys are not supported')
    const publicKey = parseSshPublicKeyBlob(r.string())
    const sealed = r.string()
    const trailer = r.bytes(r.remaining)
    const encrypted = cipherName !== 'none'
    if (!encrypted && (kdfName !== 'none' || trailer.length !== 0)) throw new Error('malformed OpenSSH private key')
    if (encrypted && !CIPHERS[cipherName]) throw new Error(`unsupported OpenSSH key cipher ${safeTypeName(cipherName)}`)
    if (encrypted && kdfName !== 'bcrypt') throw new Error(`unsupported OpenSSH key KDF ${safeTypeName(kdfName)}`)
    if (encrypted) bcryptOptions(kdfOptions) // refused now, before anyone is asked for a passphrase
    return {
      publicKey,
      encrypted,
      decrypt(passphrase?: string): SshPrivateKey {
        let plain = sealed
        if (encrypted) {
          if (passphrase === undefined) throw new ReadError('the key is passphrase-protected and no passphrase was given')
          plain = decryptSection(cipherName, kdfOptions, sealed, trailer, passphrase)
        }
        return parsePrivateSection(plain, publicKey, encrypted)
      },
    }
  } catch (e) {
    if (e instanceof ReadError || e instanceof LimitExceededError) throw e
    throw new Error((e as Error).message.startsWith('unsupported') || (e as Error).message.startsWith('OpenSSH')
      ? (e as Error).message
      : 'malformed OpenSSH private key')
  }
}

/** The bcrypt KDF options (salt, rounds); the rounds capped at MAX_BCRYPT_ROUNDS. */
function bcryptOptions(kdfOptions: Uint8Array): { salt: Uint8Array; rounds: number } {
  const o = new WireReader(kdfOptions)
  const salt = o.string()
  const rounds = o.uint32()
  o.end()
  if (rounds < 1 || salt.length === 0) throw new Error('malformed OpenSSH private key')
  if (rounds > MAX_BCRYPT_ROUNDS) {
    throw new LimitExceededError(`the key's passphrase protection uses ${rounds} bcrypt rounds, more than ${MAX_BCRYPT_ROUNDS} (re-protect it with: ssh-keygen -p -a 100 -f <key>)`)
  }
  return { salt, rounds }
}

function decryptSection(cipherName: string, kdfOptions: Uint8Array, sealed: Uint8Array, trailer: Uint8Array, passphrase: string): Uint8Array {
  const c = CIPHERS[cipherName]!
  const { salt, rounds } = bcryptOptions(kdfOptions)
  const derived = bcryptPbkdf(new TextEncoder().encode(passphrase), salt, rounds, c.keyLen + c.ivLen)
  const key = derived.subarray(0, c.keyLen)
  const iv = derived.subarray(c.keyLen)
  if (c.mode === 'gcm') {
    if (trailer.length !== 16) throw new Error('malformed OpenSSH private key')
    const d = createDecipheriv(c.node as 'aes-256-gcm', key, iv, { authTagLength: 16 })
    d.setAuthTag(trailer)
    try {
      return new Uint8Array(Buffer.concat([d.update(sealed), d.final()]))
    } catch {
      throw new ReadError('incorrect passphrase')
    }
  }
  if (trailer.length !== 0 || sealed.length % 16 !== 0) throw new Error('malformed OpenSSH private key')
  const d = createDecipheriv(c.node, key, iv)
  d.setAutoPadding(false)
  return new Uint8Array(Buffer.concat([d.update(sealed), d.final()]))
}

function parsePrivateSection(plain: Uint8Array, publicKey: SshPublicKey, encrypted: boolean): SshPrivateKey {
  const r = new WireReader(plain)
  if (r.uint32() !== r.uint32()) {
    throw encrypted ? new ReadError('incorrect passphrase') : new Error('malformed OpenSSH private key')
  }
  const type = r.text()
  if (type !== publicKey.type) throw new Error('malformed OpenSSH private key')
  let result: SshPrivateKey
  if (type === 'ssh-ed25519' && publicKey.type === 'ssh-ed25519') {
    const pk = r.string()
    const sk = r.string()
    if (pk.length !== 32 || sk.length !== 64 || !equalBytes(pk, publicKey.key) || !equalBytes(sk.subarray(32), pk)) {
      throw new Error('malformed OpenSSH private key')
    }
    result = { type, publicKey, seed: Uint8Array.from(sk.subarray(0, 32)) }
  } else if (type === 'ssh-rsa' && publicKey.type === 'ssh-rsa') {
    const n = r.mpint()
    const e = r.mpint()
    const d = r.mpint()
    const iqmp = r.mpint()
    const p = r.mpint()
    const q = r.mpint()
    if (!equalBytes(n, publicKey.n) || !equalBytes(e, publicKey.e)) throw new Error('malformed OpenSSH private key')
    result = { type, publicKey, key: rsaKeyFromParts(n, e, d, p, q, iqmp) }
  } else {
    throw new Error('malformed OpenSSH private key')
  }
  r.string() // comment
  const pad = r.bytes(r.remaining)
  if (!pad.every((b, i) => b === ((i + 1) & 0xff))) throw new Error('malformed OpenSSH private key')
  return result
}

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url')
const toBig = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b).toString('hex')))
function fromBig(n: bigint): Uint8Array {
  let hex = n.toString(16)
  if (hex.length % 2) hex = '0' + hex
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

function rsaKeyFromParts(n: Uint8Array, e: Uint8Array, d: Uint8Array, p: Uint8Array, q: Uint8Array, iqmp: Uint8Array): KeyObject {
  const dBig = toBig(d)
  const pBig = toBig(p)
  const qBig = toBig(q)
  if (pBig < 3n || qBig < 3n || pBig * qBig !== toBig(n)) throw new Error('malformed OpenSSH private key')
  const jwk = {
    kty: 'RSA', n: b64u(n), e: b64u(e), d: b64u(d), p: b64u(p), q: b64u(q),
    dp: b64u(fromBig(dBig % (pBig - 1n))), dq: b64u(fromBig(dBig % (qBig - 1n))), qi: b64u(iqmp),
  }
  try {
    return createPrivateKey({ key: jwk, format: 'jwk' })
  } catch {
    throw new Error('malformed OpenSSH private key')
  }
}

function parsePem(t: string): SshPrivateKeyFile {
  const encrypted = /^Proc-Type:\s*4,ENCRYPTED/m.test(t) || t.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----')
  const load = (passphrase?: string): SshPrivateKey => {
    let key: KeyObject
    try {
      key = createPrivateKey(encrypted ? { key: t, format: 'pem', passphrase: passphrase ?? '' } : { key: t, format: 'pem' })
    } catch {
      throw encrypted ? new ReadError('incorrect passphrase') : new Error('malformed PEM private key')
    }
    return fromKeyObject(key)
  }
  if (encrypted) {
    return {
      publicKey: null,
      encrypted,
      decrypt(passphrase?: string) {
        if (passphrase === undefined) throw new ReadError('the key is passphrase-protected and no passphrase was given')
        return load(passphrase)
      },
    }
  }
  const key = load()
  return { publicKey: key.publicKey, encrypted, decrypt: () => key }
}

function fromKeyObject(key: KeyObject): SshPrivateKey {
  const jwk = key.export({ format: 'jwk' })
  if (key.asymmetricKeyType === 'rsa' && jwk.n && jwk.e) {
    const publicKey: SshPublicKey = {
      type: 'ssh-rsa',
      n: stripZeros(Buffer.from(jwk.n, 'base64url')),
      e: stripZeros(Buffer.from(jwk.e, 'base64url')),
    }
    return { type: 'ssh-rsa', publicKey, key }
  }
  if (key.asymmetricKeyType === 'ed25519' && jwk.d && jwk.x) {
    const publicKey: SshPublicKey = { type: 'ssh-ed25519', key: new Uint8Array(Buffer.from(jwk.x, 'base64url')) }
    return { type: 'ssh-ed25519', publicKey, seed: new Uint8Array(Buffer.from(jwk.d, 'base64url')) }
  }
  throw new Error(`unsupported SSH key type ${safeTypeName(key.asymmetricKeyType ?? 'unknown')}`)
}

function stripZeros(b: Uint8Array): Uint8Array {
  let i = 0
  while (i < b.length && b[i] === 0) i++
  return new Uint8Array(b.subarray(i))
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
