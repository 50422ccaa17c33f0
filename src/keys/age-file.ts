/**
 * Reading an age v1 file (C2SP age) with node:crypto: the armor, the header (stanzas and the
 * HMAC over them) and the payload (ChaCha20-Poly1305 STREAM under HKDF-SHA-256(file key,
 * nonce, "payload"), 64 KiB chunks).
 *
 * Why our own reader, when age-encryption has `Decrypter`: its `decrypt` of a Uint8Array goes
 * through `new Response(stream)`, whose first use loads Node's fetch stack (undici, http), and
 * the package itself (with post-quantum and curve libraries) is a large module to compile —
 * together about half of `sops-like run`'s own start-up, to open a 32-byte data key. Identity
 * objects keep age-encryption's `Identity` interface (`unwrapFileKey(stanzas)`), so the SSH
 * identities plug in unchanged; writing age files stays with age-encryption.
 */
import { createDecipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'
import { LimitExceededError } from '../errors.js'
import { decodeBase64NoPad } from './ssh-wire.js'

/**
 * Most recipient stanzas one age blob may have. sops and sops-like wrap the data key for each
 * recipient separately (one stanza per blob; some age tools add a "grease" stanza), while every
 * X25519 stanza costs an ECDH to try: 150,000 foreign stanzas took over a minute. With at most
 * MAX_KEY_ENTRIES (src/core/metadata.ts) entries per file this bounds a file to 16,000 tries.
 */
export const MAX_AGE_STANZAS = 16

/** A recipient stanza: `-> args…` and its body (age-encryption's `Stanza` shape). */
export interface AgeStanza { args: string[]; body: Uint8Array }

export interface AgeFile {
  stanzas: AgeStanza[]
  /** The header bytes the MAC covers: through the `---` of the MAC line. */
  headerNoMac: Uint8Array
  mac: Uint8Array
  payload: Uint8Array
}

const VERSION_LINE = 'age-encryption.org/v1'
const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----'
const ARMOR_END = '-----END AGE ENCRYPTED FILE-----'
const ARG = /^[\x21-\x7e]+$/
const CHUNK = 64 * 1024
const TAG = 16

/** The binary age file inside an armored one (`-----BEGIN AGE ENCRYPTED FILE-----`); null when malformed. */
export function dearmorAge(text: string): Uint8Array | null {
  const lines = text.trim().split(/\r?\n/)
  if (lines[0] !== ARMOR_BEGIN || lines[lines.length - 1] !== ARMOR_END) return null
  const body = lines.slice(1, -1).map((l) => l.trim()).join('')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) return null
  return new Uint8Array(Buffer.from(body, 'base64'))
}

/**
 * Parses an age file's header; null when the bytes are not an age v1 file. More than
 * MAX_AGE_STANZAS stanzas is a LimitExceededError (checked while reading, before any is tried).
 */
export function parseAgeFile(file: Uint8Array): AgeFile | null {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength)
  let pos = 0
  const line = (): string | null => {
    const nl = buf.indexOf(0x0a, pos)
    if (nl < 0) return null
    const s = buf.toString('latin1', pos, nl)
    pos = nl + 1
    return s
  }
  if (line() !== VERSION_LINE) return null
  const stanzas: AgeStanza[] = []
  for (;;) {
    const start = pos
    const l = line()
    if (l === null) return null
    if (l.startsWith('--- ')) {
      const mac = decodeBase64NoPad(l.slice(4))
      if (!mac || mac.length !== 32) return null
      return { stanzas, headerNoMac: file.subarray(0, start + 3), mac, payload: file.subarray(pos) }
    }
    if (!l.startsWith('-> ')) return null
    if (stanzas.length === MAX_AGE_STANZAS) throw new LimitExceededError(`an age-encrypted data key has more than ${MAX_AGE_STANZAS} recipient stanzas (sops writes one): refusing to try them`)
    const args = l.slice(3).split(' ')
    if (!args.length || !args.every((a) => ARG.test(a))) return null
    const parts: Uint8Array[] = []
    for (;;) {
      const b = line()
      if (b === null || b.length > 64) return null
      const bytes = decodeBase64NoPad(b)
      if (!bytes) return null
      parts.push(bytes)
      if (b.length < 64) break
    }
    stanzas.push({ args, body: Buffer.concat(parts) })
  }
}

/** Whether the header MAC matches under `fileKey` (constant-time compare). */
export function ageHeaderMacOk(f: AgeFile, fileKey: Uint8Array): boolean {
  const macKey = Buffer.from(hkdfSync('sha256', fileKey, Buffer.alloc(0), 'header', 32))
  const mac = createHmac('sha256', macKey).update(f.headerNoMac).digest()
  macKey.fill(0)
  return timingSafeEqual(mac, f.mac)
}

/** Decrypts an age payload with its file key; throws on any authentication or framing failure. */
export function openAgePayload(fileKey: Uint8Array, payload: Uint8Array): Uint8Array {
  if (payload.length < 16 + TAG) throw new Error('age payload too short')
  const key = Buffer.from(hkdfSync('sha256', fileKey, payload.subarray(0, 16), 'payload', 32))
  const body = payload.subarray(16)
  const out: Buffer[] = []
  const nonce = Buffer.alloc(12)
  try {
    for (let off = 0, counter = 0; ; counter++) {
      const last = body.length - off <= CHUNK + TAG
      const chunk = body.subarray(off, last ? body.length : off + CHUNK + TAG)
      if (last && chunk.length === TAG && counter > 0) throw new Error('age payload ends in an empty chunk')
      nonce.writeUIntBE(counter, 5, 6) // the 11-byte big-endian counter (its low 6 bytes suffice)
      nonce[11] = last ? 1 : 0
      const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG })
      d.setAuthTag(chunk.subarray(chunk.length - TAG))
      out.push(d.update(chunk.subarray(0, chunk.length - TAG)), d.final())
      if (last) break
      off += CHUNK + TAG
    }
    return Buffer.concat(out)
  } finally {
    key.fill(0)
    for (const b of out) b.fill(0) // the chunks held the plaintext (a data key)
  }
}
