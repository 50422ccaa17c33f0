/**
 * What sops refuses in a plaintext tree before encrypting it, beyond the format's own syntax:
 * keys that are not strings, a YAML file with no document, JSON duplicate keys or trailing data. Used by encrypt and edit.
 */
import { EmptyDocumentError, EncryptValueError, FormatError } from '../errors.js'
import type { Node, Tree } from './tree.js'

/**
 * sops refuses a tree with a key that is not a string ("Tree contains a non-string key", exit 23).
 * Only YAML has them: its reader keeps the key's YAML type in `Pair.style.keyType` (formats/yaml-style.ts).
 */
export function assertStringKeys(tree: Tree): void {
  const visit = (n: Node, keys: string[]): void => {
    if (n.kind === 'map') {
      for (const e of n.entries) {
        if (e.kind !== 'pair') continue
        const kt = (e.style as { keyType?: unknown } | undefined)?.keyType
        if (typeof kt === 'string') {
          const at = keys.length ? ` under ${keys.map((k) => `["${k}"]`).join('')}` : ''
          throw new EncryptValueError(`the tree contains a non-string key: ${e.key} (${kt})${at}; sops supports only string keys, quote it ("${e.key}":)`)
        }
        visit(e.value, [...keys, e.key])
      }
    } else if (n.kind === 'seq') for (const it of n.items) if (it.kind !== 'comment') visit(it, keys)
  }
  for (const b of tree.branches) visit(b, [])
}

/** A plaintext the reader tolerated (JSON duplicate keys, trailing data) is not encrypted: trailing data would be lost. */
export function assertNothingTolerated(tree: Tree): void {
  const n = tree.notes?.[0]
  if (n !== undefined) throw new FormatError(`the input is ${n}: remove it before encrypting (sops would drop trailing data without a word)`)
}

/**
 * A YAML file with no document: sops says "empty file" (92) only for zero bytes; blank or
 * comment-only text fails its reader (end of input before a document), exit 2.
 */
export function noYamlDocument(input: Uint8Array): EmptyDocumentError | FormatError {
  if (input.length === 0) return new EmptyDocumentError('the file is empty: it must contain at least one YAML document')
  return new FormatError('the file holds no YAML document (only comments or blank lines): add at least one key')
}
