/**
 * `access`: who can read which encrypted file (or value), from metadata alone — no key is
 * loaded and nothing is decrypted. Three reports: the matrix of files × recipients
 * (`accessMatrix`), what one person can read (`accessWho`), and what changed in access since
 * a git revision (`accessDiff`, for review). Recipients carry the config's names
 * (`recipients:`); see access-model.ts for how "can decrypt alone" is decided with key groups.
 */
import { lstatSync, readFileSync, realpathSync } from 'node:fs'
import { relative, resolve, sep } from 'node:path'
import { recipientNamesFor, loadConfigFile } from '../../config/rules.js'
import { findConfig } from '../../config/find.js'
import { keysOfName, looksLikeKey } from '../../config/names.js'
import type { Metadata } from '../../core/metadata.js'
import type { Tree } from '../../core/tree.js'
import { LimitExceededError, NotRegularFileError, RecipientError, UsageError } from '../../errors.js'
import { formatForPath } from '../../formats/index.js'
import { repoRoot } from '../../io/git-exec.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import { describeError, type FileFailure } from '../keys/batch.js'
import { encryptedKeyNames } from '../keys/exposure.js'
import { sameRecipient } from '../keys/recipient-diff.js'
import { listRepoFiles } from '../keys/repo-files.js'
import { blobsAt, resolveCommit } from './access-git.js'
import { diffAccess, type AccessChange } from './access-diff.js'
import { ACCESS_SCHEMA_VERSION, bounded, fileAccess, keyKind, orderByRecipients, RecipientRegistry, type AccessRecipient, type FileAccess } from './access-model.js'
import { defined } from '../../defined.js'

export interface AccessOptions {
  /** The working folder (default: the process's); paths are shown relative to it. */
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** The config whose `recipients:` names are shown (default: found upwards from each file). */
  configPath?: string
  /** List each file's encrypted value names (`db.password`), never values. */
  values?: boolean
}

/** The matrix: files × recipients. */
export interface AccessReport {
  version: typeof ACCESS_SCHEMA_VERSION
  kind: 'access'
  recipients: AccessRecipient[]
  files: FileAccess[]
  /** Named files that could not be read as encrypted files. */
  failures: FileFailure[]
}

/** One file as one person can read it. */
export interface WhoFile {
  path: string
  /** `read`: they can decrypt it alone; `share`: they hold a key in fewer key groups than it needs. */
  access: 'read' | 'share'
  /** Key groups they hold a key in, and how many the file needs. */
  groups: number
  threshold: number
  values?: string[]
}

/** What one person (a config name or a key) can read. */
export interface AccessWhoReport {
  version: typeof ACCESS_SCHEMA_VERSION
  kind: 'access-who'
  /** As asked. */
  query: string
  /** Who that is; their keys are the ones the files list (or the config's, when no file lists them). */
  recipient: AccessRecipient
  /** Files they can read (alone or with others' shares), by path; none when they read nothing. */
  files: WhoFile[]
  failures: FileFailure[]
}

/** Access changes since a git revision. */
export interface AccessDiffReport {
  version: typeof ACCESS_SCHEMA_VERSION
  kind: 'access-diff'
  /** The revision as given, and the commit it named. */
  base: string
  baseCommit: string
  /** The recipients the changes name. */
  recipients: AccessRecipient[]
  /** Changed, added and removed files, by path. */
  changes: AccessChange[]
  /** Files whose access did not change. */
  unchanged: number
  failures: FileFailure[]
}

/** Most value names listed per file (a hostile file may hold millions of keys). */
const MAX_VALUES = 5000
/** Largest file read (as for `--all`). */
const MAX_FILE = 16 * 1024 * 1024

interface Parsed { path: string; abs: string; tree: Tree; metadata: Metadata }

const cwdOf = (opts: AccessOptions): string => {
  const cwd = resolve(opts.cwd ?? process.cwd())
  try { return realpathSync(cwd) } catch { return cwd }
}

