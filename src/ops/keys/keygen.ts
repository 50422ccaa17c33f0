/**
 * keygen: a new age identity — X25519, or with `pq` a post-quantum hybrid ML-KEM-768 +
 * X25519 one (`AGE-SECRET-KEY-PQ-1…` / `age1pq1…`, age 1.3's `age-keygen -pq`) — appended
 * to a keys file (never overwriting one).
 * Appending to a keys file that group or others can read is done, with a warning in the
 * result (age-keygen warns likewise for world-readable files): the file's mode is the
 * user's choice, but a secret key in it is readable by others.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { generateHybridIdentity, generateX25519Identity, identityToRecipient } from 'age-encryption'
import { WriteError } from '../../errors.js'
import { defaultKeyFiles } from '../../keys/age-identities.js'
import { nowRfc3339 } from '../../core/metadata.js'

export interface NewIdentity {
  /** The secret identity line (`AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…`). Never print it unless asked. */
  identity: string
  recipient: string
  /** The key file text block (comments + identity). */
  text: string
}

export interface KeygenOptions {
  /** A post-quantum hybrid identity (ML-KEM-768 + X25519) instead of X25519. */
  pq?: boolean
}

export async function generateAgeIdentity(now = new Date(), opts: KeygenOptions = {}): Promise<NewIdentity> {
  const identity = opts.pq ? await generateHybridIdentity() : await generateX25519Identity()
  const recipient = await identityToRecipient(identity)
  return { identity, recipient, text: `# created: ${nowRfc3339(now)}\n# public key: ${recipient}\n${identity}\n` }
}

/** The keys.txt that keygen writes to by default (the first default location sops reads). */
export function defaultKeygenPath(env: NodeJS.ProcessEnv = process.env): string {
  return defaultKeyFiles(env)[0]!
}

export interface KeygenResult extends NewIdentity {
  /** Things the user should know (e.g. the file is readable by others); one line each, no secret. */
  warnings: string[]
}

/** The warning for a keys file group or others can read, if it is one. */
function readableByOthers(path: string): string | undefined {
  let mode: number
  try { mode = statSync(path).mode } catch { return undefined }
  if (process.platform === 'win32' || (mode & 0o044) === 0) return undefined
  const who = mode & 0o004 ? 'world' : 'group'
  return `the secret key was written to ${path}, which is ${who}-readable (mode ${(mode & 0o777).toString(8).padStart(4, '0')}): run chmod 600 ${path}`
}

/** Appends a new identity to `path` (a new file gets mode 0600, a new folder 0700); returns it and any warnings. */
export async function keygenToFile(path: string, opts: KeygenOptions = {}): Promise<KeygenResult> {
  const id = await generateAgeIdentity(new Date(), opts)
  const warnings: string[] = []
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    const sep = existsSync(path) && !readFileSync(path, 'utf8').endsWith('\n') && readFileSync(path).length > 0 ? '\n' : ''
    appendFileSync(path, sep + id.text, { mode: 0o600 })
  } catch {
    throw new WriteError(`cannot write the key file ${path}`)
  }
  const open = readableByOthers(path)
  if (open) warnings.push(open)
  return { ...id, warnings }
}
