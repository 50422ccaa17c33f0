/**
 * SSH wire-format helpers (RFC 4251 §5): a bounds-checked reader and a writer for
 * `uint32`, `string` and `mpint`, plus the public-key blobs of `ssh-ed25519` and
 * `ssh-rsa`, the age tag (first 4 bytes of SHA-256 of the blob) and the
 * `ssh-keygen -l` fingerprint.
 *
 * Errors thrown here are plain `Error`s with fixed texts (at most a key-type name);
 * callers turn them into typed errors. No message ever contains key material.
 */
import { createHash } from 'node:crypto'

/** Sequential reader over SSH wire-format bytes. */
export class WireReader {
  private pos = 0
  constructor(private readonly buf: Uint8Array) {}

  /** Bytes not read yet. */
  get remaining(): number {
    return this.buf.length - this.pos
  }

  /** Reads `n` raw bytes. */
  bytes(n: number): Uint8Array {
    if (n < 0 || n > this.remaining) throw new Error('truncated SSH data')
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  /** Reads a big-endian uint32. */
  uint32(): number {
    const b = this.bytes(4)
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0
  }

  /** Reads a length-prefixed byte string. */
  string(): Uint8Array {
    return this.bytes(this.uint32())
  }

  /** Reads a length-prefixed string and decodes it as ASCII/UTF-8 text. */
  text(): string {
    return new TextDecoder().decode(this.string())
  }

  /** Reads a non-negative mpint and returns its magnitude without leading zeros. */
  mpint(): Uint8Array {
    const b = this.string()
    if (b.length > 0 && (b[0]! & 0x80) !== 0) throw new Error('negative SSH mpint')
    let i = 0
    while (i < b.length && b[i] === 0) i++
    return b.subarray(i)
  }

  /** Fails unless every byte was consumed. */
  end(): void {
    if (this.remaining !== 0) throw new Error('trailing data after SSH key')
  }
}

/** Encodes a big-endian uint32. */
export function wireUint32(n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n >>> 0)
  return b
}

/** Encodes a length-prefixed byte string (text is UTF-8 encoded). */
export function wireString(data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data
  return concatBytes(wireUint32(bytes.length), bytes)
}

/** Encodes a non-negative integer magnitude (big-endian, any leading zeros) as an mpint. */
export function wireMpint(magnitude: Uint8Array): Uint8Array {
  let i = 0
  while (i < magnitude.length && magnitude[i] === 0) i++
  const m = magnitude.subarray(i)
  const body = m.length > 0 && (m[0]! & 0x80) !== 0 ? concatBytes(new Uint8Array([0]), m) : m
  return wireString(body)
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let off = 0
  for (const p of parts) {
    out.set(p, off)
    off += p.length
  }
  return out
}

/** A parsed SSH public key of a type age supports. */
export type SshPublicKey =
  | { readonly type: 'ssh-ed25519'; readonly key: Uint8Array }
  | { readonly type: 'ssh-rsa'; readonly e: Uint8Array; readonly n: Uint8Array }

/** A printable key-type name: the name itself when it looks like one, else a placeholder. */
export function safeTypeName(t: string): string {
  return /^[A-Za-z0-9@._+-]{1,64}$/.test(t) ? t : '(unrecognized)'
}

/** Parses an SSH public key blob (the base64-decoded middle field of an authorized_keys line). */
export function parseSshPublicKeyBlob(blob: Uint8Array): SshPublicKey {
  const r = new WireReader(blob)
  const type = r.text()
  if (type === 'ssh-ed25519') {
    const key = r.string()
    r.end()
    if (key.length !== 32) throw new Error('invalid ssh-ed25519 public key length')
    return { type, key: Uint8Array.from(key) }
  }
  if (type === 'ssh-rsa') {
    const e = Uint8Array.from(r.mpint())
    const n = Uint8Array.from(r.mpint())
    r.end()
    return { type, e, n }
  }
  throw new Error(`unsupported SSH key type ${safeTypeName(type)}`)
}

/** Canonical wire encoding of a public key (what Go's `ssh.PublicKey.Marshal` returns). */
export function marshalSshPublicKey(pk: SshPublicKey): Uint8Array {
  if (pk.type === 'ssh-ed25519') return concatBytes(wireString(pk.type), wireString(pk.key))
  return concatBytes(wireString(pk.type), wireMpint(pk.e), wireMpint(pk.n))
}

/** `type base64` (authorized_keys form, without a comment). */
export function sshPublicKeyLine(pk: SshPublicKey): string {
  return `${pk.type} ${Buffer.from(marshalSshPublicKey(pk)).toString('base64')}`
}

/** The age stanza tag: base64 (no padding) of the first 4 bytes of SHA-256 of the key blob. */
export function sshAgeTag(pk: SshPublicKey): string {
  const h = createHash('sha256').update(marshalSshPublicKey(pk)).digest()
  return base64NoPad(h.subarray(0, 4))
}

/** `SHA256:…` fingerprint as printed by `ssh-keygen -l`. */
export function sshKeyFingerprint(pk: SshPublicKey): string {
  return 'SHA256:' + base64NoPad(createHash('sha256').update(marshalSshPublicKey(pk)).digest())
}

/** Standard base64 without `=` padding (the age header encoding). */
export function base64NoPad(b: Uint8Array): string {
  return Buffer.from(b).toString('base64').replace(/=+$/, '')
}

/**
 * Strict decoding of standard base64 without padding, as age header arguments use.
 * Returns null for anything else (padding, other alphabets, non-canonical trailing bits).
 */
export function decodeBase64NoPad(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*$/.test(s) || s.length % 4 === 1) return null
  const b = Buffer.from(s, 'base64')
  return base64NoPad(b) === s ? new Uint8Array(b) : null
}

/**
 * Decoding of padded standard base64 as Go's `base64.StdEncoding` does it (the
 * middle field of an authorized_keys line, the body of a key file). Returns null
 * for other alphabets, missing padding or a wrong length.
 */
export function decodeBase64Strict(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return null
  return new Uint8Array(Buffer.from(s, 'base64'))
}
