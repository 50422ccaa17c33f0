/** keygen: a new age X25519 identity, appended to a keys file (never overwriting one). */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { generateX25519Identity, identityToRecipient } from 'age-encryption'
import { WriteError } from '../errors.js'
import { defaultKeyFiles } from '../keys/age-identities.js'
import { nowRfc3339 } from '../core/metadata.js'

export interface NewIdentity {
  /** The secret identity line (`AGE-SECRET-KEY-1…`). Never print it unless asked. */
  identity: string
  recipient: string
  /** The key file text block (comments + identity). */
  text: string
}

export async function generateAgeIdentity(now = new Date()): Promise<NewIdentity> {
  const identity = await generateX25519Identity()
  const recipient = await identityToRecipient(identity)
  return { identity, recipient, text: `# created: ${nowRfc3339(now)}\n# public key: ${recipient}\n${identity}\n` }
}

/** The keys.txt that keygen writes to by default (the first default location sops reads). */
export function defaultKeygenPath(env: NodeJS.ProcessEnv = process.env): string {
  return defaultKeyFiles(env)[0]!
}

/** Appends a new identity to `path` (mode 0600, folder 0700); returns it. */
export async function keygenToFile(path: string): Promise<NewIdentity> {
  const id = await generateAgeIdentity()
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    const sep = existsSync(path) && !readFileSync(path, 'utf8').endsWith('\n') && readFileSync(path).length > 0 ? '\n' : ''
    appendFileSync(path, sep + id.text, { mode: 0o600 })
  } catch {
    throw new WriteError(`cannot write the key file ${path}`)
  }
  return id
}
