/**
 * File-level encrypt/decrypt as the CLI and library users call them: pick formats,
 * resolve recipients, read, transform, and write to stdout, a file or in place.
 */
import { dirname, resolve } from 'node:path'
import { ConflictingOptionsError, NoMatchingRuleError } from '../../errors.js'
import { readInput } from '../../io/read.js'
import { writeFileAtomic } from '../../io/atomic-write.js'
import { assertInPlaceTarget } from '../../io/in-place.js'
import { pickFormat } from './codec.js'
import { decryptBytes } from './decrypt.js'
import type { RecipientOptions } from './recipients.js'
import type { IdentityOptions } from '../../keys/identities.js'
import type { Identity } from '../../keys/key-source.js'
import { defined } from '../../defined.js'

export interface FileOutputOptions {
  /** Write back to the input file. */
  inPlace?: boolean
  /** Write to this file instead of returning the bytes. */
  output?: string
  inputType?: string
  outputType?: string
  /** Path used for format detection and config matching (stdin). */
  filenameOverride?: string
  /** sops `--indent`: spaces per level of YAML/JSON output (YAML 0 = 4; JSON -1 = tab). */
  indent?: number
  cwd?: string
}

export interface EncryptFileOptions extends RecipientOptions, FileOutputOptions {}

function checkOutputs(path: string, o: FileOutputOptions): void {
  if (o.inPlace && o.output) throw new ConflictingOptionsError('use either --in-place or --output, not both')
  if (o.inPlace && path === '-') throw new ConflictingOptionsError('--in-place cannot be used with standard input')
  if (o.inPlace) assertInPlaceTarget(resolve(o.cwd ?? process.cwd(), path))
}

/** The checked flags, the name rules and formats go by, and the input's bytes: what encrypt and decrypt share. */
function openInput(path: string, opts: FileOutputOptions) {
  checkOutputs(path, opts)
  const cwd = opts.cwd ?? process.cwd()
  const name = opts.filenameOverride ?? (path === '-' ? 'stdin' : path)
  const inputFormat = pickFormat(name, opts.inputType)
  const outputFormat = opts.outputType ? pickFormat(name, opts.outputType) : inputFormat
  const input = readInput(path === '-' ? '-' : resolve(cwd, path))
  return { cwd, name, inputFormat, outputFormat, input }
}

/** Encrypts a file; returns the encrypted bytes (also when written to disk). */
export async function encryptFile(path: string, opts: EncryptFileOptions = {}): Promise<Uint8Array> {
  const { cwd, name, inputFormat, outputFormat, input } = openInput(path, opts)
  // loaded here, not at the top: decrypting (run, textconv) must not pay for age-encryption
  const [{ resolveRecipients }, { encryptBytes }] = await Promise.all([import('./recipients.js'), import('./encrypt.js')])
  const keys = await recipientsFor(path, name, opts, cwd, resolveRecipients)
  const out = await encryptBytes(input, {
    inputFormat,
    outputFormat,
    groups: keys.groups,
    selectors: keys.selectors,
    ...defined({ threshold: keys.threshold, indent: opts.indent }),
  })
  if (opts.inPlace) writeFileAtomic(resolve(cwd, path), out)
  else if (opts.output) writeFileAtomic(resolve(cwd, opts.output), out)
  return out
}

/**
 * The creation rule is picked by the name the encrypted file will have: `--filename-override`,
 * else `-o NAME` when a rule matches NAME (else the input's name, as sops), else the input's
 * name. On stdout the name is unknown (a shell redirect): when no rule matches the input's name
 * the error says how to give one.
 */
async function recipientsFor(path: string, name: string, opts: EncryptFileOptions, cwd: string, resolveRecipients: typeof import('./recipients.js').resolveRecipients) {
  const at = (n: string) => resolveRecipients(resolve(cwd, n), { ...opts, cwd: dirname(resolve(cwd, n)) })
  const { loadConfigFor, matchRule } = await import('../../config/rules.js')
  const found = (n: string): 'rule' | 'config' | 'none' => {
    try {
      const cfg = loadConfigFor(resolve(cwd, n), defined({ explicit: opts.configPath ? resolve(cwd, opts.configPath) : undefined, env: opts.env }))
      if (!cfg) return 'none'
      return matchRule(cfg, resolve(cwd, n)) ? 'rule' : 'config'
    } catch {
      return 'config' // a config that matches nothing (or is broken): resolveRecipients reports it
    }
  }
  if (opts.output && !opts.filenameOverride) {
    const out = found(opts.output)
    // no rule for either name: the error names the output, the name the rules should match
    if (out === 'rule' || (out === 'config' && found(name) !== 'rule')) return at(opts.output)
  }
  try {
    return await at(name)
  } catch (e) {
    if (e instanceof NoMatchingRuleError && !opts.inPlace && !opts.output && !opts.filenameOverride) {
      const hint = path === '-' ? 'reading stdin: name the encrypted file with --filename-override NAME or -o NAME' : "rules are matched on the encrypted file's name: give it with -o NAME, or with --filename-override NAME when redirecting stdout"
      throw new NoMatchingRuleError(`${e.message} (${hint})`)
    }
    throw e
  }
}

export interface DecryptFileOptions extends FileOutputOptions, IdentityOptions {
  extract?: string
  ignoreMac?: boolean
  identities?: Identity[]
}

/** Decrypts a file; returns the plaintext bytes. Writes only when asked (-i / -o), mode 0600 for new files. */
export async function decryptFile(path: string, opts: DecryptFileOptions = {}): Promise<Uint8Array> {
  const { cwd, name, inputFormat, outputFormat, input } = openInput(path, opts)
  let out: Uint8Array
  try {
    out = await decryptBytes(input, { ...opts, inputFormat, outputFormat, fileName: name })
  } catch (e) {
    const { withFormatHint } = await import('./format-hint.js')
    throw withFormatHint(e, input, inputFormat, path === '-' && !opts.filenameOverride)
  }
  if (opts.inPlace) writeFileAtomic(resolve(cwd, path), out)
  else if (opts.output) writeFileAtomic(resolve(cwd, opts.output), out, { mode: 0o600 })
  return out
}
