/**
 * The gpg binary side of PGP: decrypt a data-key entry with whatever secret key
 * the user's keyring holds, export a public key, or encrypt through gpg itself.
 *
 * gpg is always run with an argv array (never a shell). The program is
 * `SOPS_GPG_EXEC` (one executable, no arguments) or `gpg`; `GNUPGHOME` reaches
 * gpg through the environment. gpg's own messages are never passed on whole:
 * errors carry at most the short reason gpg gives (e.g. `No pinentry`).
 */
import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'
import { NoIdentityError, RecipientError } from '../errors.js'
import type { Identity, KeyEntry } from './key-source.js'

/** The gpg program to run: `SOPS_GPG_EXEC` or `gpg`. */
export function gpgProgram(env: NodeJS.ProcessEnv = process.env): string {
  return env.SOPS_GPG_EXEC?.trim() || 'gpg'
}

/** True when the gpg program can be found (a path that is executable, or a name on env PATH). */
export function gpgAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  const program = gpgProgram(env)
  const names = process.platform === 'win32' && !/\.\w+$/.test(program) ? [program + '.exe', program] : [program]
  const executable = (p: string): boolean => {
    try {
      accessSync(p, constants.X_OK)
      return true
    } catch {
      return false
    }
  }
  if (program.includes('/') || program.includes('\\') || isAbsolute(program)) return names.some(executable)
  // spawn() looks the name up on env.PATH, or /usr/bin:/bin when that env has no PATH
  const dirs = (env.PATH ?? '/usr/bin:/bin').split(delimiter).filter(Boolean)
  return dirs.some((d) => names.some((n) => executable(join(d, n))))
}

interface GpgResult {
  code: number | null
  stdout: Buffer
  stderr: string
  /** `[GNUPG:] …` status lines (written to fd 3 when asked for). */
  status: string
}

/** Runs gpg with argv only; `input` goes to stdin. Rejects only when the program cannot be started. */
function runGpg(args: string[], input: Uint8Array | string, env: NodeJS.ProcessEnv, withStatus = false): Promise<GpgResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(gpgProgram(env), withStatus ? ['--status-fd', '3', ...args] : args, {
      env,
      stdio: withStatus ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    const status: Buffer[] = []
    child.stdout!.on('data', (d: Buffer) => out.push(d))
    child.stderr!.on('data', (d: Buffer) => err.push(d))
    if (withStatus) (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => status.push(d))
    child.on('error', reject)
    child.on('close', (code) => {
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), status: Buffer.concat(status).toString('utf8') })
    })
    child.stdin!.on('error', () => { /* gpg may exit before reading everything; the exit code tells */ })
    child.stdin!.end(input)
  })
}

/** gpg's short reason for a failure (`…failed: <reason>`), or undefined; capped, one line. */
function shortReason(stderr: string): string | undefined {
  const lines = stderr.split(/\r?\n/)
  const pick = lines.find((l) => /public key decryption failed: /.test(l)) ?? lines.find((l) => /failed: /.test(l))
  const reason = pick?.replace(/^.*failed: /, '').trim()
  return reason ? reason.slice(0, 120) : undefined
}

const startError = (program: string, e: unknown): string =>
  (e as NodeJS.ErrnoException).code === 'ENOENT' ? `${program} was not found` : `${program} could not be started`

/**
 * Decrypts an armored PGP message with `gpg --batch --no-tty -d` (message on stdin).
 * Returns the raw plaintext, or null when gpg has no secret key for any recipient of
 * the message (or the text is no OpenPGP data). Throws NoIdentityError when gpg holds
 * the key but could not use it (no pinentry, wrong passphrase, damaged message).
 */
