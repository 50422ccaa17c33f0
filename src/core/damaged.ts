/**
 * Tells a damaged sops file from a plaintext one. sops writes the `sops` metadata last, so a
 * file cut short (an interrupted copy, a full disk, a bad paste or merge) keeps its
 * `ENC[AES256_GCM,…]` values and loses the metadata. Called "not encrypted", it would invite
 * `encrypt` on top of it or a load as plaintext; it is reported as damaged instead, with the way
 * back (git). Consulted only after parsing or reading the metadata failed: no cost when a file
 * is fine. Also lets `encrypt` refuse input that already holds encrypted values.
 */
import { DamagedFileError } from '../errors.js'
import type { MetadataLayout } from './format.js'
import { detachMetadata } from './metadata-layout.js'
import type { Mapping, Node, Sequence, Tree } from './tree.js'

/** How every value sops-like and sops 3.x encrypt begins. */
export const ENC_MARKER = 'ENC[AES256_GCM,'
const MARKER_BYTES = Buffer.from(ENC_MARKER)

const isEncrypted = (text: string): boolean => text.startsWith(ENC_MARKER)

/** Raw bytes (a binary payload) begin with the marker: the same answer as their text, without decoding it. */
const rawIsEncrypted = (raw: Uint8Array): boolean =>
  raw.length >= MARKER_BYTES.length && Buffer.from(raw.buffer, raw.byteOffset, MARKER_BYTES.length).equals(MARKER_BYTES)

function nodeHolds(n: Node | Mapping | Sequence): boolean {
  switch (n.kind) {
    case 'scalar':
      return n.raw ? rawIsEncrypted(n.raw) : isEncrypted(n.text)
    case 'map':
      return n.entries.some((e) => (e.kind === 'pair' ? nodeHolds(e.value) : isEncrypted(e.text)))
    case 'seq':
      return n.items.some((i) => (i.kind === 'comment' ? isEncrypted(i.text) : nodeHolds(i)))
  }
}

/** Whether a parsed tree holds a value (or comment) encrypted by sops: `ENC[AES256_GCM,…`. */
export function holdsEncryptedValues(tree: Tree): boolean {
  return tree.branches.some(nodeHolds)
}

/**
 * Whether a tree whose metadata failed to read has metadata cut short rather than malformed:
 * `version` is the last entry sops writes in every format, so metadata cut anywhere lacks it
 * (or is not even a mapping, as `sops:` with nothing after it). A complete block with a bad
 * field (a `lastmodified` that is no time) stays a metadata error.
 */
export function metadataCutShort(tree: Tree, layout: MetadataLayout): boolean {
  try {
    const { meta } = detachMetadata(tree, layout)
    return meta.kind !== 'map' || !meta.entries.some((e) => e.kind === 'pair' && e.key === 'version')
  } catch {
    return true // no metadata at all
  }
}

/**
 * Whether bytes that failed to parse look like an encrypted file cut mid-syntax: they hold the
 * marker (for the binary format's JSON envelope, they also begin as JSON does).
 */
export function bytesLookEncrypted(bytes: Uint8Array, jsonEnvelope: boolean): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (!buf.includes(MARKER_BYTES)) return false
  if (!jsonEnvelope) return true
  for (const b of buf) if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0xef && b !== 0xbb && b !== 0xbf) return b === 0x7b // '{' after blanks or a BOM
  return false
}

/** The error for a damaged file; `why` says what is missing (no file content), `file` names it when known. */
export function damagedFileError(why: string, file?: string): DamagedFileError {
  const named = file && file !== '-' && file !== 'stdin'
  return new DamagedFileError(
    `${named ? file : 'the file'} looks like a damaged or truncated sops file (${why}): restore it from git (git checkout -- ${named ? file : 'FILE'}) or a backup`,
  )
}
