/**
 * Typed errors: one class per failure kind, each with a stable `code` and the
 * process exit code the CLI uses (sops' numbers where sops has one).
 *
 * Messages are single lines that may name a file, a key name, a recipient or a
 * fingerprint, and never a value, a data key, a MAC or source text.
 */

export class SopsLikeError extends Error {
  readonly code: string = 'ERROR'
  readonly exitCode: number = 1
  constructor(message: string, options?: { hint?: string }) {
    super(message.replace(/[\r\n]+/g, ' '))
    this.name = new.target.name
    if (options?.hint) this.hint = options.hint
  }
  hint?: string
}

const kind = (code: string, exitCode: number) =>
  class extends SopsLikeError {
    override readonly code = code
    override readonly exitCode = exitCode
  }

/** Bad flags or arguments. */
export class UsageError extends kind('USAGE', 1) {}
/** Input could not be read. */
export class ReadError extends kind('READ_FAILED', 2) {}
/** Output could not be written. */
export class WriteError extends kind('WRITE_FAILED', 3) {}
/** A value could not be rendered in the output format (nested value in dotenv, NaN in JSON). */
export class EmitError extends kind('EMIT_FAILED', 4) {}
/** The config file is malformed or has an unknown field. */
export class ConfigError extends kind('CONFIG_INVALID', 5) {}
/** `set`/`unset` got a malformed value. */
export class InvalidSetValueError extends kind('BAD_SET_VALUE', 7) {}
/** Conflicting flags (`-i` with `-o`, several selectors, …). */
export class ConflictingOptionsError extends kind('CONFLICTING_OPTIONS', 8) {}

/** Malformed input file (sops: 2, could not read the input); the message carries line/column at most, never source text. */
export class FormatError extends kind('MALFORMED_INPUT', 2) {
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(line !== undefined ? `${message} at line ${line}${column !== undefined ? `, column ${column}` : ''}` : message)
  }
}
/** The file has no `sops` metadata: it is not encrypted. */
export class MetadataNotFoundError extends kind('NOT_ENCRYPTED', 11) {}
/** The `sops` metadata exists but is malformed. */
export class MetadataError extends kind('METADATA_INVALID', 11) {}
/** The config has creation rules and none matches the file. */
export class NoMatchingRuleError extends kind('NO_MATCHING_RULE', 12) {}
/** `run`: a key that cannot become an environment variable, or two keys mapping to one name. */
export class EnvNameError extends kind('ENV_NAME', 13) {}
/** A value could not be encrypted (unsupported type, non-string key). */
export class EncryptValueError extends kind('ENCRYPT_FAILED', 23) {}
/** An `ENC[...]` value is malformed or failed authentication (tampered, moved, wrong key). */
export class TamperedValueError extends kind('VALUE_AUTH_FAILED', 25) {}
/** A master key could not wrap the data key (bad recipient, unknown PGP key). */
export class RecipientError extends kind('BAD_RECIPIENT', 30) {}
/** The MAC is missing, cannot be decrypted or does not match. */
export class MacMismatchError extends kind('MAC_MISMATCH', 51) {}
/** `--config` points nowhere, or a command that needs a config found none. */
export class ConfigNotFoundError extends kind('CONFIG_NOT_FOUND', 61) {}
/** Interrupted by a signal. */
export class InterruptedError extends kind('INTERRUPTED', 130) {}
/** A tree path (`--extract`, `set`, `unset`) is malformed or does not exist (subclasses below carry sops' codes). */
export class InvalidPathError extends kind('BAD_TREE_PATH', 91) {}
/** `--extract`/`unset`: the path names a key or index the document does not have (sops: generic error, 1). */
export class PathNotFoundError extends InvalidPathError {
  override readonly code = 'PATH_NOT_FOUND'
  override readonly exitCode = 1
}
/** `set`/`unset`: the path argument is malformed, or `set` cannot place a value there (sops: 7, invalid set format). */
export class InvalidSetPathError extends InvalidPathError {
  override readonly code = 'BAD_SET_PATH'
  override readonly exitCode = 7
}
/** An empty YAML file cannot be encrypted. */
export class EmptyDocumentError extends kind('EMPTY_DOCUMENT', 92) {}
/** The named file does not exist. */
export class FileNotFoundError extends kind('NO_FILE', 100) {}
/** No recipient to encrypt to. */
export class NoRecipientsError extends kind('NO_RECIPIENTS', 111) {}
/** No available identity could unwrap the data key. */
export class NoIdentityError extends kind('NO_MATCHING_KEY', 128) {}
/** `edit`: the editor closed without changes. */
export class FileNotModifiedError extends kind('NOT_MODIFIED', 200) {}
/** `edit`: no editor could be started. */
export class NoEditorError extends kind('NO_EDITOR', 201) {}
/** The input already has a `sops` entry. */
export class AlreadyEncryptedError extends kind('ALREADY_ENCRYPTED', 203) {}

/** Exit code for any error (1 for unknown ones). */
export function exitCodeOf(err: unknown): number {
  return err instanceof SopsLikeError ? err.exitCode : 1
}

/** `run`: the command cannot be started: 127 when it is not found, 126 when it cannot be executed (shell convention). */
export class CommandStartError extends SopsLikeError {
  override readonly code = 'CANNOT_RUN'
  override readonly exitCode: 126 | 127
  constructor(message: string, exitCode: 126 | 127, options?: { hint?: string }) {
    super(message, options)
    this.exitCode = exitCode
  }
}

/** A regular expression from a file's metadata or a config is not valid RE2 (Go) syntax. */
export class RegexError extends kind('UNSUPPORTED_REGEX', 14) {}
/** An input exceeds a resource budget (alias expansion bytes, stanzas, entries, KDF work factor). */
export class LimitExceededError extends kind('LIMIT_EXCEEDED', 15) {}
/** A write would wrap the data key to a recipient the creation rule does not list (`--keep-unlisted` overrides). */
export class UnlistedRecipientError extends kind('UNLISTED_RECIPIENT', 31) {}
/** `set`/`edit` would write in clear a value that the previous version kept encrypted (`--allow-unencrypted` overrides). */
export class SelectorDowngradeError extends kind('SELECTOR_DOWNGRADE', 41) {}
/** `set`/`edit` on a read-only file (`--force` overrides). */
export class ReadOnlyFileError extends kind('READ_ONLY', 42) {}
/** An in-place write to something that is not a regular file (FIFO, device, folder). */
export class NotRegularFileError extends kind('NOT_REGULAR_FILE', 43) {}
/** The file holds `ENC[…]` values but its metadata is missing or cut off: damaged (truncated), not plaintext. */
export class DamagedFileError extends kind('DAMAGED_FILE', 44) {}
/** The git merge driver cannot merge without making security go backwards (a side it cannot decrypt, …). */
export class MergeRefusedError extends kind('MERGE_REFUSED', 45) {}

/** A dotenvx-encrypted file (`encrypted:…` values, DOTENV_PUBLIC_KEY) given where a sops file is expected: convert it with import-dotenvx. */
export class DotenvxFileError extends kind('DOTENVX_FILE', 16) {}

/** `check`: a file a creation rule covers is not encrypted, invalid, fails its MAC or has stale recipients. */
export class CheckFailedError extends kind('CHECK_FAILED', 40) {}