export async function gpgDecrypt(armored: string, env: NodeJS.ProcessEnv = process.env): Promise<Uint8Array | null> {
  const program = gpgProgram(env)
  let r: GpgResult
  try {
    r = await runGpg(['--batch', '--no-tty', '-d'], armored, env, true)
  } catch (e) {
    throw new NoIdentityError(`cannot decrypt the PGP data key with gpg: ${startError(program, e)}`)
  }
  if (r.code === 0) {
    if (r.stdout.length === 0) throw new NoIdentityError('gpg returned zero bytes for the PGP data key')
    return new Uint8Array(r.stdout)
  }
  const statusLines = r.status.split(/\r?\n/)
  const field = (prefix: string): string[] =>
    statusLines.filter((l) => l.startsWith(`[GNUPG:] ${prefix} `)).map((l) => l.split(' ')[2] ?? '')
  const encTo = field('ENC_TO')
  const noSecret = new Set(field('NO_SECKEY'))
  const keyFailed = statusLines.some((l) => l.startsWith('[GNUPG:] ERROR pkdecrypt_failed'))
  if (r.status.trim()) {
    // gpg prints "No secret key" even when it has the key but could not unlock it, so trust the status lines
    if (!keyFailed && encTo.length > 0 && encTo.every((k) => noSecret.has(k))) return null
    if (field('NODATA').length > 0 && encTo.length === 0) return null
  } else if (/no secret key/i.test(r.stderr)) {
    return null // a wrapper (SOPS_GPG_EXEC) that does not pass status lines through
  }
  const reason = shortReason(r.stderr)
  throw new NoIdentityError(`gpg could not decrypt the PGP data key (exit ${r.code ?? 'signal'}${reason ? `: ${reason}` : ''})`)
}

/** `gpg --batch --export --armor FP`: the armored public key, or null when the keyring has no such key. */
export async function gpgExport(fp: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const program = gpgProgram(env)
  const id = fp.replace(/!$/, '')
  let r: GpgResult
  try {
    r = await runGpg(['--batch', '--export', '--armor', id], '', env)
  } catch (e) {
    throw new RecipientError(`cannot look up PGP key ${id}: ${startError(program, e)}`)
  }
  if (r.code !== 0) throw new RecipientError(`gpg --export failed for PGP key ${id} (exit ${r.code ?? 'signal'})`)
  const text = r.stdout.toString('utf8').trim()
  return text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----') ? text : null
}

/**
 * Encrypts `data` to `fp` with gpg, as sops does: `--no-default-recipient --yes
 * --encrypt -a -r FP --trusted-key <last 16 hex (+!)> --no-encrypt-to`.
 * Returns the armored message, trimmed. Throws RecipientError.
 */
export async function gpgEncrypt(fp: string, data: Uint8Array, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const program = gpgProgram(env)
  const forced = fp.endsWith('!')
  const bare = fp.replace(/!$/, '')
  const trusted = bare.slice(-16) + (forced ? '!' : '')
  let r: GpgResult
  try {
    r = await runGpg(['--batch', '--no-default-recipient', '--yes', '--encrypt', '-a', '-r', fp, '--trusted-key', trusted, '--no-encrypt-to'], data, env)
  } catch (e) {
    throw new RecipientError(`cannot encrypt to PGP key ${fp}: ${startError(program, e)}`)
  }
  const text = r.stdout.toString('utf8').trim()
  if (r.code !== 0 || !text.startsWith('-----BEGIN PGP MESSAGE-----')) {
    const reason = shortReason(r.stderr)
    throw new RecipientError(`gpg could not encrypt to PGP key ${fp}${reason ? `: ${reason}` : ''}`)
  }
  return text
}

/** An Identity that hands every PGP entry to `gpg -d` (the user's keyring and agent). */
export function createGpgIdentity(env: NodeJS.ProcessEnv = process.env): Identity {
  const home = env.GNUPGHOME || '~/.gnupg'
  return {
    type: 'pgp',
    label: `pgp via ${gpgProgram(env)} (keyring ${home})`,
    async unwrap(entry: KeyEntry): Promise<Uint8Array | null> {
      const enc = entry.fields.enc
      if (!enc || !enc.includes('-----BEGIN PGP MESSAGE-----')) return null
      return gpgDecrypt(enc.trim() + '\n', env)
    },
  }
}
