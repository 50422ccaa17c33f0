/**
 * The sops value cipher: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` with AES-256-GCM,
 * a 32-byte IV, a 16-byte tag and the value's AAD. Pure: no I/O, no logging, and no
 * error message carries a value, a key or ciphertext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { TamperedValueError } from '../errors.js'

/** The `type:` of an ENC value. `comment` marks encrypted comments; `bytes` is legacy (decrypt only). */
export type EncType = 'str' | 'int' | 'float' | 'bool' | 'time' | 'comment' | 'bytes'
const ENC_TYPES = new Set<string>(['str', 'int', 'float', 'bool', 'time', 'comment', 'bytes'])

const ENC_RE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/s
// one negated character class, no nested repetition: linear on a 60 MB binary value (a grouped
// pattern overflows the regex stack); padding is checked by position
const NOT_B64 = /[^A-Za-z0-9+/=]/

/** `^[A-Za-z0-9+/]*={0,2}$`, checked as one character scan plus where the `=` are. */
function isB64(s: string): boolean {
  if (NOT_B64.test(s)) return false
  const eq = s.indexOf('=')
  return eq < 0 || (eq >= s.length - 2 && (eq === s.length - 1 || s[s.length - 1] === '='))
}

export interface ParsedEnc { data: Buffer; iv: Buffer; tag: Buffer; type: EncType }

/** Whether a string looks like an encrypted sops value. */
export const isEncrypted = (s: string): boolean => s.startsWith('ENC[AES256_GCM,')

/** Checked base64 text (CR/LF removed), not yet decoded. */
function b64Text(s: string, what: string, where: string): string {
  const clean = s.includes('\n') || s.includes('\r') ? s.replace(/[\r\n]/g, '') : s // Go's StdEncoding ignores CR/LF
  if (clean.length % 4 !== 0 || !isB64(clean)) throw new TamperedValueError(`malformed encrypted value at ${where}: bad base64 in ${what}`)
  return clean
}

const b64 = (s: string, what: string, where: string): Buffer => Buffer.from(b64Text(s, what, where), 'base64')

/** Parses an ENC string; `where` (a key path, never a value) goes into error messages. */
export function parseEnc(enc: string, where: string): ParsedEnc {
  const p = parseEncText(enc, where)
  return { data: Buffer.from(p.data, 'base64'), iv: p.iv, tag: p.tag, type: p.type }
}

/** As parseEnc, with the data still as checked base64 text (decrypting decodes it inside the cipher call). */
function parseEncText(enc: string, where: string): { data: string; iv: Buffer; tag: Buffer; type: EncType } {
  const m = ENC_RE.exec(enc)
  if (!m) {
    const why = enc.startsWith('ENC[') && !enc.startsWith('ENC[AES256_GCM,') ? 'unknown cipher' : 'not in sops ENC[...] format'
    throw new TamperedValueError(`malformed encrypted value at ${where}: ${why}`)
  }
  const [, d, i, t, ty] = m as unknown as [string, string, string, string, string]
  if (!ENC_TYPES.has(ty)) throw new TamperedValueError(`malformed encrypted value at ${where}: unknown type`)
  const data = b64Text(d, 'data', where)
  const iv = b64(i, 'iv', where)
  const tag = b64(t, 'tag', where)
  if (iv.length === 0) throw new TamperedValueError(`malformed encrypted value at ${where}: empty iv`)
  if (tag.length !== 16) throw new TamperedValueError(`malformed encrypted value at ${where}: tag is not 16 bytes`)
  return { data, iv, tag, type: ty as EncType }
}

/** Bytes of random data drawn from the system at a time for IVs: 2,048 IVs per refill. */
export const IV_POOL_BYTES = 64 * 1024
const IV_BYTES = 32
let ivPool: Buffer = Buffer.alloc(0)
let ivOffset = 0

/**
 * A fresh 32-byte IV. IVs come from a pool of system randomness drawn 64 KiB at a time (one
 * `randomBytes` call per 2,048 values instead of one per value); each slice is handed out once
 * and the pool is never refilled in place: a refill is a new buffer, so an IV already given out
 * can never change or be given out again.
 */
export function freshIv(): Buffer {
  if (ivOffset + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_POOL_BYTES)
    ivOffset = 0
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + IV_BYTES)
  ivOffset += IV_BYTES
  return iv
}

