/**
 * Encrypted files → environment variables, in-process: read and decrypt each file
 * (MAC verified), flatten it to variables (src/ops/run/env.ts); later files win.
 * Identities are looked up once for all files (one passphrase prompt, one
 * SOPS_AGE_KEY_CMD run). Only the formats and key kinds in use are loaded.
 */
import { decryptionOrderOf } from '../../core/decryption-order.js'
import { relative, resolve, sep } from 'node:path'
import { loadFormat, type FormatName } from '../../formats/index.js'
import { openTree } from '../../core/document.js'
import type { Metadata } from '../../core/metadata.js'
import type { Tree } from '../../core/tree.js'
import { DotenvxFileError, MetadataNotFoundError, SopsLikeError } from '../../errors.js'
import { readInput } from '../../io/read.js'
import { loadIdentities, type IdentityOptions } from '../../keys/identities.js'
import type { Identity } from '../../keys/key-source.js'
import { pickFormat } from '../crypt/codec.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import { treeToEnv, type EnvEntry } from './env.js'
import { resolveRunFiles, type RunFiles, type RunFilesOptions } from './files.js'
import { defined } from '../../defined.js'

export interface LoadEnvOptions extends IdentityOptions, RunFilesOptions {
  /** Upper-case every variable name. */
  upper?: boolean
  /** Accept files without sops metadata and read them as plaintext. */
  allowPlaintext?: boolean
  /** Format of every file (default: from each file's name). */
  inputType?: string
  /** Identities to use instead of looking them up. */
  identities?: Identity[]
}

export interface LoadedEnv {
  /** The files read, absolute, in load order. */
  files: string[]
  /** Where the list came from: -f, run.files, or the conventional names. */
  source: RunFiles['source']
  /** The variables by name; a later file's variable replaced an earlier one's. */
  entries: Map<string, EnvEntry>
}

/** A path for messages: relative to `cwd` when inside it. */
export function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file)
  return rel && !rel.startsWith('..') && !rel.startsWith(sep) ? rel : file
}

const isCode = (e: unknown, code: string): boolean => e instanceof Error && (e as { code?: unknown }).code === code

/** Prefixes a typed error's message with the file it is about (a no-op when already named). */
export function aboutFile(e: unknown, name: string): unknown {
  if (e instanceof SopsLikeError && !e.message.includes(name)) {
    e.message = `${name}: ${e.message}`
  }
  return e
}

/**
 * A dotenvx-encrypted file has no sops metadata, so it would read as plaintext and `run` would
 * inject its `encrypted:…` strings: refuse it (even with --allow-plaintext) and say how to convert it.
 */
export async function refuseDotenvx(bytes: Uint8Array, name: string): Promise<void> {
  const { looksLikeDotenvx } = await import('../crypt/dotenvx.js')
  if (looksLikeDotenvx(bytes)) {
    throw new DotenvxFileError(`${name} is encrypted by dotenvx (encrypted:… values), not by sops-like`, {
      hint: `convert it once with: sops-like import-dotenvx ${name} --keys .env.keys`,
    })
  }
}

interface ParsedFile {
  file: string
  name: string
  plain?: Tree
  encrypted?: { tree: Tree; metadata: Metadata }
}

async function parseFile(file: string, name: string, opts: LoadEnvOptions): Promise<ParsedFile> {
  const format: FormatName = pickFormat(file, opts.inputType)
  const bytes = readInput(file)
  try {
    return { file, name, encrypted: await parseEncrypted(bytes, format, name) }
  } catch (e) {
    if (!isCode(e, 'NOT_ENCRYPTED')) throw aboutFile(e, name)
    await refuseDotenvx(bytes, name)
    if (!opts.allowPlaintext) {
      throw new MetadataNotFoundError(`${name} is not encrypted (it has no sops metadata)`, { hint: 'use --allow-plaintext to load it anyway' })
    }
    try {
      return { file, name, plain: (await loadFormat(format)).parse(bytes) }
    } catch (e2) {
      throw aboutFile(e2, name)
    }
  }
}

/** One file read and opened (MAC verified), or read as plaintext with `allowPlaintext`. */
export interface OpenedEnvFile {
  /** Absolute path. */
  file: string
  /** For messages: relative to `cwd` when inside it. */
  name: string
  tree: Tree
}

export interface OpenedEnvFiles {
  opened: OpenedEnvFile[]
  /** Where the list came from: -f, run.files, or the conventional names. */
  source: RunFiles['source']
}

/**
 * Reads and decrypts `files` (default: `run.files` from the config, else the conventional names
 * found from `cwd` up to the repository root), in load order. Throws the first file's typed error;
 * nothing is returned partially.
 */
export async function openEnvFiles(files: readonly string[] | undefined, opts: LoadEnvOptions = {}): Promise<OpenedEnvFiles> {
  const cwd = resolve(opts.cwd ?? process.cwd())
  const { files: list, source } = await resolveRunFiles(files, { ...opts, cwd })
  const parsed: ParsedFile[] = []
  for (const file of list) parsed.push(await parseFile(file, displayPath(file, cwd), opts))
  const needed = parsed.flatMap((p) => (p.encrypted ? p.encrypted.metadata.keyGroups.flat() : []))
  const order = decryptionOrderOf(opts)
  let identities = opts.identities
  if (!identities && needed.length) identities = await loadIdentities(needed, { ...opts, env: opts.env ?? process.env })
  const out: OpenedEnvFile[] = []
  for (const p of parsed) {
    let tree: Tree
    if (p.encrypted) {
      try {
        tree = (await openTree(p.encrypted.tree, p.encrypted.metadata, { identities: identities ?? [], order })).tree
      } catch (e) {
        throw aboutFile(e, p.name)
      }
    } else tree = p.plain!
    out.push({ file: p.file, name: p.name, tree })
  }
  return { opened: out, source }
}

/** The variables of opened files; a later file's variable replaces an earlier one's. */
export function envEntriesOf(opened: readonly OpenedEnvFile[], opts: { upper?: boolean } = {}): Map<string, EnvEntry> {
  const entries = new Map<string, EnvEntry>()
  for (const p of opened) {
    for (const entry of treeToEnv(p.tree, { file: p.name, ...defined({ upper: opts.upper }) })) {
      entries.delete(entry.name) // a later file's variable moves to its place in load order
      entries.set(entry.name, entry)
    }
  }
  return entries
}

/**
 * Reads, decrypts and flattens `files` (see openEnvFiles). Throws the first file's typed error;
 * nothing is loaded partially.
 */
export async function loadEnvEntries(files: readonly string[] | undefined, opts: LoadEnvOptions = {}): Promise<LoadedEnv> {
  const { opened, source } = await openEnvFiles(files, opts)
  return { files: opened.map((o) => o.file), source, entries: envEntriesOf(opened, opts) }
}

/**
 * Decrypts `files` into a name → value map (library form of `run`; existing
 * environment variables are not consulted, see `mergeEnv`/`applyEnv`).
 *
 * @example
 * ```ts
 * const vars = await loadEnv(['secrets.enc.yaml'], { env: { SOPS_AGE_KEY_FILE: 'key.txt' } })
 * ```
 */
export async function loadEnv(files?: readonly string[], opts: LoadEnvOptions = {}): Promise<Record<string, string>> {
  const { entries } = await loadEnvEntries(files, opts)
  return Object.fromEntries([...entries.values()].map((e) => [e.name, e.value]))
}
