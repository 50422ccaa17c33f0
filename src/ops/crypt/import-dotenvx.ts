/**
 * `import-dotenvx`: a dotenvx-encrypted .env file → our encrypted dotenv file, for the recipients
 * of the output's creation rule (or the given ones). The dotenvx values are decrypted in memory
 * with DOTENV_PRIVATE_KEY_<ENV> (environment, else `.env.keys`), the plaintext dotenv is built in
 * memory and encrypted; only the encrypted file is written (atomically). dotenvx's own lines
 * (DOTENV_PUBLIC_KEY…, its `#/…/` banner) are dropped; other comments and the order are kept.
 */
import { existsSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { comment, mapping, pair, str, type Comment, type Pair } from '../../core/tree.js'
import { FormatError, NoIdentityError } from '../../errors.js'
import { writeFileAtomic } from '../../io/atomic-write.js'
import { readInput } from '../../io/read.js'
import { loadFormat } from '../../formats/index.js'
import { defined } from '../../defined.js'
import type { RecipientOptions } from './recipients.js'
import { DOTENVX_PREFIX, decryptDotenvxValue, parseDotenvx, privateKeyBytes, privateKeyCandidates, privateKeyName, publicKeyHex } from './dotenvx.js'

export interface ImportDotenvxOptions extends RecipientOptions {
  /** dotenvx's keys file (default: `.env.keys` beside the input, if it exists). */
  keysFile?: string
  /** Where to write (default: the input's name + `.enc`, e.g. `.env.production.enc`). */
  output?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
}

export interface ImportDotenvxResult {
  /** The file written, absolute. */
  output: string
  /** Variable names imported, in order. */
  names: string[]
  /** How many of them were dotenvx-encrypted. */
  decrypted: number
}

/** The default output name: `.env.production` → `.env.production.enc` (a dotenv name, matched by rules as such). */
export const importOutputName = (input: string): string => `${input}.enc`

/** Converts a dotenvx-encrypted file; see the module comment. */
export async function importDotenvx(input: string, opts: ImportDotenvxOptions = {}): Promise<ImportDotenvxResult> {
  const cwd = resolve(opts.cwd ?? process.cwd())
  const env = opts.env ?? process.env
  const abs = resolve(cwd, input)
  const text = Buffer.from(readInput(abs)).toString('utf8')
  const lines = parseDotenvx(text)
  const { privateName, publicKey } = privateKeyName(lines, basename(abs))
  const keysPath = opts.keysFile !== undefined ? resolve(cwd, opts.keysFile) : resolve(dirname(abs), '.env.keys')
  const keysText = opts.keysFile !== undefined || existsSync(keysPath) ? Buffer.from(readInput(keysPath)).toString('utf8') : undefined

  const encrypted = lines.filter((l) => l.kind === 'var' && l.value.startsWith(DOTENVX_PREFIX))
  let keys: Uint8Array[] = []
  if (encrypted.length) {
    const candidates = privateKeyCandidates(privateName, env, keysText).map((h) => privateKeyBytes(h, privateName))
    if (!candidates.length) {
      throw new NoIdentityError(`${input}: no ${privateName} in the environment${keysText !== undefined ? ` or in ${opts.keysFile ?? '.env.keys'}` : ' and no .env.keys beside the file'}`, {
        hint: `set ${privateName}, or give dotenvx's keys file with --keys FILE`,
      })
    }
    if (publicKey) {
      const matching: Uint8Array[] = []
      for (const k of candidates) if ((await publicKeyHex(k)) === publicKey) matching.push(k)
      keys = matching.length ? matching : candidates
    } else keys = candidates
  }

  const entries: Array<Pair | Comment> = []
  const names: string[] = []
  let decrypted = 0
  for (const l of lines) {
    if (l.kind === 'comment') {
      // dotenvx's banner (`#/…/`) and the `# .env.NAME` line it writes under the public key
      if (!l.text.startsWith('/') && l.text.trim() !== basename(abs)) entries.push(comment(l.text))
      continue
    }
    if (l.key.startsWith('DOTENV_PUBLIC_KEY')) continue
    let value = l.value
    if (value.startsWith(DOTENVX_PREFIX)) {
      const where = `${input}: ${l.key} (line ${l.line})`
      let opened: string | undefined
      for (const k of keys) if ((opened = await decryptDotenvxValue(value, k, where)) !== undefined) break
      if (opened === undefined) throw new NoIdentityError(`${where}: ${privateName} does not decrypt it`, { hint: `use the ${privateName} that dotenvx wrote for this file, from its .env.keys` })
      value = opened
      decrypted++
    }
    if (names.includes(l.key)) entries.splice(entries.findIndex((e) => e.kind === 'pair' && e.key === l.key), 1) // dotenv: the last wins
    else names.push(l.key)
    entries.push(pair(l.key, str(value)))
  }
  if (!names.length) throw new FormatError(`${input} defines no variables`)

  const output = resolve(cwd, opts.output ?? importOutputName(input))
  const dotenv = await loadFormat('dotenv')
  const plain = dotenv.emit({ branches: [mapping(entries)] })
  const [{ resolveRecipients }, { encryptBytes }] = await Promise.all([import('./recipients.js'), import('./encrypt.js')])
  const resolved = await resolveRecipients(output, { ...opts, env, cwd: dirname(output), ...defined({ configPath: opts.configPath ? resolve(cwd, opts.configPath) : undefined }) })
  try {
    const out = await encryptBytes(plain, {
      inputFormat: 'dotenv',
      groups: resolved.groups,
      selectors: resolved.selectors,
      ...defined({ threshold: resolved.threshold }),
    })
    writeFileAtomic(output, out)
  } finally {
    plain.fill(0)
  }
  for (const k of keys) k.fill(0)
  return { output, names, decrypted }
}
