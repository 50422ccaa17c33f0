/**
 * Finding SSH identities the way sops does: every one of
 * `$SOPS_AGE_SSH_PRIVATE_KEY_FILE`, `~/.ssh/id_ed25519` and `~/.ssh/id_rsa` that
 * exists is loaded (not just the first). An Ed25519 key also yields the native
 * X25519 identity derived from it, as sops ≥ 3.11 does.
 *
 * Passphrase-protected keys are decrypted lazily, only when a stanza carries
 * their tag (so unrelated keys never prompt): the passphrase comes from
 * `$SOPS_LIKE_SSH_PASSPHRASE`, else a terminal prompt (3 tries), else the key is
 * skipped with a note. A wrong passphrase from the environment throws
 * `ReadError`.
 */
import { readFileSync, statSync } from 'node:fs'
import { homedir as osHomedir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Identity } from 'age-encryption'
import { LimitExceededError, ReadError, RecipientError } from '../errors.js'
import { promptSecret } from '../io/prompt-secret.js'
import { SshEd25519Identity, SshEd25519X25519Identity, SshRsaIdentity, parseSshPublicKeyLine } from './age-ssh.js'
import { parseSshPrivateKeyFile } from './ssh-key-parse.js'
import type { SshPrivateKey } from './ssh-key-parse.js'
import { sshKeyFingerprint, sshPublicKeyLine } from './ssh-wire.js'
import type { SshPublicKey } from './ssh-wire.js'

/** Public facts about a found identity (never secret material). */
export interface SshIdentityDescription {
  /** SSH key type. */
  readonly type: 'ssh-ed25519' | 'ssh-rsa'
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string
  /** The private key file. */
  readonly path: string
  /** `type base64` public key line (no comment); compare with an entry's recipient minus its comment. */
  readonly publicKey: string
  /** The stanza type this identity opens: the SSH one, or `X25519` for the identity derived from an Ed25519 key. */
  readonly stanza: 'ssh-ed25519' | 'ssh-rsa' | 'X25519'
  /** For the derived X25519 identity: its `age1…` recipient. */
  readonly ageRecipient?: string
  /** True when the key file is passphrase-protected. */
  readonly encrypted: boolean
}

/** An age-encryption identity plus public facts about it. */
export interface FoundSshIdentity {
  readonly identity: Identity
  /** One-line label: `ssh-ed25519 SHA256:… (path)`, `X25519 from ssh-ed25519 SHA256:… (path)`. */
  readonly description: string
  readonly details: SshIdentityDescription
}

/** Options of {@link findSshIdentities} and {@link loadSshIdentityFile}. */
export interface FindSshOptions {
  /** Home directory (default `$HOME`, else the OS home directory). */
  homedir?: string
  /** Receives one-line notes (permission warnings, skipped keys). */
  onNote?: (line: string) => void
  /** Passphrase prompt (default: {@link promptSecret} on the terminal). */
  prompt?: (question: string) => Promise<string | undefined>
}

type Env = Readonly<Record<string, string | undefined>>

/** Environment variable naming an SSH private key file (sops). */
export const SSH_KEY_FILE_ENV = 'SOPS_AGE_SSH_PRIVATE_KEY_FILE'
/** Environment variable holding the passphrase of protected SSH keys (ours). */
export const SSH_PASSPHRASE_ENV = 'SOPS_LIKE_SSH_PASSPHRASE'

/**
 * All SSH identities sops would load. Files that cannot be used are reported
 * through `onNote` and skipped (sops also keeps going and only mentions them if
 * nothing decrypts).
 */
export async function findSshIdentities(env: Env, opts: FindSshOptions = {}): Promise<FoundSshIdentity[]> {
  const note = opts.onNote ?? (() => {})
  const home = opts.homedir ?? (env.HOME || osHomedir())
  const candidates: { path: string; explicit: boolean }[] = []
  const fromEnv = env[SSH_KEY_FILE_ENV]
  if (fromEnv) candidates.push({ path: fromEnv, explicit: true })
  if (home) {
    candidates.push({ path: join(home, '.ssh', 'id_ed25519'), explicit: false })
    candidates.push({ path: join(home, '.ssh', 'id_rsa'), explicit: false })
  }
  const seen = new Set<string>()
  const found: FoundSshIdentity[] = []
  for (const c of candidates) {
    const abs = resolve(c.path)
    if (seen.has(abs)) continue
    seen.add(abs)
    if (!c.explicit && !exists(c.path)) continue
    try {
      found.push(...(await loadSshIdentityFile(c.path, env, opts)))
    } catch (e) {
      note(e instanceof ReadError || e instanceof RecipientError || e instanceof LimitExceededError ? e.message : `SSH key ${c.path}: ${(e as Error).message}`)
    }
  }
  return found
}

/**
 * Loads one SSH private key file. Throws `ReadError` when the file cannot be
 * read or parsed (one line, naming the path and never key material).
 */