/** Reads one named file's metadata; throws a typed error. */
async function readNamed(file: string, cwd: string): Promise<Parsed> {
  const abs = resolve(cwd, file)
  let st
  try { st = lstatSync(abs) } catch { throw new UsageError(`${file}: no such file`) }
  if (!st.isFile()) throw new NotRegularFileError(`${file} is not a regular file: name an encrypted file`)
  if (st.size > MAX_FILE) throw new LimitExceededError(`${file} is larger than 16 MiB: not an encrypted file access can read`)
  const { tree, metadata } = await parseEncrypted(readFileSync(abs), formatForPath(abs), file)
  return { path: file, abs, tree, metadata }
}

/** The files to report: the named ones, or every encrypted file of the repository (or folder) when none is named. */
async function readFiles(files: readonly string[], all: boolean, cwd: string, opts: AccessOptions): Promise<{ parsed: Parsed[]; failures: FileFailure[] }> {
  if (all) {
    const all = await listRepoFiles(cwd, { requireRule: false, ...defined({ env: opts.env, configPath: opts.configPath }) })
    return { parsed: all.map((f) => ({ path: f.path, abs: f.abs, tree: f.tree, metadata: f.metadata })), failures: [] }
  }
  const parsed: Parsed[] = []
  const failures: FileFailure[] = []
  for (const f of files) {
    try { parsed.push(await readNamed(f, cwd)) } catch (e) { failures.push({ path: f, ...describeError(e) }) }
  }
  return { parsed, failures }
}

function namesLookup(opts: AccessOptions, cwd: string): (abs: string) => (k: { type: string; id: string }) => string | undefined {
  const explicit = opts.configPath ? resolve(cwd, opts.configPath) : undefined
  return (abs) => recipientNamesFor(abs, defined({ explicit, env: opts.env }))
}

const valueNames = (p: Parsed): string[] => encryptedKeyNames(p.tree, p.metadata.selectors).slice(0, MAX_VALUES).map((v) => bounded(v, 256))

function toAccess(parsed: readonly Parsed[], registry: RecipientRegistry, names: (abs: string) => (k: { type: string; id: string }) => string | undefined, values: boolean): FileAccess[] {
  return parsed.map((p) => {
    const f = fileAccess(p.path, p.metadata, names(p.abs), registry)
    if (values) f.values = valueNames(p)
    return f
  })
}

/** The access matrix of `files` (every encrypted file of the repository when none is named). */
export async function accessMatrix(files: readonly string[], opts: AccessOptions = {}): Promise<AccessReport> {
  const cwd = cwdOf(opts)
  const { parsed, failures } = await readFiles(files, !files.length, cwd, opts)
  const registry = new RecipientRegistry()
  const out = toAccess(parsed, registry, namesLookup(opts, cwd), !!opts.values)
  const recipients = registry.list()
  orderByRecipients(out, recipients)
  return { version: ACCESS_SCHEMA_VERSION, kind: 'access', recipients, files: out, failures }
}

/** Whether `query` is one of the recipient's keys (an age/SSH recipient, a PGP fingerprint or key id, an ARN or URL). */
const holdsKey = (r: AccessRecipient, query: string): boolean => r.keys.some((k) => sameRecipient({ type: k.type, id: k.id }, { type: k.type, id: query }))

/**
 * What `who` can read: a name from the config's `recipients:`, a label the matrix shows, or a
 * key. A name the config defines or a key no file lists reads nothing (an empty list); anything
 * else is a RecipientError (a typo must not look like "reads nothing").
 */
