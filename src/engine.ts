/**
 * `sops-like/engine`: the pieces under the main entry, for tools built on sops-like (and
 * for our CLI): trees and tree paths, the format registry, key sources, config rules,
 * the plan/apply halves of the key operations, recipient policy and diffs, git plumbing,
 * and the small helpers the commands share. The main entry (`sops-like`, src/index.ts)
 * has what an application needs; no name is exported by both (test/api.test.ts).
 * Version 0.x: these may change between minor versions.
 *
 * @example
 * ```ts
 * import { encryptBytes } from 'sops-like'
 * import { sealTree, loadFormat, parseTreePath, getAtPath } from 'sops-like/engine'
 * ```
 *
 * @packageDocumentation
 */

// ---- crypt ----

/** Parse an encrypted document without keys (its tree with the values still sealed, and its metadata). */
export { parseEncrypted } from './ops/crypt/decrypt.js'
/** Who a file is encrypted to (flags, env, creation rules). */
export { resolveRecipients, type RecipientOptions, type ResolvedKeys } from './ops/crypt/recipients.js'
/** `keygen` to a file, and where sops looks for age identities by default. */
export { keygenToFile, defaultKeygenPath, type KeygenResult } from './ops/keys/keygen.js'
/** Seal a plaintext tree / open an encrypted one, and split a document into tree and metadata. */
export { sealTree, openTree, splitEncrypted, type SealOptions, type OpenOptions } from './core/document.js'
/** sops tree paths: `["db"]["password"]`. */
export { parseTreePath, formatTreePath, getAtPath } from './core/tree-path.js'
/** Which values are encrypted (`encrypted_regex`, `unencrypted_suffix`, …). */
export type { Selectors } from './core/selection.js'

// ---- edit / run ----

/** `set`'s value argument: JSON, or a string with `--value-stdin`/`--value-file`; `setFromInput` is the CLI's `set` (plain dotenv names and values). */
export { parseSetValue, setFromInput, type SetInput, type SetValueSource } from './ops/edit/set.js'
/** A path for messages: relative to the working folder when inside it. */
export { displayPath } from './ops/run/load-env.js'
/** `get --all --format json|shell|eval`: variables as text (shell forms single-quoted). */
export { formatVars, keyPaths, shellQuote, type GetFormat } from './ops/run/get.js'
/** dotenvx's encrypted .env files: parse, recognise, decrypt one `encrypted:` value. */
export { parseDotenvx, looksLikeDotenvx, decryptDotenvxValue, type DotenvxLine } from './ops/crypt/dotenvx.js'
/** The conventional file names `run` and `loadEnv` read when none is named. */
export { CONVENTIONAL_RUN_FILES } from './ops/run/files.js'
/** Trees → environment variables, merging them, and removing the key variables from a child's environment. */
export { treeToEnv, mergeEnv, scrubKeyEnv, KEY_ENV_VARS, type TreeToEnvOptions } from './ops/run/env.js'
/** `run --as-file`'s pieces: decrypt for a file, the plaintext name of an encrypted file. */
export { decryptForFile, plainName, fileNameFor } from './ops/run/exec-file.js'
/** `example` on bytes or a tree. */
export { exampleBytes, skeletonTree } from './ops/run/example.js'

// ---- key management ----

/** `describeError` turns any thrown value into a per-file failure; `identityLoader` loads identities once for many files. */
export { describeError, identityLoader, type IdentityLoader } from './ops/keys/batch.js'
/** One file's rotation, and the `--add-*`/`--rm-*` edits parsed. */
export { rotateFile, parseEdits, type ParsedEdits } from './ops/keys/rotate.js'
/** `updatekeys` in two halves: plan without keys, then apply (one file or all). */
export { planUpdateKeys, applyUpdateKeys, planAll, applyAll } from './ops/keys/updatekeys.js'
/** Recipient policy: a file's recipients checked against its creation rule, so keys are never wrapped for injected recipients. */
export { checkRecipientsAgainstRule, checkFileRecipients, ruleRecipients, unlistedRecipients, type RecipientCheck, type RecipientPolicyOptions, type RuleRecipients, type NoRule } from './ops/keys/recipient-policy.js'
/** `offboard --history`: values to rotate at the provider vs changed since, and refs still encrypting to the leaver. */
export type { ValueVerdict, ValueVerdicts, RotateReason, RefTip } from './ops/keys/offboard-history.js'
/** The steps of a doctor report. */
export type { ConfigCheck, RuleCheck, IdentitySource, IdentityCheck, FoundIdentity, EntryMatch, FileCheck, FileRecipient, ServiceEntryCheck, CredentialCheck, CredentialSource } from './ops/doctor/index.js'
/** The git section of a doctor report: drivers, hook, attributes vs rules. */
export type { GitCheck, GitLine } from './ops/doctor/report.js'
/** Recipient identifiers and the differences between recipient sets, and their one-line renderings. */
export { diffRecipients, formatDiff, showRef, showNamed, type RecipientRef, type RecipientDiff, type GroupDiff, type NameOf } from './ops/keys/recipient-diff.js'
/** The encrypted files of a repository (`--all`). */
export { listRepoFiles, type RepoFile, type ListOptions as ListRepoFilesOptions } from './ops/keys/repo-files.js'

