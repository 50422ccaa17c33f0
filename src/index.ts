/**
 * sops-like's library API: what an application needs — encrypt, decrypt, open or edit a
 * file, load its values into an environment or run a command with them, manage its keys,
 * and the typed errors. The pieces underneath (trees and tree paths, formats, key
 * sources, config rules, plans, the helpers the CLI's commands share) are in
 * `sops-like/engine` (src/engine.ts). Every function returns a result or emits events,
 * and never prints or exits.
 * Failures are typed errors (see "errors" below), each with a stable `code` and the
 * `exitCode` the CLI uses. `openpgp` is only loaded when a file or recipient needs PGP.
 *
 * @example
 * ```ts
 * import { encryptFile, decryptFile, loadEnv } from 'sops-like'
 * const enc = await encryptFile('secrets.yaml', { age: ['age1…'] })
 * const plain = await decryptFile('secrets.enc.yaml', { env: { SOPS_AGE_KEY_FILE: 'key.txt' } })
 * const vars = await loadEnv(['secrets.enc.yaml'])
 * ```
 *
 * @packageDocumentation
 */

// ---- encrypt / decrypt ----

/** Encrypt or decrypt a file (format from its name); returns the bytes, writes them with `inPlace`/`output`. */
export { encryptFile, decryptFile, type EncryptFileOptions, type DecryptFileOptions, type FileOutputOptions } from './ops/crypt/files.js'
/** Encrypt bytes in a given format to given recipients. */
export { encryptBytes, type EncryptBytesOptions } from './ops/crypt/encrypt.js'
/** Decrypt bytes (whole document or one `--extract` path), or open a document (its plaintext tree and metadata). */
export { decryptBytes, openBytes, type DecryptBytesOptions, type OpenBytesOptions } from './ops/crypt/decrypt.js'
/** An opened document: its plaintext tree, metadata and data key (what `openBytes` returns). */
export type { OpenedDocument } from './core/document.js'
/** age recipients (to encrypt to) and identities (to decrypt with). */
export { createAgeRecipient, createAgeIdentity } from './keys/age.js'
/** New age identities (`keygen`). */
export { generateAgeIdentity, type NewIdentity } from './ops/keys/keygen.js'

// ---- edit / set / unset ----

/** `set` / `unset`: change one value of an encrypted file in place (same data key; unchanged values keep their ciphertext). */
export { setValue, unsetValue, type RewriteOptions, type RewriteResult } from './ops/edit/set.js'
/** `edit`: open an encrypted file (or a new one) in the user's editor and re-encrypt it. */
export { editFile, type EditOptions, type EditFileResult } from './ops/edit/edit.js'

// ---- environment / run ----

/** Decrypt files into a name → value map (`loadEnv`), or into entries that keep each variable's file (`loadEnvEntries`). */
export { loadEnv, loadEnvEntries, type LoadEnvOptions, type LoadedEnv } from './ops/run/load-env.js'
/** `run`: a command with the decrypted values in its environment (`runWithEnv`), or the plan without running it (`planRun`). */
export { runWithEnv, planRun, type RunOptions, type RunPlan, type PlannedVar } from './ops/run/run.js'
/** `run --as-file`: a command that gets the decrypted file as `{}` (a FIFO or private temp file). */
export { runWithFile, type ExecFileOptions } from './ops/run/exec-file.js'
/** `example`: a keyless skeleton of an encrypted file (same keys, empty values). */
export { exampleFile } from './ops/run/example.js'
/** `get`: one decrypted value by name or path, or every variable `run` would export. */
export { getValue, getAll, type GetOptions } from './ops/run/get.js'
/** `import-dotenvx`: a dotenvx-encrypted .env file → an encrypted dotenv file for the creation rule's recipients. */
export { importDotenvx, type ImportDotenvxOptions, type ImportDotenvxResult } from './ops/crypt/import-dotenvx.js'

// ---- key management: rotate / updatekeys / offboard / status / doctor ----

/** Progress events, per-file reports and failures of the multi-file key operations. */
export type { KeysEvent, FileReport, FileFailure, BatchResult, Outcome } from './ops/keys/batch.js'
/** `rotate`: a new data key for each file, optionally adding/removing recipients. */
export { rotateFiles, type RotateOptions, type RecipientEdits } from './ops/keys/rotate.js'
/** sops' `groups add` / `groups delete`: a key group more or less, the data key wrapped again (rotated when someone leaves). */
export { addKeyGroup, deleteKeyGroup, type GroupsOptions, type GroupsResult, type NewKeyGroup } from './ops/keys/groups.js'
/** `updatekeys`: make files' recipients match their creation rules. */
export { updateKeys, type UpdateKeysOptions, type UpdateKeysPlan } from './ops/keys/updatekeys.js'
/** `offboard`: remove a recipient from every file and the config, rotating each data key; report what they could read. */
export { offboard, type OffboardOptions, type OffboardReport, type ExposedFile } from './ops/keys/offboard.js'
/** `offboard --history` plus the leaver's access row (when their access to each file ended) and each value's last-changed date, from git history. */
export { offboardWithHistory, type OffboardHistoryReport, type OffboardDates, type AccessRowFile, type DatedValue } from './ops/report/history-offboard.js'
/** `history` (alias `age-report`): when each encrypted value last changed and each data key was rotated, from git history with no key; stale values for CI. */
export { valueHistory, type HistoryOptions, type HistoryReport, type FileAge, type ValueAge } from './ops/report/history.js'
/** `status`: what a file is encrypted to and whether that matches its rule (no key needed). */
export { fileStatus, type FileStatus, type StatusOptions, type StatusRecipient } from './ops/keys/status.js'
/** `access`: who can read which file or value (`accessMatrix`), what one person can read (`accessWho`), what changed since a git revision (`accessDiff`); metadata only, no key. */
export { accessMatrix, accessWho, accessDiff, type AccessOptions, type AccessReport, type AccessWhoReport, type WhoFile, type AccessDiffReport } from './ops/report/access.js'
/** The parts of the access reports: recipients, files with their key groups, changes. */
export type { AccessRecipient, AccessKey, GroupKey, FileAccess, PartialAccess } from './ops/report/access-model.js'
/** A file's access change since a revision (`accessDiff`). */
export type { AccessChange, GroupKeyChange } from './ops/report/access-diff.js'
/** `doctor`: why a file does or does not decrypt here (config, rule, identities, entries, MAC), step by step; never throws for a failed check. */
export { doctor, type DoctorOptions, type DoctorReport, type DoctorProblem, type CheckStatus } from './ops/doctor/index.js'

// ---- git ----

/** `check`: plaintext where a rule wants ciphertext, bad MACs, stale recipients. */
export { checkFiles, type CheckOptions, type CheckReport, type CheckProblem, type CheckProblemKind } from './ops/git/check.js'

// ---- types ----

/** The format-neutral tree (an opened document's `tree`). */
export type { Tree, Node, Mapping, Sequence, Scalar, Comment, Pair, ScalarType, Path } from './core/tree.js'
/** The `sops` metadata block. */
export type { Metadata } from './core/metadata.js'
/** The file formats by name (`inputFormat`, `outputFormat`). */
export type { FormatName } from './formats/index.js'
/** The config's shape (sops' `.sops.yaml` schema). */
export type { Config, CreationRule, KeyGroupSpec } from './config/schema.js'

// ---- errors ----

/** Typed errors, each with a stable `code` and `exitCode` (the README's exit-code table). */
export * from './errors.js'

/** The package version. */
export { VERSION } from './version.js'
