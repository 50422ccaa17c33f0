/**
 * sops-like's library API. The CLI is a thin layer over these exports: everything a
 * command does (rule lookup, identity search, format detection, key rotation) is a
 * function here that returns a result or emits events, and never prints or exits.
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
/** Decrypt bytes (whole document or one `--extract` path), open a document, or parse one without keys. */
export { decryptBytes, openBytes, parseEncrypted, type DecryptBytesOptions, type OpenBytesOptions } from './ops/crypt/decrypt.js'
/** Who a file is encrypted to (flags, env, creation rules). */
export { resolveRecipients, type RecipientOptions, type ResolvedKeys } from './ops/crypt/recipients.js'
/** New age identities (`keygen`). */
export { generateAgeIdentity, keygenToFile, defaultKeygenPath, type NewIdentity, type KeygenResult } from './ops/keys/keygen.js'

// ---- edit / set / unset ----

/** `set` / `unset`: change one value of an encrypted file in place (same data key; unchanged values keep their ciphertext). */
export { setValue, unsetValue, parseSetValue, type RewriteOptions, type RewriteResult } from './ops/edit/set.js'
/** `edit`: open an encrypted file (or a new one) in the user's editor and re-encrypt it. */
export { editFile, type EditOptions, type EditFileResult } from './ops/edit/edit.js'

// ---- environment / run ----

/** Decrypt files into a name → value map (`loadEnv`), or into entries that keep each variable's file (`loadEnvEntries`). */
export { loadEnv, loadEnvEntries, type LoadEnvOptions, type LoadedEnv } from './ops/run/load-env.js'
/** Which files `run` and `loadEnv` read when none is named (`run.files` in the config, else the conventional names). */
export { resolveRunFiles, CONVENTIONAL_RUN_FILES, type RunFiles, type RunFilesOptions } from './ops/run/files.js'
/** Trees → environment variables, and merging them into an environment (existing variables win unless `override`). */
export { treeToEnv, mergeEnv, applyEnv, scrubKeyEnv, KEY_ENV_VARS, type EnvEntry, type TreeToEnvOptions, type MergeEnvOptions } from './ops/run/env.js'
/** `run`: a command with the decrypted values in its environment (`runWithEnv`), or the plan without running it (`planRun`). */
export { runWithEnv, planRun, type RunOptions, type RunPlan, type PlannedVar } from './ops/run/run.js'
/** `run --as-file`: a command that gets the decrypted file as `{}` (a FIFO or private temp file). */
export { runWithFile, decryptForFile, plainName, fileNameFor, type ExecFileOptions } from './ops/run/exec-file.js'
/** `example`: a keyless skeleton of an encrypted file (same keys, empty values). */
export { exampleFile, exampleBytes, skeletonTree } from './ops/run/example.js'

// ---- key management: rotate / updatekeys / offboard / status ----

/** Progress events, per-file reports and failures of the multi-file key operations; `describeError` turns any thrown value into them. */
export { describeError, identityLoader, type KeysEvent, type FileReport, type FileFailure, type BatchResult, type Outcome, type IdentityLoader } from './ops/keys/batch.js'
/** `rotate`: a new data key for each file, optionally adding/removing recipients. */
export { rotateFiles, rotateFile, parseEdits, type RotateOptions, type ParsedEdits } from './ops/keys/rotate.js'
/** `updatekeys`: make files' recipients match their creation rules (plan without keys, then apply). */
export { updateKeys, planUpdateKeys, applyUpdateKeys, planAll, applyAll, type UpdateKeysOptions, type UpdateKeysPlan } from './ops/keys/updatekeys.js'
/** `offboard`: remove a recipient from every file and the config, rotating each data key; report what they could read. */
export { offboard, type OffboardOptions, type OffboardReport, type ExposedFile } from './ops/keys/offboard.js'
/** Recipient policy: a file's recipients checked against its creation rule, so keys are never wrapped for injected recipients. */
export { checkRecipientsAgainstRule, checkFileRecipients, ruleRecipients, unlistedRecipients, type RecipientCheck, type RecipientPolicyOptions, type RuleRecipients, type NoRule } from './ops/keys/recipient-policy.js'
/** `offboard --history`: values to rotate at the provider vs changed since, and refs still encrypting to the leaver. */
export type { ValueVerdict, ValueVerdicts, RotateReason, RefTip } from './ops/keys/offboard-history.js'
/** `status`: what a file is encrypted to and whether that matches its rule (no key needed). */
export { fileStatus, type FileStatus, type StatusOptions, type StatusRecipient } from './ops/keys/status.js'
/** `doctor`: why a file does or does not decrypt here (config, rule, identities, entries, MAC), step by step; never throws for a failed check. */
export { doctor, type DoctorOptions, type DoctorReport, type DoctorProblem, type CheckStatus, type ConfigCheck, type RuleCheck, type IdentitySource, type IdentityCheck, type FoundIdentity, type EntryMatch, type FileCheck, type FileRecipient } from './ops/doctor/index.js'
/** The git section of a doctor report: drivers, hook, attributes vs rules. */
export type { GitCheck, GitLine } from './ops/doctor/report.js'
/** Recipient identifiers and the differences between recipient sets, and their one-line renderings. */
export { diffRecipients, formatDiff, showRef, showNamed, type RecipientRef, type RecipientDiff, type GroupDiff, type NameOf } from './ops/keys/recipient-diff.js'
/** The encrypted files of a repository (`--all`). */
export { listRepoFiles, type RepoFile, type ListOptions as ListRepoFilesOptions } from './ops/keys/repo-files.js'

