/**
 * Finds age identities where sops looks: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE,
 * SOPS_AGE_KEY_CMD, then the default keys.txt; all sources are gathered.
 * Parses keys.txt files ourselves (comments, several identities per line/file).
 */
import { existsSync, readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { ReadError } from '../errors.js'
import { defined } from '../defined.js'

export interface FoundIdentities {
  /** Identity strings (`AGE-SECRET-KEY-1…`, `AGE-SECRET-KEY-PQ-1…`). Secret: never print. */
  keys: string[]
  /** Where each group of keys came from (for doctor and error messages). */
  sources: Array<{ source: string; count: number }>
  /** Places looked at that had nothing. */
  looked: string[]
  /** Passphrase-encrypted identity files found (decrypted later, on demand). */
  encryptedFiles: Array<{ source: string; bytes: Uint8Array }>
}

/** Parses an identity file: `#` comments and blank lines skipped, space-separated keys allowed. */
export function parseIdentityFile(text: string): string[] {
  const keys: string[] = []
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue
    for (const word of line.trim().split(/\s+/)) {
      if (word.startsWith('AGE-SECRET-KEY-') || word.startsWith('AGE-PLUGIN-')) keys.push(word)
    }
  }
  return keys
}

/** The default keys.txt locations, in the order sops uses. */
export function defaultKeyFiles(env: NodeJS.ProcessEnv, home = env.HOME || homedir()): string[] {
  const out: string[] = []
  if (env.XDG_CONFIG_HOME) out.push(join(env.XDG_CONFIG_HOME, 'sops', 'age', 'keys.txt'))
  if (process.platform === 'darwin') out.push(join(home, 'Library', 'Application Support', 'sops', 'age', 'keys.txt'))
  out.push(join(home, '.config', 'sops', 'age', 'keys.txt'))
  if (process.platform === 'win32' && env.APPDATA) out.push(join(env.APPDATA, 'sops', 'age', 'keys.txt'))
  return [...new Set(out)]
}

const isEncryptedIdentityFile = (b: Buffer): boolean => {
  const head = b.subarray(0, 40).toString('latin1').trimStart()
  return head.startsWith('age-encryption.org/') || head.startsWith('-----BEGIN AGE ENCRYPTED FILE-----')
}

/** Splits a command line into words (shell-words style quoting, no shell). */
export function splitCommand(cmd: string): string[] {
  const words: string[] = []
  let cur = ''
  let quote: '"' | "'" | null = null
  let has = false
  for (let i = 0; i < cmd.length; i++) {
    const ch = cmd[i]!
    if (quote) {
      if (ch === quote) quote = null
      else if (ch === '\\' && quote === '"' && i + 1 < cmd.length) cur += cmd[++i]
      else cur += ch
    } else if (ch === '"' || ch === "'") { quote = ch; has = true }
    else if (ch === '\\' && i + 1 < cmd.length) { cur += cmd[++i]; has = true }
    else if (/\s/.test(ch)) { if (has || cur) { words.push(cur); cur = ''; has = false } }
    else cur += ch
  }
  if (has || cur) words.push(cur)
  return words
}

export function findAgeIdentities(env: NodeJS.ProcessEnv, opts: { recipientHint?: string; home?: string } = {}): FoundIdentities {
  const found: FoundIdentities = { keys: [], sources: [], looked: [], encryptedFiles: [] }
  const add = (source: string, keys: string[]): void => {
    if (keys.length) { found.keys.push(...keys); found.sources.push({ source, count: keys.length }) }
    else found.looked.push(source)
  }
  const readKeyFile = (source: string, path: string): void => {
    let bytes: Buffer
    try {
      bytes = readFileSync(path)
    } catch {
      throw new ReadError(`cannot read age key file ${path} (from ${source})`)
    }
    if (isEncryptedIdentityFile(bytes)) found.encryptedFiles.push({ source: `${source} (${path})`, bytes })
    else add(`${source} (${path})`, parseIdentityFile(bytes.toString('utf8')))
  }
  if (env.SOPS_AGE_KEY) add('SOPS_AGE_KEY', parseIdentityFile(env.SOPS_AGE_KEY))
  else found.looked.push('SOPS_AGE_KEY')
  if (env.SOPS_AGE_KEY_FILE) readKeyFile('SOPS_AGE_KEY_FILE', env.SOPS_AGE_KEY_FILE)
  else found.looked.push('SOPS_AGE_KEY_FILE')
  if (env.SOPS_AGE_KEY_CMD) {
    const [cmd, ...args] = splitCommand(env.SOPS_AGE_KEY_CMD)
    let out = ''
    try {
      out = execFileSync(cmd!, args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...env, ...defined({ SOPS_AGE_RECIPIENT: opts.recipientHint || undefined }) }, // none or '': the parent's value stays
      })
    } catch {
      throw new ReadError('SOPS_AGE_KEY_CMD failed to run or exited non-zero')
    }
    add('SOPS_AGE_KEY_CMD', parseIdentityFile(out))
  } else found.looked.push('SOPS_AGE_KEY_CMD')
  for (const path of defaultKeyFiles(env, opts.home)) {
    if (existsSync(path)) readKeyFile('default keys.txt', path)
    else found.looked.push(path)
  }
  return found
}
