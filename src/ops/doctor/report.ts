/**
 * The shape of a `doctor` report: plain data (JSON-safe) naming files, sources,
 * recipients and fingerprints only. Nothing here ever holds key material, a data
 * key, a MAC or a value.
 */
import type { FormatName } from '../../formats/index.js'
import type { CredentialCheck } from './service-credentials.js'

export type { CredentialCheck, CredentialSource } from './service-credentials.js'

/** How one step came out. `info`: nothing to judge (a source that is not set). */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'info'

/** `doctor`'s git section (see git.ts): one line per item, and the command that fixes the warnings. */
export interface GitLine {
  status: CheckStatus
  text: string
}

export interface GitCheck {
  /** The repository's top folder. */
  root: string
  /** One line per item (drivers, cachetextconv, hook, attributes). */
  lines: GitLine[]
  /** The command that fixes the warnings, when any. */
  fix?: string
}

/** A failed check: the typed error's code and exit code (src/errors.ts) and its one-line message. */
export interface DoctorProblem {
  code: string
  exitCode: number
  message: string
}

export interface ConfigCheck {
  status: CheckStatus
  /** The folder the upward search started from (the file's folder, else the working folder). */
  searchedFrom: string
  /** File names looked for in each folder, in order. */
  names: readonly string[]
  /** Folders searched, nearest first (empty when the path was given explicitly). */
  searched: string[]
  /** The folder others can write (or another user owns) where the search stopped: a config there is not used. */
  untrusted?: string
  /** Where an explicit path came from, when it did not come from the search. */
  explicitFrom?: '--config' | 'SOPS_LIKE_CONFIG' | 'SOPS_CONFIG'
  /** The config file, or null when none was found. */
  path: string | null
  /** Number of creation rules in it. */
  ruleCount?: number
  problem?: DoctorProblem
}

export interface RuleCheck {
  status: CheckStatus
  /** The path tested against each `path_regex` (relative to the config's folder when inside it). */
  testedPath: string
  /** The matching rule's position in `creation_rules` (0-based). */
  index?: number
  /** Its `path_regex` ('' or absent: matches every file). */
  pathRegex?: string
  /** Its recipients per key group (public: age recipients, PGP fingerprints, unsupported kinds). */
  keyGroups?: Array<{ age: string[]; pgp: string[]; unsupported: string[] }>
  shamirThreshold?: number
  ageRecipientsFiles?: string[]
  pgpKeyFiles?: string[]
  /** Why there is no rule (no config, config without rules, none matches). */
  note?: string
  problem?: DoctorProblem
}

/** One place identities are looked for. */
export interface IdentitySource {
  /** `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, `keys.txt`, `SOPS_AGE_SSH_PRIVATE_KEY_FILE`, `~/.ssh/id_ed25519`, `~/.ssh/id_rsa`, `SOPS_LIKE_PGP_KEY_FILE`, `gpg`. */
  name: string
  kind: 'age' | 'ssh' | 'pgp'
  /**
   * found: holds identities; empty: present but holds none; not-set: variable unset;
   * absent: file does not exist; locked: passphrase-protected, not opened; error: unusable.
   */
  state: 'found' | 'empty' | 'not-set' | 'absent' | 'locked' | 'error'
  /** The file or program it refers to. */
  path?: string
  /** How many identities it yielded. */
  count?: number
  /** A short public detail (e.g. `passphrase-protected`). */
  detail?: string
  problem?: DoctorProblem
}

/** Whether an identity opens one master-key entry of the file. */
export interface EntryMatch {
  group: number
  type: string
  /** The entry's recipient or fingerprint. */
  id: string
  /** True when the identity unwrapped this entry. */
  opened: boolean
  /** Why an entry naming this identity could not be opened (one line, no secrets). */
  error?: string
}

/** One identity found: its source and public side only. */
export interface FoundIdentity {
  /** 1-based number used in the text report. */
  n: number
  /** The entry type it opens. */
  type: 'age' | 'pgp'
  kind: 'age-x25519' | 'age-pq' | 'age-plugin' | 'age-locked-file' | 'ssh-ed25519' | 'ssh-rsa' | 'x25519-from-ssh' | 'pgp-key-file' | 'gpg'
  /** The source name (see IdentitySource.name), with its path when it has one. */
  source: string
  /** age1… recipient or SSH public key line (no comment); absent for PGP and unknown ones. */
  recipient?: string
  /** SSH `SHA256:…` fingerprint, or the PGP fingerprints (primary key first, then subkeys). */
  fingerprints?: string[]
  /** PGP: the first user ID of each key. */
  userIds?: string[]
  /** Passphrase-protected: opened only when an entry needs it. */
  locked?: boolean
  /** A public remark (e.g. plugins are not supported). */
  note?: string
  /** With a file: the file's entries this identity names or opens. */
  matches?: EntryMatch[]
}

export interface IdentityCheck {
  status: CheckStatus
  sources: IdentitySource[]
  found: FoundIdentity[]
}

/** One master-key entry of the file and who opened it. */
export interface FileRecipient {
  group: number
  type: string
  id: string
  /** Numbers (FoundIdentity.n) of the identities that unwrapped it. */
  openedBy: number[]
  /** False for kinds we cannot use. */
  supported: boolean
  /** A key-service entry: whether its service opened it (see DoctorReport.services). */
  service?: 'opened' | 'failed' | 'timeout' | 'unsupported'
}

export interface FileCheck {
  status: CheckStatus
  /** The path as given. */
  path: string
  format?: FormatName
  encrypted?: boolean
  lastmodified?: string
  shamirThreshold?: number
  recipients: FileRecipient[]
  /** Whether the data key (all needed Shamir shares) could be recovered. */
  dataKey: 'unwrapped' | 'failed' | 'not-tried'
  /** Whether the values decrypt and the MAC matches. */
  mac: 'verified' | 'failed' | 'not-checked'
  problem?: DoctorProblem
}

/** `doctor`'s check of one key-service entry (services.ts). */
export interface ServiceEntryCheck {
  group: number
  type: string
  /** The entry's identifier (Vault key URI, KMS ARN, …). */
  id: string
  /** The service's name (`HashiCorp Vault`, `AWS KMS`, …). */
  service: string
  status: CheckStatus
  /** Where credentials would come from; absent for a kind without a credential check. */
  credentials?: CredentialCheck
  /** opened: the key answered and unwrapped the entry; failed: it answered no, or could not be asked; timeout; unsupported: sops-like cannot use this kind. */
  answer: 'opened' | 'failed' | 'timeout' | 'unsupported'
  /** The cause, in one line without secrets. */
  error?: string
}

export interface DoctorReport {
  /** True when no check failed (warnings allowed). */
  ok: boolean
  /** 0, or the exit code of the first failed check (config, identities, file, in that order). */
  exitCode: number
  config: ConfigCheck
  /** Present when a file was given. */
  rule?: RuleCheck
  identities: IdentityCheck
  /** With a file that has key-service entries: credentials and answer per entry. */
  services?: ServiceEntryCheck[]
  /** Present when a file was given. */
  file?: FileCheck
  /** Present inside a git work tree: drivers, hook, attributes (warnings only). */
  git?: GitCheck
  /** Every failed check's problem, in the order above (the first gives `exitCode`). */
  problems: DoctorProblem[]
  /** One-line remarks that do not fail the run (open key permissions, unusable SSH keys, …). */
  warnings: string[]
}
