/** Decrypt: sops-encrypted bytes → plaintext bytes (whole file or one extracted value). */
import { decryptionOrderOf } from '../../core/decryption-order.js'
import { loadFormat, withIndent, type FormatName } from '../../formats/index.js'
import { bytesLookEncrypted, damagedFileError, holdsEncryptedValues, metadataCutShort } from '../../core/damaged.js'
import { openTree, splitEncrypted, type OpenedDocument } from '../../core/document.js'
import { getAtPath, parseTreePath } from '../../core/tree-path.js'
import type { Metadata } from '../../core/metadata.js'
import type { Tree } from '../../core/tree.js'
import { InvalidPathError } from '../../errors.js'
import { loadIdentities, type IdentityOptions } from '../../keys/identities.js'
import type { Identity } from '../../keys/key-source.js'
import { encryptedCodec } from './codec.js'
import { otherFormatGuess } from './format-hint.js'
import { defined } from '../../defined.js'

export interface OpenBytesOptions extends IdentityOptions {
  inputFormat: FormatName
  identities?: Identity[]
  dataKey?: Uint8Array
  ignoreMac?: boolean
  /** The file's name, for messages (a damaged file is named in the command that restores it). */
  fileName?: string
  /** The input as `parseEncrypted` already gave it (a caller that keeps the encrypted tree parses once). */
  parsed?: { tree: Tree; metadata: Metadata }
}

const codeOf = (e: unknown): unknown => (e as { code?: unknown } | undefined)?.code

/** Whether bytes that failed to parse as `used` look like, and parse as, another format (read with the wrong parser). */
async function parsesAsOtherFormat(input: Uint8Array, used: FormatName): Promise<boolean> {
  const guess = otherFormatGuess(input, used)
  if (!guess) return false
  try {
    ;(await encryptedCodec(await loadFormat(guess))).parse(input)
    return true
  } catch {
    return false
  }
}

/**
 * Parses an encrypted file (no keys needed). A file with encrypted values but no sops metadata,
 * metadata cut short, or cut mid-syntax is a DamagedFileError, never "not encrypted" (the
 * check runs only once parsing or the metadata failed).
 */
export async function parseEncrypted(input: Uint8Array, inputFormat: FormatName, fileName?: string): Promise<{ tree: Tree; metadata: Metadata }> {
  const fmt = await loadFormat(inputFormat)
  const codec = await encryptedCodec(fmt)
  let tree: Tree
  try {
    tree = codec.parse(input)
  } catch (e) {
    // an encrypted file read in the wrong format is not damaged: the format hint names the flag
    if (codeOf(e) === 'MALFORMED_INPUT' && bytesLookEncrypted(input, codec.metadataLayout === 'binary') && !(await parsesAsOtherFormat(input, fmt.name))) {
      throw damagedFileError(`it has encrypted values but does not parse: ${(e as Error).message}`, fileName)
    }
    throw e
  }
  try {
    return splitEncrypted(tree, fmt)
  } catch (e) {
    const code = codeOf(e)
    const cut = code === 'NOT_ENCRYPTED' || (code === 'METADATA_INVALID' && metadataCutShort(tree, fmt.metadataLayout))
    if (cut && holdsEncryptedValues(tree)) {
      throw damagedFileError(code === 'NOT_ENCRYPTED' ? 'it has encrypted values but no sops metadata' : `it has encrypted values but incomplete sops metadata: ${(e as Error).message}`, fileName)
    }
    throw e
  }
}

/** Parses and decrypts an encrypted file, MAC verified unless `ignoreMac`. */
export async function openBytes(input: Uint8Array, opts: OpenBytesOptions): Promise<OpenedDocument> {
  const { tree, metadata } = opts.parsed ?? (await parseEncrypted(input, opts.inputFormat, opts.fileName))
  // read as sops reads it (duplicates kept, trailing data ignored), said once per file
  for (const n of tree.notes ?? []) opts.onNote?.(`warning: ${opts.fileName ?? 'the input'} is ${n}: read as sops does (every duplicate kept, trailing data ignored)`)
  const order = decryptionOrderOf(opts)
  const identities = opts.identities ?? (opts.dataKey ? [] : await loadIdentities(metadata.keyGroups.flat(), opts))
  return openTree(tree, metadata, { identities, order, ...defined({ dataKey: opts.dataKey, ignoreMac: opts.ignoreMac }) })
}

export interface DecryptBytesOptions extends OpenBytesOptions {
  outputFormat?: FormatName
  /** sops `--indent`: spaces per level of YAML/JSON output. */
  indent?: number
  /** A tree path like `["db"]["password"]` (first document only). */
  extract?: string
}

export async function decryptBytes(input: Uint8Array, opts: DecryptBytesOptions): Promise<Uint8Array> {
  const path = opts.extract !== undefined ? parseTreePath(opts.extract) : undefined
  const doc = await openBytes(input, opts)
  doc.stash.clear() // nothing is re-encrypted here: the stash would only hold every decrypted value twice
  try {
    const out = await withIndent(await loadFormat(opts.outputFormat ?? opts.inputFormat), opts.indent)
    if (path) {
      if (out.name === 'binary') throw new InvalidPathError('binary files are not structured: --extract is not possible')
      const first = doc.tree.branches[0]
      if (!first) throw new InvalidPathError('the file has no document to extract from')
      return out.emitValue(getAtPath(first, path))
    }
    return out.emit(doc.tree)
  } finally {
    if (!opts.dataKey) doc.dataKey.fill(0) // ours alone (a caller's key stays theirs)
  }
}