// ---- git ----

/** `textconv`: the readable form of a file for `git diff` (decrypted, keyless view, or unchanged). Never throws. */
export { textconvFile, textconvBytes, type TextconvOptions, type TextconvResult, type TextconvKind } from './ops/git/textconv.js'
/** The git merge driver: merge encrypted files key by key. */
export { gitMergeFiles, type GitMergeOptions, type GitMergeResult } from './ops/git/merge.js'
/** `git setup`: register the diff and merge drivers and the `.gitattributes` patterns. */
export { gitSetup, type GitSetupOptions, type GitSetupResult } from './ops/git/setup.js'
/** `git hook install`: pre-commit (`check --staged`), post-merge and post-rewrite (`check --since ORIG_HEAD`). */
export { installPreCommitHook, installGitHooks, type HookInstallOptions, type HookInstallResult } from './ops/git/hook.js'
/** `check --since REV`: files whose recipients or data key went backwards in REV..HEAD (what the post-merge hook runs). */
export { checkKeyRegressions, type KeyRegressionOptions, type KeyRegressionReport, type KeyRegression } from './ops/git/key-regression.js'
/** `git conflicts`: the values a conflicted merge left, decrypted from the index stages (base, ours, theirs). */
export { gitConflicts, type GitConflictsOptions, type GitConflictsReport, type ConflictingValue } from './ops/git/conflicts.js'
/** `check`: plaintext where a rule wants ciphertext, bad MACs, stale recipients. */
export { checkFiles, type CheckOptions, type CheckReport, type CheckProblem, type CheckProblemKind } from './ops/git/check.js'
/** Which files must be encrypted: a rule's path_regex, or for a catch-all rule the files named like secrets files (plus check.include, minus check.exclude). */
export { coverageOf, globMatch, SECRET_GLOBS, type Coverage } from './ops/git/coverage.js'
/** Is this clone set up? The one line naming the command, when .gitattributes names our drivers and git config lacks them. */
export { cloneSetupGap, cloneSetupNotice, cloneSetupNoticeOnce, type CloneSetupGap } from './ops/git/clone-setup.js'

// ---- engine ----

/** Seal a plaintext tree / open an encrypted one (lower level than the functions above). */
export { sealTree, openTree, splitEncrypted, type SealOptions, type OpenOptions, type OpenedDocument } from './core/document.js'
/** The format-neutral tree. */
export type { Tree, Node, Mapping, Sequence, Scalar, Comment, Pair, ScalarType, Path } from './core/tree.js'
/** sops tree paths: `["db"]["password"]`. */
export { parseTreePath, formatTreePath, getAtPath } from './core/tree-path.js'
/** The `sops` metadata block. */
export type { Metadata } from './core/metadata.js'
/** Which values are encrypted (`encrypted_regex`, `unencrypted_suffix`, …). */
export type { Selectors } from './core/selection.js'

// ---- formats ----

/** The format registry and interface. */
export { loadFormat, formatForPath, isFormatName, FORMAT_NAMES, type Format, type FormatName, type MetadataLayout } from './formats/index.js'

// ---- keys ----

/** Recipient/Identity roles and key entries. */
export type { Recipient, Identity, KeyEntry, KeyType } from './keys/key-source.js'
/** age recipients and identities. */
export { createAgeRecipient, createAgeIdentity } from './keys/age.js'
/** Find the identities a file needs (age, SSH, PGP) where sops looks. */
export { loadIdentities, type IdentityOptions } from './keys/identities.js'
/** age identities from the sops places (`SOPS_AGE_KEY`, `_FILE`, `_CMD`, keys.txt), and an identity file's keys. */
export { findAgeIdentities, parseIdentityFile } from './keys/age-identities.js'

// ---- config ----

/** Find `.sops-like.yaml` / `.sops.yaml` upwards from a folder. */
export { findConfig } from './config/find.js'
/** Load and validate a config, and pick a file's creation rule. */
export { loadConfigFor, loadConfigFile, matchRule, recipientNamesFor } from './config/rules.js'
/** Named recipients (`recipients:` in the config): the reverse lookup (key → name) and a name's keys. */
export { recipientName, keysOfName, type RecipientNames, type NamedKeys, type KeyRef } from './config/names.js'
/** The config's shape (sops' `.sops.yaml` schema). */
export type { Config, CreationRule, KeyGroupSpec } from './config/schema.js'

// ---- files ----

/** Read a file (or `-` for stdin) with typed errors and a size bound. */
export { readInput } from './io/read.js'
/** Write a file atomically (temp file, fsync, rename), keeping its mode. */
export { writeFileAtomic, type WriteOptions } from './io/atomic-write.js'
/** Ask one question on the controlling terminal (undefined without one, or when interrupted): `edit`'s reopen question. */
export { promptLine } from './io/terminal.js'

// ---- errors ----

/** Typed errors, each with a stable `code` and `exitCode` (the README's exit-code table). */
export * from './errors.js'

/** The package version. */
export { VERSION } from './version.js'