// ---- git ----

/** `textconv` on bytes. */
export { textconvBytes } from './ops/git/textconv.js'
/** The pre-commit hook alone. */
export { installPreCommitHook } from './ops/git/hook.js'
/** `check --since REV`: files whose recipients or data key went backwards in REV..HEAD (what the post-merge hook runs). */
export { checkKeyRegressions, type KeyRegressionOptions, type KeyRegressionReport, type KeyRegression } from './ops/git/key-regression.js'
/** `git conflicts`: the values a conflicted merge left, decrypted from the index stages (base, ours, theirs). */
export { gitConflicts, type GitConflictsOptions, type GitConflictsReport, type ConflictingValue } from './ops/git/conflicts.js'
/** Which files must be encrypted: a rule's path_regex, or for a catch-all rule the files named like secrets files (plus check.include, minus check.exclude). */
export { coverageOf, globMatch, SECRET_GLOBS, type Coverage } from './ops/git/coverage.js'
/** Is this clone set up? The one line naming the command, when .gitattributes names our drivers and git config lacks them. */
export { cloneSetupGap, cloneSetupNotice, cloneSetupNoticeOnce, type CloneSetupGap } from './ops/git/clone-setup.js'

// ---- formats ----

/** The format registry and interface. */
export { loadFormat, formatForPath, isFormatName, FORMAT_NAMES, type Format, type MetadataLayout } from './formats/index.js'

// ---- keys ----

/** Recipient/Identity roles and key entries. */
export type { Recipient, Identity, KeyEntry, KeyType } from './keys/key-source.js'
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

// ---- files ----

/** Read a file (or `-` for stdin) with typed errors and a size bound. */
export { readInput } from './io/read.js'
/** Write a file atomically (temp file, fsync, rename), keeping its mode. */
export { writeFileAtomic, type WriteOptions } from './io/atomic-write.js'
/** Ask one question on the controlling terminal (undefined without one, or when interrupted): `edit`'s reopen question. */
export { promptLine } from './io/terminal.js'

// ---- run plumbing and the git tooling (drivers, setup, hooks) the CLI drives ----

/** Which files `run` and `loadEnv` read when none is named (`run.files` in the config, else the conventional names). */
export { resolveRunFiles, type RunFiles, type RunFilesOptions } from './ops/run/files.js'
/** Merge decrypted variables into an environment (existing variables win unless `override`). */
export { applyEnv, type EnvEntry, type MergeEnvOptions } from './ops/run/env.js'
/** `textconv`: the readable form of a file for `git diff` (decrypted, keyless view, or unchanged). Never throws. */
export { textconvFile, type TextconvOptions, type TextconvResult, type TextconvKind } from './ops/git/textconv.js'
/** The git merge driver: merge encrypted files key by key. */
export { gitMergeFiles, type GitMergeOptions, type GitMergeResult } from './ops/git/merge.js'
/** `git setup`: register the diff and merge drivers and the `.gitattributes` patterns. */
export { gitSetup, type GitSetupOptions, type GitSetupResult } from './ops/git/setup.js'
/** `git hook install`: pre-commit (`check --staged`), post-merge and post-rewrite (`check --since ORIG_HEAD`). */
export { installGitHooks, uninstallGitHooks, type HookInstallOptions, type HookInstallResult, type HookUninstallResult } from './ops/git/hook.js'

// ---- small helpers ----

/** `defined({ a, b })`: the object without its undefined properties (the CLI builds its options with it). */
export { defined, type Defined } from './defined.js'
