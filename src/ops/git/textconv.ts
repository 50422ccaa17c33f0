/**
 * `textconv` for git's diff driver: the readable form of a file. Never fails:
 * - a sops file and a usable key → the decrypted document in its own format;
 * - a bad MAC → a warning line at the top, then the values (decrypted, MAC ignored);
 * - no usable key (or a value that fails authentication) → the keyless view;
 * - a damaged sops file (encrypted values, no complete metadata) → a warning line, then the bytes unchanged;
 * - anything that is not a sops file → the bytes unchanged.
 * Every view of a sops file starts with one comment line (`# `, `// ` for JSON) naming
 * its recipients (the config's names where it gives them) and the fingerprint of its
 * wrapped data key (see keyless-view.ts), so `git diff` / `git log -p` show a recipient
 * added or removed, or a rotation, as a one-line hunk.
 * Start-up matters (git runs it once per revision): a file without the word `sops`
 * is passed through before any format or crypto module is loaded.
 */
import { readFileSync } from 'node:fs'
import { dirname, relative, isAbsolute } from 'node:path'
import { formatForPath, isFormatName, type FormatName } from '../../formats/index.js'
import type { IdentityOptions } from '../../keys/identities.js'
import { findConfig } from '../../config/find.js'
import { loadConfigFile } from '../../config/rules.js'
import { parseRecipientNames, recipientName } from '../../config/names.js'
import { readRecipientsSection } from '../../config/names-fast.js'
import type { Metadata } from '../../core/metadata.js'
import type { Tree } from '../../core/tree.js'

export interface TextconvOptions extends IdentityOptions {
  /** File name used to pick the format (git's temp files keep the base name). Default: the path read. */
  filename?: string
  /** Explicit format (yaml, json, dotenv, ini, toml, binary). */
  inputType?: string
  /** The config's recipient names for the header (textconvFile looks them up when not given). */
  nameOf?: (r: { type: string; id: string }) => string | undefined
  /**
   * textconvFile: the folder whose config gives the names (default: the file's folder when it
   * lies inside `cwd`, else `cwd`: git hands old revisions over as temp files elsewhere).
   */
  configDir?: string
  /** textconvFile: the working folder (default: the process's). */
  cwd?: string
  /** Receives one-line debugging notes (the CLI shows them only with SOPS_LIKE_DEBUG). */
  onDebug?: (line: string) => void
}

/** What textconv printed. */
export type TextconvKind = 'decrypted' | 'mac-mismatch' | 'keyless' | 'damaged' | 'passthrough'

export interface TextconvResult {
  output: Uint8Array
  kind: TextconvKind
}

const SOPS = Buffer.from('sops')
const ENC = Buffer.from('ENC[AES256_GCM,')

/** The comment prefix for a warning or summary line in each format. */
const notePrefix = (f: FormatName): string => (f === 'json' ? '// ' : '# ')

const withHeader = (line: string, body: Uint8Array): Uint8Array => Buffer.concat([Buffer.from(line + '\n'), body])
const withFooter = (body: Uint8Array, line: string): Uint8Array => {
  const nl = body.length && body[body.length - 1] !== 0x0a ? '\n' : ''
  return Buffer.concat([body, Buffer.from(nl + line + '\n')])
}

