/**
 * Reading dotenvx's encrypted .env files, for `import-dotenvx` and for `run`'s refusal to inject
 * their ciphertext. Facts from dotenvx's documentation and source (no code taken):
 * - a value is `encrypted:` + base64 of eciesjs' default ECIES payload on secp256k1:
 *   ephemeral public key (65 bytes, uncompressed) ‖ nonce (16) ‖ GCM tag (16) ‖ ciphertext;
 *   the AES-256-GCM key is HKDF-SHA256 (no salt, no info, 32 bytes) of ephemeral key ‖ shared
 *   point (both uncompressed);
 * - the file names its public key `DOTENV_PUBLIC_KEY[_ENV]="02…"` (compressed, hex); the private
 *   key is `DOTENV_PRIVATE_KEY[_ENV]` (64 hex digits, several may be comma-separated), read from
 *   the environment or from `.env.keys` (a dotenv file) beside the encrypted file;
 * - the file itself is dotenv as the `dotenv` package reads it: `KEY=value`, optional `export `,
 *   single/double/backtick quotes (double quotes expand \n and \r), `#` comments.
 * This module reads text only; the curve is loaded by decryptDotenvxValue (src/keys/secp256k1-load.ts).
 */
import { createDecipheriv, hkdfSync } from 'node:crypto'
import { NoIdentityError, TamperedValueError } from '../../errors.js'

export const DOTENVX_PREFIX = 'encrypted:'

/** One line of a dotenvx file: a variable or a comment (without its `#`). */
export type DotenvxLine = { kind: 'var'; key: string; value: string; line: number } | { kind: 'comment'; text: string }

const KEY_LINE = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*/

/** Parses dotenv text (dotenv's rules) into variables and comments, in order. Lines that hold neither are skipped. */
export function parseDotenvx(text: string): DotenvxLine[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n')
  const out: DotenvxLine[] = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const trimmed = line.trim()
    if (trimmed.startsWith('#')) {
      out.push({ kind: 'comment', text: trimmed.slice(1) })
      continue
    }
    const m = KEY_LINE.exec(line)
    if (!m) continue
    const start = i + 1
    let rest = line.slice(m[0].length)
    let value: string
    const q = rest[0]
    if (q === '"' || q === "'" || q === '`') {
      // a quoted value may run over several lines, up to the same quote; each line is searched
      // once (searching the growing value again for every line was quadratic: a hang on a big file)
      const parts = [rest.slice(1)]
      let end = parts[0]!.indexOf(q)
      while (end < 0 && i + 1 < lines.length) {
        parts.push(lines[++i]!)
        end = parts[parts.length - 1]!.indexOf(q)
      }
      if (end >= 0) parts[parts.length - 1] = parts[parts.length - 1]!.slice(0, end)
      value = parts.join('\n')
      if (q === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r')
    } else {
      const hash = rest.search(/\s#/)
      if (hash >= 0) rest = rest.slice(0, hash)
      value = rest.trim()
    }
    out.push({ kind: 'var', key: m[1]!, value, line: start })
  }
  return out
}

/** True when dotenv text is a dotenvx-encrypted file: a value starts with `encrypted:` or a DOTENV_PUBLIC_KEY is declared. */
export function looksLikeDotenvx(bytes: Uint8Array): boolean {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
  if (!text.includes(DOTENVX_PREFIX) && !text.includes('DOTENV_PUBLIC_KEY')) return false
  return parseDotenvx(text).some((l) => l.kind === 'var' && (l.value.startsWith(DOTENVX_PREFIX) || l.key.startsWith('DOTENV_PUBLIC_KEY')))
}

/** The private key's variable name for a file: from its DOTENV_PUBLIC_KEY… line, else from its name (`.env.production` → DOTENV_PRIVATE_KEY_PRODUCTION). */
export function privateKeyName(lines: readonly DotenvxLine[], fileName: string): { privateName: string; publicKey?: string } {
  const pub = lines.find((l): l is Extract<DotenvxLine, { kind: 'var' }> => l.kind === 'var' && l.key.startsWith('DOTENV_PUBLIC_KEY'))
  if (pub) return { privateName: pub.key.replace('DOTENV_PUBLIC_KEY', 'DOTENV_PRIVATE_KEY'), publicKey: pub.value.toLowerCase() }
  const base = fileName.split(/[\\/]/).pop() ?? fileName
  const env = /^\.env\.(.+)$/.exec(base)?.[1]
  return { privateName: env ? `DOTENV_PRIVATE_KEY_${env.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}` : 'DOTENV_PRIVATE_KEY' }
}

/** The candidate private keys (hex) named `name`: the environment's first, then the keys file's. */
export function privateKeyCandidates(name: string, env: NodeJS.ProcessEnv, keysText: string | undefined): string[] {
  const fromKeys = keysText === undefined ? [] : parseDotenvx(keysText).flatMap((l) => (l.kind === 'var' && l.key === name ? [l.value] : []))
  return [env[name] ?? '', ...fromKeys].flatMap((v) => v.split(',')).map((k) => k.trim()).filter(Boolean)
}

/**
 * Decrypts one `encrypted:…` value with a 32-byte secp256k1 private key. Returns undefined when the
 * key does not open it (wrong key); throws TamperedValueError when the payload is malformed. `where`
 * names the variable and file for messages (never the value).
 */
export async function decryptDotenvxValue(value: string, privateKey: Uint8Array, where: string): Promise<string | undefined> {
  const b64 = value.slice(DOTENVX_PREFIX.length)
  const payload = Buffer.from(b64, 'base64')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || payload.length < 65 + 16 + 16 || payload[0] !== 0x04) {
    throw new TamperedValueError(`${where}: the encrypted: value is malformed (not dotenvx's ECIES payload)`)
  }
  const { loadSecp256k1 } = await import('../../keys/secp256k1-load.js')
  const secp = loadSecp256k1()
  const ephemeral = payload.subarray(0, 65)
  let shared: Uint8Array
  try {
    shared = secp.getSharedSecret(privateKey, ephemeral, false)
  } catch {
    throw new TamperedValueError(`${where}: the encrypted: value's ephemeral key is not a point on secp256k1`)
  }
  const key = Buffer.from(hkdfSync('sha256', Buffer.concat([ephemeral, shared]), Buffer.alloc(0), Buffer.alloc(0), 32))
  try {
    const d = createDecipheriv('aes-256-gcm', key, payload.subarray(65, 81))
    d.setAuthTag(payload.subarray(81, 97))
    return Buffer.concat([d.update(payload.subarray(97)), d.final()]).toString('utf8')
  } catch {
    return undefined
  } finally {
    key.fill(0)
  }
}

/** A private key in dotenvx's spelling (64 hex digits) as bytes; NoIdentityError naming the variable otherwise. */
export function privateKeyBytes(hex: string, name: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new NoIdentityError(`${name} is not a dotenvx private key (64 hex digits)`, { hint: 'copy it from the .env.keys file dotenvx wrote' })
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

/** The compressed public key (hex) of a private key, to pick the one a file names. */
export async function publicKeyHex(privateKey: Uint8Array): Promise<string> {
  const { loadSecp256k1 } = await import('../../keys/secp256k1-load.js')
  return Buffer.from(loadSecp256k1().getPublicKey(privateKey, true)).toString('hex')
}