/** Encrypts plaintext bytes. An empty plaintext is never encrypted (returns ''), as in sops. */
export function encryptBytes(plain: Uint8Array, type: EncType, key: Uint8Array, aad: string, iv: Uint8Array = freshIv()): string {
  if (plain.length === 0) return ''
  const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 })
  c.setAAD(Buffer.from(aad, 'utf8'))
  const data = joinFinal(c.update(plain), c.final())
  const tag = c.getAuthTag()
  const parts = ['ENC[AES256_GCM,data:', data.toString('base64'), `,iv:${Buffer.from(iv).toString('base64')},tag:${tag.toString('base64')},type:${type}]`]
  // a large value as one flat string at once (a `+` would make a rope that is copied again when first read)
  return data.length > 1 << 16 ? parts.join('') : parts[0]! + parts[1]! + parts[2]!
}

const b64Len = (bytes: number): number => 4 * Math.ceil(bytes / 3)
/** The value of a standard base64 letter (A-Z a-z 0-9 + /), -1 for anything else. */
function b64Value(c: number): number {
  if (c >= 65 && c <= 90) return c - 65
  if (c >= 97 && c <= 122) return c - 71
  if (c >= 48 && c <= 57) return c + 4
  return c === 43 ? 62 : c === 47 ? 63 : -1
}
const PAD = 61 // '='

/**
 * The 4 characters of `s` at `at` (the last base64 quantum of a segment) are the canonical
 * spelling of their bytes: standard letters, then `==` after a letter whose low 4 bits are zero,
 * `=` after one whose low 2 bits are zero, or no padding (what decoding and re-encoding gives back).
 */
function canonicalQuantum(s: string, at: number): boolean {
  const a = b64Value(s.charCodeAt(at))
  const b = b64Value(s.charCodeAt(at + 1))
  const c = s.charCodeAt(at + 2)
  const d = s.charCodeAt(at + 3)
  if (a < 0 || b < 0) return false
  if (c === PAD) return d === PAD && (b & 15) === 0
  const cv = b64Value(c)
  if (cv < 0) return false
  if (d === PAD) return (cv & 3) === 0
  return b64Value(d) >= 0
}

/**
 * Whether an ENC text that decrypted to `plainLength` bytes under a `ivLength`-byte IV is exactly
 * what `encryptBytes` writes for it: one line, canonical base64, the `type` label, nothing after
 * `]`. Only such a text may stand in for re-encrypting. GCM's ciphertext is as long as the
 * plaintext, so every segment's length is known: the check is positions plus the last quantum
 * of each segment, never a decode of the whole value. The text must have decrypted already (its
 * segments passed the base64 check).
 */
export function isCanonicalEnc(enc: string, type: string, plainLength: number, ivLength: number): boolean {
  const head = 'ENC[AES256_GCM,data:'
  const d = b64Len(plainLength)
  const i = b64Len(ivLength)
  const t = b64Len(16)
  const ivAt = head.length + d
  const tagAt = ivAt + 4 + i
  const typeAt = tagAt + 5 + t
  if (plainLength === 0 || enc.length !== typeAt + 6 + type.length + 1) return false
  if (!enc.startsWith(head) || !enc.startsWith(',iv:', ivAt) || !enc.startsWith(',tag:', tagAt) || !enc.startsWith(`,type:${type}]`, typeAt)) return false
  return canonicalQuantum(enc, ivAt - 4) && canonicalQuantum(enc, tagAt - 4) && canonicalQuantum(enc, typeAt - 4)
}

/** update() + final() output; GCM's final() gives no bytes, so the usual case is no copy at all. */
const joinFinal = (a: Buffer, b: Buffer): Buffer => (b.length === 0 ? a : Buffer.concat([a, b]))

export interface Decrypted { plain: Buffer; type: EncType; iv: Buffer }

/** Decrypts an ENC string. Throws TamperedValueError (naming only `where`) on any failure. */
export function decryptString(enc: string, key: Uint8Array, aad: string, where: string): Decrypted {
  const p = parseEncText(enc, where)
  try {
    const d = createDecipheriv('aes-256-gcm', key, p.iv, { authTagLength: 16 })
    d.setAAD(Buffer.from(aad, 'utf8'))
    d.setAuthTag(p.tag)
    // the ciphertext goes in as base64 text: decoded into a buffer the call frees, never a JS copy
    const plain = joinFinal(d.update(p.data, 'base64'), d.final())
    return { plain, type: p.type, iv: p.iv }
  } catch {
    throw new TamperedValueError(`value at ${where} failed authentication (tampered, moved to another key, or wrong data key)`)
  }
}
