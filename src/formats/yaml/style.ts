/**
 * The YAML format's private `style` records on tree nodes, and the sops rule
 * that turns encrypted list comments into list items.
 */
import type { Comment, Pair, ScalarType } from '../../core/tree.js'

/** `Tree.style` of a parsed YAML file: line ends and byte-order mark to write back. */
export interface YamlTreeStyle {
  crlf?: boolean
  bom?: boolean
}

/**
 * `Pair.style` for a key that was not a string in the source (`1: a`, `true: b`):
 * `Pair.key` holds its YAML spelling and `keyType` its type, so it is written back
 * unquoted. Encrypt and edit refuse such keys, as sops does (core/plain-checks.ts).
 */
export interface YamlPairStyle {
  keyType: Exclude<ScalarType, 'str' | 'bytes'>
}

/** The recorded non-string type of a key, if any. */
export function keyTypeOf(p: Pair): YamlPairStyle['keyType'] | undefined {
  const s = p.style as Partial<YamlPairStyle> | undefined
  return s && typeof s === 'object' && typeof s.keyType === 'string' ? s.keyType : undefined
}

/** sops writes an encrypted comment inside a list as this plain list item. */
export const ENCRYPTED_COMMENT = /^ENC\[AES256_GCM,.*type:comment\]$/

/** A comment that, inside a list, is emitted as a `- ENC[…]` item. */
export const isEncryptedComment = (c: Comment): boolean => ENCRYPTED_COMMENT.test(c.text)

/** Reads a `Tree.style` written by this format (anything else means LF, no BOM). */
export function treeStyleOf(style: unknown): YamlTreeStyle {
  return style && typeof style === 'object' ? (style as YamlTreeStyle) : {}
}
