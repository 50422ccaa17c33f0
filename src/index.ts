/**
 * sops-like's library API. The CLI is a thin layer over these exports.
 *
 * @example
 * ```ts
 * import { encryptFile, decryptFile } from 'sops-like'
 * const enc = await encryptFile('secrets.yaml', { age: ['age1…'] })
 * const plain = await decryptFile('secrets.enc.yaml', { env: { SOPS_AGE_KEY_FILE: 'key.txt' } })
 * ```
 */

// ---- encrypt / decrypt ----
/** Encrypt a file (format from its name); returns the encrypted bytes, writes with `inPlace`/`output`. */
export { encryptFile, decryptFile, type EncryptFileOptions, type DecryptFileOptions, type FileOutputOptions } from './ops/files.js'
/** Encrypt bytes in a given format to given recipients. */
export { encryptBytes, type EncryptBytesOptions } from './ops/encrypt.js'
/** Decrypt bytes (whole document or one `--extract` path), open a document, or parse one without keys. */
export { decryptBytes, openBytes, parseEncrypted, type DecryptBytesOptions, type OpenBytesOptions } from './ops/decrypt.js'
/** Who a file is encrypted to (flags, env, creation rules). */
export { resolveRecipients, type RecipientOptions, type ResolvedKeys } from './ops/recipients.js'
/** New age identities. */
export { generateAgeIdentity, keygenToFile, defaultKeygenPath, type NewIdentity } from './ops/keygen.js'

// ---- engine ----
/** Seal a plaintext tree / open an encrypted one (lower level than the functions above). */
export { sealTree, openTree, splitEncrypted, type SealOptions, type OpenOptions, type OpenedDocument } from './core/document.js'
/** The format-neutral tree. */
export type { Tree, Node, Mapping, Sequence, Scalar, Comment, Pair, ScalarType, Path } from './core/tree.js'
/** sops tree paths: `["db"]["password"]`. */
export { parseTreePath, formatTreePath, getAtPath } from './core/tree-path.js'
/** The `sops` metadata block. */
export type { Metadata } from './core/metadata.js'
export type { Selectors } from './core/selection.js'

// ---- formats ----
/** The format registry and interface. */
export { loadFormat, formatForPath, isFormatName, FORMAT_NAMES, type Format, type FormatName, type MetadataLayout } from '../formats/index.js'

// ---- keys ----
/** Recipient/Identity roles and key entries. */
export type { Recipient, Identity, KeyEntry, KeyType } from './keys/key-source.js'
/** age recipients and identities. */
export { createAgeRecipient, createAgeIdentity } from './keys/age.js'
/** Find the identities a file needs (age, SSH, PGP) where sops looks. */
export { loadIdentities, type IdentityOptions } from './keys/identities.js'
export { findAgeIdentities, parseIdentityFile } from './keys/age-identities.js'

// ---- config ----
/** Find and parse `.sops-like.yaml` / `.sops.yaml`, and pick a file's creation rule. */
export { findConfig } from './config/find.js'
export { loadConfigFor, loadConfigFile, matchRule } from './config/rules.js'
export type { Config, CreationRule, KeyGroupSpec } from './config/schema.js'

// ---- errors ----
/** Typed errors, each with a stable `code` and `exitCode`. */
export * from './errors.js'

/** The package version. */
export { VERSION } from './version.js'
