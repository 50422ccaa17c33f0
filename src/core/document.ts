/**
 * A sops document: plaintext tree + metadata. Seals a plaintext tree (encrypt all
 * selected values, compute and encrypt the MAC, attach metadata) and opens a sealed
 * one (detach metadata, unwrap the data key, decrypt, verify the MAC).
 */
import type { Format } from './format.js'
import { MacMismatchError, MetadataError } from '../errors.js'
import type { Identity, Recipient } from '../keys/key-source.js'
import { decryptString, encryptBytes } from './cipher.js'
import { newDataKey, unwrapDataKey, wrapDataKey } from './data-key.js'
import { MacBuilder, macEquals } from './mac.js'
import { attachMetadata, detachMetadata } from './metadata-layout.js'
import { macAad, metadataFromNode, metadataToNode, nowRfc3339, SOPS_FORMAT_VERSION, type Metadata } from './metadata.js'
import { compileSelectors, effectiveSelectors, type Selectors } from './selection.js'
import { decryptTree, encryptTree, IvStash } from './tree-cipher.js'
import type { Tree } from './tree.js'
import { defined } from '../defined.js'

export interface SealOptions {
  /** Key groups to wrap a NEW data key for (ignored when `reuse` is given). */
  groups?: Recipient[][]
  threshold?: number
  selectors?: Selectors
  /** Keep the data key and key entries of an opened document (edit/set/unset). */
  reuse?: OpenedDocument
  /** With `reuse`: keep the document's `version` (set, unset, rotate); without it the version is ours (encrypt, edit), as in sops. */
  keepVersion?: boolean
  now?: Date
}

export interface OpenedDocument {
  tree: Tree
  metadata: Metadata
  dataKey: Uint8Array
  stash: IvStash
}

/** Encrypts a plaintext tree and returns the encrypted tree with metadata attached. */
export async function sealTree(plain: Tree, format: Format, opts: SealOptions): Promise<{ tree: Tree; metadata: Metadata; dataKey: Uint8Array }> {
  let dataKey: Uint8Array
  let keyGroups: Metadata['keyGroups']
  let shamirThreshold: number | undefined
  let selectors: Selectors
  let extra: Metadata['extra'] = []
  if (opts.reuse) {
    dataKey = opts.reuse.dataKey
    keyGroups = opts.reuse.metadata.keyGroups
    shamirThreshold = opts.reuse.metadata.shamirThreshold
    selectors = opts.reuse.metadata.selectors
    extra = opts.reuse.metadata.extra
  } else {
    dataKey = newDataKey()
    try {
      const wrapped = await wrapDataKey(dataKey, opts.groups ?? [], opts.threshold)
      keyGroups = wrapped.keyGroups
      shamirThreshold = wrapped.shamirThreshold
    } catch (e) {
      dataKey.fill(0) // a new key nobody will ever hold: drop it before the error travels up
      throw e
    }
    selectors = format.name === 'binary' ? {} : effectiveSelectors(opts.selectors ?? {})
  }
  try {
    // as openTree does: a file whose metadata names no selector is read with sops' default one
    const decide = compileSelectors(effectiveSelectors(selectors), opts.reuse ? 'metadata' : undefined)
    const macOnlyEncrypted = !!selectors.mac_only_encrypted
    const { tree, mac } = encryptTree(plain, { decide, key: dataKey, mac: new MacBuilder(macOnlyEncrypted), macOnlyEncrypted, ...defined({ stash: opts.reuse?.stash }) })
    const lastmodified = nowRfc3339(opts.now)
    const metadata: Metadata = {
      keyGroups,
      lastmodified,
      mac: encryptBytes(Buffer.from(mac, 'utf8'), 'str', dataKey, macAad(lastmodified)),
      version: opts.reuse && opts.keepVersion ? opts.reuse.metadata.version : SOPS_FORMAT_VERSION,
      selectors,
      extra,
    }
    if (shamirThreshold) metadata.shamirThreshold = shamirThreshold
    return { tree: attachMetadata(tree, metadataToNode(metadata), format.metadataLayout), metadata, dataKey }
  } catch (e) {
    if (!opts.reuse) dataKey.fill(0) // only a key made here; a reused one still belongs to its opened document
    throw e
  }
}

/** Splits an encrypted tree into data tree and metadata. Throws MetadataNotFoundError / MetadataError. */
export function splitEncrypted(encrypted: Tree, format: Format): { tree: Tree; metadata: Metadata } {
  const { tree, meta } = detachMetadata(encrypted, format.metadataLayout)
  return { tree, metadata: metadataFromNode(meta) }
}

export interface OpenOptions {
  identities?: Identity[]
  /** Supply the data key directly (tests, rotation). */
  dataKey?: Uint8Array
  ignoreMac?: boolean
  /** Which kinds of a key group's entries to try first (decryption-order.ts; default age, pgp). */
  order?: readonly string[]
}

/**
 * Decrypts an encrypted data tree with its metadata; verifies the MAC unless told not to.
 * A data key unwrapped here is zeroed when opening fails (nobody else holds it); on success
 * it is returned in the document for re-encryption. A key passed in `opts.dataKey` is the
 * caller's and is never touched.
 */
export async function openTree(data: Tree, metadata: Metadata, opts: OpenOptions): Promise<OpenedDocument> {
  const dataKey = opts.dataKey ?? (await unwrapDataKey(metadata.keyGroups, metadata.shamirThreshold, opts.identities ?? [], opts.order))
  try {
    if (dataKey.length !== 32) throw new MetadataError('the decrypted data key is not 32 bytes')
    const selectors = effectiveSelectors(metadata.selectors)
    const macOnlyEncrypted = !!selectors.mac_only_encrypted
    const stash = new IvStash()
    const { tree, mac } = decryptTree(data, { decide: compileSelectors(selectors, 'metadata'), key: dataKey, mac: new MacBuilder(macOnlyEncrypted), macOnlyEncrypted, stash })
    if (!opts.ignoreMac) verifyMac(metadata, dataKey, mac)
    return { tree, metadata, dataKey, stash }
  } catch (e) {
    if (!opts.dataKey) dataKey.fill(0)
    throw e
  }
}

function verifyMac(md: Metadata, dataKey: Uint8Array, computed: string): void {
  if (!md.mac) throw new MacMismatchError('MAC mismatch: the file has no MAC (use --ignore-mac to decrypt anyway)')
  let stored: string
  try {
    stored = decryptString(md.mac, dataKey, macAad(md.lastmodified), 'sops.mac').plain.toString('utf8')
  } catch {
    throw new MacMismatchError('MAC mismatch: the stored MAC cannot be decrypted (the file or its lastmodified was changed)')
  }
  if (!macEquals(stored, computed)) throw new MacMismatchError('MAC mismatch: the file was modified outside sops-like (a value was changed, added, removed or reordered)')
}