/** Converts one file's bytes for display. Never throws. */
export async function textconvBytes(input: Uint8Array, opts: TextconvOptions = {}): Promise<TextconvResult> {
  const debug = opts.onDebug ?? (() => {})
  const passthrough = (why: string): TextconvResult => { debug(`textconv: passing through unchanged (${why})`); return { output: input, kind: 'passthrough' } }
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  if (!bytes.includes(SOPS) && !bytes.includes(ENC)) return passthrough('no sops metadata')
  let formatName: FormatName
  if (opts.inputType && isFormatName(opts.inputType)) formatName = opts.inputType
  else formatName = opts.filename ? formatForPath(opts.filename) : 'binary'
  const prefix = notePrefix(formatName)
  let parsed: { tree: Tree; metadata: Metadata }
  const { parseEncrypted } = await import('../crypt/decrypt.js')
  try {
    parsed = await parseEncrypted(input, formatName)
  } catch (e) {
    if (errCode(e) === 'DAMAGED_FILE') {
      debug(`textconv: ${errText(e)}`)
      return { output: withHeader(`${prefix}sops-like: WARNING: this file looks damaged or truncated (encrypted values but no complete sops metadata): restore it from git; shown unchanged`, input), kind: 'damaged' }
    }
    return passthrough(`not a ${formatName} sops file: ${errText(e)}`)
  }
  const { keyHeader } = await import('./keyless-view.js')
  const header = prefix + keyHeader(parsed.metadata, opts.nameOf)
  const { loadFormat } = await import('../../formats/index.js')
  const format = await loadFormat(formatName)
  // with a key: decrypt (MAC checked; on a mismatch again without the check, behind a warning)
  let warning: string | undefined
  const [{ loadIdentities }, { unwrapDataKey }, { openTree }, { decryptionOrderOf }] = await Promise.all([
    import('../../keys/identities.js'), import('../../core/data-key.js'), import('../../core/document.js'), import('../../core/decryption-order.js'),
  ])
  let dataKey: Uint8Array | undefined
  try {
    const identities = await loadIdentities(parsed.metadata.keyGroups.flat(), { ...opts, onNote: debug })
    dataKey = await unwrapDataKey(parsed.metadata.keyGroups, parsed.metadata.shamirThreshold, identities, decryptionOrderOf(opts))
  } catch (e) {
    debug(`textconv: no usable key, showing the keyless view (${errText(e)})`)
  }
  if (dataKey) {
    try {
      let kind: TextconvKind = 'decrypted'
      let doc
      try {
        doc = await openTree(parsed.tree, parsed.metadata, { dataKey })
      } catch (e) {
        if (errCode(e) !== 'MAC_MISMATCH') throw e
        doc = await openTree(parsed.tree, parsed.metadata, { dataKey, ignoreMac: true })
        kind = 'mac-mismatch'
      }
      const body = format.emit(doc.tree)
      if (kind === 'decrypted') return { output: withHeader(header, body), kind }
      return { output: withHeader(header, withHeader(`${prefix}sops-like: WARNING: MAC mismatch: this file was modified outside sops-like (values shown without the MAC check)`, body)), kind }
    } catch (e) {
      debug(`textconv: cannot decrypt, showing the keyless view (${errText(e)})`)
      warning = `${prefix}sops-like: WARNING: cannot decrypt this file (${errCode(e) === 'VALUE_AUTH_FAILED' ? 'a value failed authentication: tampered?' : 'invalid encrypted data'}); keyless view`
    }
  }
  // without a key: the keyless view
  try {
    const { keylessTree, metadataSummary } = await import('./keyless-view.js')
    let out = withFooter(format.emit(keylessTree(parsed.tree)), prefix + metadataSummary(parsed.metadata))
    if (warning) out = withHeader(warning, out)
    return { output: withHeader(header, out), kind: 'keyless' }
  } catch (e) {
    return passthrough(`keyless view failed: ${errText(e)}`)
  }
}

/** Reads `path` and converts it (an unreadable file gives empty output). Never throws. */
export async function textconvFile(path: string, opts: TextconvOptions = {}): Promise<TextconvResult> {
  let input: Uint8Array
  try {
    input = readFileSync(path)
  } catch (e) {
    opts.onDebug?.(`textconv: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`)
    return { output: new Uint8Array(), kind: 'passthrough' }
  }
  if (!opts.nameOf && Buffer.from(input.buffer, input.byteOffset, input.byteLength).includes(SOPS)) {
    const cwd = opts.cwd ?? process.cwd()
    const rel = relative(cwd, path)
    const dir = opts.configDir ?? (rel && !rel.startsWith('..') && !isAbsolute(rel) ? dirname(path) : cwd)
    const nameOf = namesNear(dir, opts.env ?? process.env, opts.onDebug)
    if (nameOf) opts = { ...opts, nameOf }
  }
  return textconvBytes(input, { ...opts, filename: opts.filename ?? path })
}

/**
 * The names the config found from `dir` gives recipients, or undefined. A config without a
 * top-level `recipients:` line is not parsed, and a plain `recipients:` section is read by
 * names-fast.ts: no YAML parser is loaded on git's diff path in either case.
 */
function namesNear(dir: string, env: NodeJS.ProcessEnv, debug?: (line: string) => void): TextconvOptions['nameOf'] {
  try {
    const { path } = findConfig(dir, { env })
    if (!path) return undefined
    const text = readFileSync(path, 'utf8')
    if (!/^recipients[ \t]*:/m.test(text)) return undefined
    // the plain shapes are read without the YAML parser; anything else goes to the full one
    const simple = readRecipientsSection(text)
    const names = simple ? parseRecipientNames(simple, path) : loadConfigFile(path).recipients
    return (r) => recipientName(names, r)
  } catch (e) {
    debug?.(`textconv: recipient names unavailable (${errText(e)})`)
    return undefined
  }
}

const errCode = (e: unknown): string => {
  const code = e instanceof Error ? (e as Error & { code?: unknown }).code : undefined
  return typeof code === 'string' ? code : ''
}
const errText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : 'unknown error')