export async function loadSshIdentityFile(path: string, env: Env, opts: FindSshOptions = {}): Promise<FoundSshIdentity[]> {
  const note = opts.onNote ?? (() => {})
  let text: string
  let mode: number
  try {
    mode = statSync(path).mode
    text = readFileSync(path, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error'
    throw new ReadError(`cannot read SSH key ${path} (${code})`)
  }
  let file
  try {
    file = parseSshPrivateKeyFile(text)
  } catch (e) {
    if (e instanceof LimitExceededError) throw new LimitExceededError(`SSH key ${path}: ${e.message}`)
    throw new ReadError(`SSH key ${path}: ${(e as Error).message}`)
  }
  if ((mode & 0o077) !== 0) {
    note(`WARNING: UNPROTECTED PRIVATE KEY FILE: permissions ${(mode & 0o777).toString(8).padStart(4, '0')} for '${path}' are too open`)
  }
  let publicKey = file.publicKey
  let secret: SshPrivateKey | (() => Promise<SshPrivateKey | null>)
  if (!file.encrypted) {
    try {
      secret = file.decrypt()
    } catch (e) {
      throw new ReadError(`SSH key ${path}: ${(e as Error).message}`)
    }
    publicKey = secret.publicKey
  } else {
    publicKey ??= readPublicKeyFile(path)
    secret = () => unlockKey(path, publicKey!, file.decrypt, env, opts)
  }
  return describe(path, publicKey!, secret, file.encrypted)
}

function describe(
  path: string, pk: SshPublicKey, secret: SshPrivateKey | (() => Promise<SshPrivateKey | null>), encrypted: boolean,
): FoundSshIdentity[] {
  const base = { type: pk.type, fingerprint: sshKeyFingerprint(pk), path, publicKey: sshPublicKeyLine(pk), encrypted }
  const label = `${pk.type} ${base.fingerprint} (${path})`
  if (pk.type === 'ssh-rsa') {
    return [{ identity: new SshRsaIdentity(pk, secret), description: label, details: { ...base, stanza: 'ssh-rsa' } }]
  }
  // One shared loader, so the passphrase is asked at most once for both identities.
  let pending: Promise<SshPrivateKey | null> | undefined
  const shared = typeof secret === 'function' ? () => (pending ??= secret()) : secret
  const derived = new SshEd25519X25519Identity(pk, shared)
  return [
    { identity: new SshEd25519Identity(pk, shared), description: label, details: { ...base, stanza: 'ssh-ed25519' } },
    {
      identity: derived,
      description: `X25519 from ${label}`,
      // a getter: the Ed25519 → X25519 conversion runs only if someone asks (identities.ts asks for encrypted keys only)
      details: { ...base, stanza: 'X25519', get ageRecipient() { return derived.recipient } },
    },
  ]
}

async function unlockKey(
  path: string, pk: SshPublicKey, decrypt: (p?: string) => SshPrivateKey, env: Env, opts: FindSshOptions,
): Promise<SshPrivateKey | null> {
  const check = (key: SshPrivateKey): SshPrivateKey => {
    if (sshPublicKeyLine(key.publicKey) !== sshPublicKeyLine(pk)) {
      throw new ReadError(`SSH key ${path}: the private key does not match ${path}.pub`)
    }
    return key
  }
  const attempt = (pass: string): SshPrivateKey | undefined => {
    try {
      return check(decrypt(pass))
    } catch (e) {
      if (e instanceof ReadError && e.message === 'incorrect passphrase') return undefined
      if (e instanceof ReadError) throw e
      throw new ReadError(`SSH key ${path}: ${(e as Error).message}`)
    }
  }
  const fromEnv = env[SSH_PASSPHRASE_ENV]
  if (fromEnv !== undefined) {
    const key = attempt(fromEnv)
    if (!key) throw new ReadError(`incorrect passphrase for SSH key ${path} (from ${SSH_PASSPHRASE_ENV})`)
    return key
  }
  const prompt = opts.prompt ?? promptSecret
  for (let tries = 0; tries < 3; tries++) {
    const pass = await prompt(`Enter passphrase for "${path}": `)
    if (pass === undefined) {
      opts.onNote?.(`skipping passphrase-protected SSH key ${path}: no terminal to ask for its passphrase (set ${SSH_PASSPHRASE_ENV})`)
      return null
    }
    const key = attempt(pass)
    if (key) return key
  }
  throw new ReadError(`incorrect passphrase for SSH key ${path}`)
}

function readPublicKeyFile(privatePath: string): SshPublicKey {
  const pubPath = privatePath + '.pub'
  let line: string
  try {
    line = readFileSync(pubPath, 'utf8')
  } catch {
    throw new ReadError(`SSH key ${privatePath} is passphrase-protected PEM and ${pubPath} cannot be read`)
  }
  try {
    return parseSshPublicKeyLine(line)
  } catch (e) {
    throw new ReadError(`${pubPath}: ${(e as Error).message}`)
  }
}

function exists(path: string): boolean {
  try {
    statSync(path)
    return true
  } catch {
    return false
  }
}