export async function accessWho(who: string, files: readonly string[], opts: AccessOptions = {}): Promise<AccessWhoReport> {
  const q = who.trim()
  if (!q) throw new UsageError('--who takes a name from the config\'s recipients: or a key')
  const m = await accessMatrix(files, opts)
  let rec = m.recipients.find((r) => r.id === q || r.name === q) ?? m.recipients.find((r) => r.label === q) ?? m.recipients.find((r) => holdsKey(r, q))
  if (!rec) {
    const cwd = cwdOf(opts)
    let configKeys: { type: string; id: string }[] | undefined
    try {
      const { path } = findConfig(cwd, defined({ explicit: opts.configPath ? resolve(cwd, opts.configPath) : undefined, env: opts.env }))
      if (path) configKeys = keysOfName(loadConfigFile(path).recipients, q)
    } catch { /* no names */ }
    if (configKeys) rec = { id: q, name: q, label: q, keys: configKeys.map((k) => ({ type: k.type, kind: keyKind(k.type, k.id), id: bounded(k.id) })) }
    else if (looksLikeKey(q) || /^(arn:|https?:\/\/|projects\/)/.test(q)) rec = { id: q, label: bounded(q, 64), keys: [] }
    else throw new RecipientError(`--who ${bounded(q, 64)}: not a name under recipients: in the config, nor a recipient or key these files list (see sops-like access for the names)`)
  }
  const id = rec.id
  const out: WhoFile[] = []
  for (const f of m.files) {
    const base = f.readers.includes(id) ? { access: 'read' as const, groups: f.groups.filter((g) => g.some((k) => k.recipient === id)).length } : undefined
    const part = f.partial.find((p) => p.recipient === id)
    const hit = base ?? (part ? { access: 'share' as const, groups: part.groups } : undefined)
    if (hit) out.push({ path: f.path, ...hit, threshold: f.threshold, ...defined({ values: f.values }) })
  }
  return { version: ACCESS_SCHEMA_VERSION, kind: 'access-who', query: bounded(q, 256), recipient: rec, files: out, failures: m.failures }
}

/**
 * What changed in access between git revision `rev` and the working tree, for `files` (every
 * encrypted file on either side when none is named). UsageError outside git or for a revision
 * git cannot resolve.
 */
export async function accessDiff(rev: string, files: readonly string[], opts: AccessOptions = {}): Promise<AccessDiffReport> {
  const cwd = cwdOf(opts)
  const top = repoRoot(defined({ cwd, env: opts.env }))
  const commit = resolveCommit(rev, top, opts.env)
  const inTop = files.map((f) => {
    const rel = relative(top, resolve(cwd, f))
    if (!rel || rel.startsWith('..') || resolve(top, rel) !== resolve(cwd, f)) throw new UsageError(`${f} is outside the repository at ${top}`)
    return rel.split(sep).join('/')
  })
  // a named file missing now may have been removed since the revision: that is a change, not a failure
  const present = files.filter((f) => { try { lstatSync(resolve(cwd, f)); return true } catch { return false } })
  const now = await readFiles(present, !files.length, cwd, opts)
  const failures = now.failures
  const old: Parsed[] = []
  for (const b of blobsAt(commit, top, defined({ env: opts.env, paths: files.length ? inTop : undefined }))) {
    try {
      const abs = resolve(top, b.path)
      const { tree, metadata } = await parseEncrypted(b.bytes, formatForPath(b.path))
      old.push({ path: relative(cwd, abs) || b.path, abs, tree, metadata })
    } catch { /* not a sops file at that revision */ }
  }
  const named = new Map(files.map((f, i) => [relative(cwd, resolve(top, inTop[i]!)) || f, f]))
  for (const p of old) p.path = named.get(p.path) ?? p.path // show a named file as it was named
  const registry = new RecipientRegistry()
  const names = namesLookup(opts, cwd)
  const before = toAccess(old, registry, names, false)
  const after = toAccess(now.parsed, registry, names, !!opts.values)
  if (opts.values) for (const f of before) if (!after.some((a) => a.path === f.path)) f.values = valueNames(old.find((p) => p.path === f.path)!)
  const { changes, unchanged } = diffAccess(before, after)
  const used = new Set<string>()
  for (const c of changes) {
    for (const r of [...c.readersAdded, ...c.readersRemoved, ...c.partialAdded, ...c.partialRemoved]) used.add(r)
    for (const k of [...c.keysAdded, ...c.keysRemoved]) used.add(k.recipient)
  }
  const recipients = registry.list(used)
  const rank = new Map(recipients.map((r, i) => [r.id, i]))
  const by = (a: string, b: string) => (rank.get(a) ?? 1e9) - (rank.get(b) ?? 1e9)
  for (const c of changes) for (const l of [c.readersAdded, c.readersRemoved, c.partialAdded, c.partialRemoved]) l.sort(by)
  return { version: ACCESS_SCHEMA_VERSION, kind: 'access-diff', base: bounded(rev, 256), baseCommit: commit, recipients, changes, unchanged, failures }
}
