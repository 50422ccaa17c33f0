/**
 * `check`: the pre-commit guard. For each file (the staged blobs with `staged`, the
 * named files, or every tracked file) it reports a problem when a file the config
 * covers (see coverage.ts: a rule's non-empty `path_regex`, or for a catch-all rule the
 * files that look like secrets files, plus `check.include`) is not encrypted or is not
 * a valid sops file, and for every sops file when its MAC fails (with a key at hand) or
 * its recipients no longer match its rule (stale after someone left: run updatekeys), its
 * selectors differ from its rule's (selector-guard), or its wrapped data keys changed
 * since HEAD under the same recipients without a re-encryption (key-swap).
 * Files nothing covers and that are not sops files are skipped. Reads only (the clone
 * set-up note aside, see clone-setup.ts).
 */
import { decryptionOrderOf } from '../../core/decryption-order.js'
import { dirname, relative, resolve } from 'node:path'
import { formatForPath } from '../../formats/index.js'
import { loadConfigFor, matchRule } from '../../config/rules.js'
import type { CreationRule } from '../../config/schema.js'
import type { Metadata } from '../../core/metadata.js'
import type { Tree } from '../../core/tree.js'
import { NoMatchingRuleError, UsageError } from '../../errors.js'
import { readInput } from '../../io/read.js'
import type { IdentityOptions } from '../../keys/identities.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import { coverageOf, type Coverage } from './coverage.js'
import { catFileBatch, git, repoRoot, type GitRunOptions } from '../../io/git-exec.js'
import { cloneSetupNotice } from './clone-setup.js'
import { keySwapSinceCommit } from '../keys/key-swap.js'
import { diffRecipients, formatDiff, refOfEntry, refOfRecipient } from '../keys/recipient-diff.js'
import { ruleSelectorProblem } from '../keys/selector-guard.js'
import { defined } from '../../defined.js'
import { explicitConfig } from '../../config/find.js'

export interface CheckOptions extends IdentityOptions {
  /** Files to check (relative to `cwd`); with `staged`, limits the staged files checked. */
  files?: string[]
  /** Check the staged contents (`git show :path`) of added/copied/modified files. */
  staged?: boolean
  cwd?: string
  configPath?: string
}

export type CheckProblemKind = 'plaintext' | 'invalid' | 'mac' | 'stale-recipients' | 'unreadable' | 'key-swap' | 'selectors'

export interface CheckProblem {
  file: string
  kind: CheckProblemKind
  /** One line naming the file and what to do; never a value. */
  message: string
}

export interface CheckReport {
  /** Files that were checked (sops files and covered files). */
  checked: string[]
  problems: CheckProblem[]
  /** Things not checked (no key for the MAC, unsupported rule kinds). */
  notes: string[]
}

interface Candidate { name: string; abs: string; read: () => Uint8Array }

const SOPS = Buffer.from('sops')
const errCode = (e: unknown): string => {
  const code = e instanceof Error ? (e as Error & { code?: unknown }).code : undefined
  return typeof code === 'string' ? code : ''
}
const errMsg = (e: unknown): string => (e instanceof Error && errCode(e) ? e.message : 'unexpected error')

/** Reads many staged blobs with one `git cat-file --batch`. */
function readStaged(names: string[], o: GitRunOptions): Map<string, Buffer> {
  const staged = catFileBatch(names.map((n) => `:${n}`), o)
  const out = new Map<string, Buffer>()
  for (const n of names) {
    const b = staged.get(`:${n}`)
    if (b) out.set(n, b)
  }
  for (const n of names) if (!out.has(n)) out.set(n, git(['show', `:${n}`], o))
  return out
}

function candidates(opts: CheckOptions, cwd: string): Candidate[] {
  const o: GitRunOptions = { cwd, ...defined({ env: opts.env }) }
  if (opts.staged) {
    const root = repoRoot(o)
    const ro = { ...o, cwd: root }
    let names = git(['diff', '--cached', '--name-only', '--diff-filter=ACM', '-z'], ro).toString('utf8').split('\0').filter(Boolean)
    if (opts.files?.length) {
      const wanted = new Set(opts.files.map((f) => resolve(cwd, f)))
      names = names.filter((n) => wanted.has(resolve(root, n)))
    }
    const blobs = readStaged(names, ro)
    return names.map((n) => ({ name: relative(cwd, resolve(root, n)) || n, abs: resolve(root, n), read: () => blobs.get(n)! }))
  }
  let files = opts.files ?? []
  if (!files.length) {
    const r = git(['ls-files', '-z'], o, () => new UsageError('name the files to check, or run check inside a git work tree'))
    // a file in a merge conflict is listed once per stage (base, ours, theirs): check it once
    files = [...new Set(r.toString('utf8').split('\0').filter(Boolean))]
  }
  return files.map((f) => ({ name: f, abs: resolve(cwd, f), read: () => readInput(resolve(cwd, f)) }))
}

function ruleFor(abs: string, opts: CheckOptions, cwd: string): { rule: CreationRule | null; coverage: Coverage | null } {
  const cfg = loadConfigFor(abs, defined({ explicit: explicitConfig(cwd, opts.configPath), env: opts.env }))
  if (!cfg) return { rule: null, coverage: null }
  const coverage = coverageOf(cfg, abs)
  if (coverage) return { rule: coverage.rule, coverage }
  try {
    return { rule: matchRule(cfg, abs), coverage: null }
  } catch (e) {
    if (e instanceof NoMatchingRuleError || errCode(e) === 'NO_MATCHING_RULE') return { rule: null, coverage: null }
    throw e
  }
}

async function checkMac(tree: Tree, md: Metadata, opts: CheckOptions): Promise<'ok' | 'no-key' | CheckProblemKind> {
  const [{ loadIdentities }, { unwrapDataKey }, { openTree }] = await Promise.all([
    import('../../keys/identities.js'), import('../../core/data-key.js'), import('../../core/document.js'),
  ])
  const order = decryptionOrderOf(opts) // a bad order is a usage error, not "no key"
  let dataKey: Uint8Array
  try {
    const ids = await loadIdentities(md.keyGroups.flat(), opts)
    dataKey = await unwrapDataKey(md.keyGroups, md.shamirThreshold, ids, order)
  } catch {
    return 'no-key'
  }
  try {
    await openTree(tree, md, { dataKey })
    return 'ok'
  } catch (e) {
    return errCode(e) === 'MAC_MISMATCH' ? 'mac' : 'invalid'
  }
}

/** Recipient differences between the file and its rule (empty when they match), or a note when the rule cannot be resolved. */
async function staleRecipients(abs: string, md: Metadata, opts: CheckOptions, cwd: string): Promise<string[] | { note: string }> {
  const { resolveRecipients } = await import('../crypt/recipients.js')
  const env = { ...(opts.env ?? process.env) }
  delete env.SOPS_AGE_RECIPIENTS
  delete env.SOPS_PGP_FP
  try {
    const keys = await resolveRecipients(abs, { env, cwd: dirname(abs), ...defined({ configPath: explicitConfig(cwd, opts.configPath) }) })
    const d = diffRecipients(md.keyGroups.map((g) => g.map(refOfEntry)), keys.groups.map((g) => g.map(refOfRecipient)), md.shamirThreshold, keys.threshold)
    return d.changed ? formatDiff(d) : []
  } catch (e) {
    return { note: `recipients not compared with the creation rule (${errMsg(e)})` }
  }
}

/** Checks files; returns the problems found (the CLI turns them into a non-zero exit). */
export async function checkFiles(opts: CheckOptions = {}): Promise<CheckReport> {
  const cwd = opts.cwd ?? process.cwd()
  const report: CheckReport = { checked: [], problems: [], notes: [] }
  const problem = (file: string, kind: CheckProblemKind, message: string) => report.problems.push({ file, kind, message: `${file}: ${message}` })
  const setup = cloneSetupNotice({ cwd, ...defined({ env: opts.env }) })
  if (setup) report.notes.push(setup)
  for (const c of candidates(opts, cwd)) {
    const { rule, coverage } = ruleFor(c.abs, opts, cwd)
    const covered = !!coverage
    let bytes: Uint8Array
    try {
      bytes = c.read()
    } catch (e) {
      if (covered || opts.files?.length) problem(c.name, 'unreadable', `cannot be read (${errMsg(e)})`)
      continue
    }
    if (!covered && !Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(SOPS)) continue
    let parsed: { tree: Tree; metadata: Metadata }
    try {
      parsed = await parseEncrypted(bytes, formatForPath(c.name))
    } catch (e) {
      if (!covered) continue
      report.checked.push(c.name)
      // a binary-format name (.key, .pem, …) whose bytes are not a sops JSON document is plaintext too
      const plaintext = errCode(e) === 'NOT_ENCRYPTED' || (formatForPath(c.name) === 'binary' && !Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('"sops"'))
      if (plaintext) problem(c.name, 'plaintext', `is not encrypted but ${coverage!.why} covers it: ${coverage!.rule ? `encrypt it (sops-like encrypt -i ${c.name})` : 'add a creation rule for it and encrypt it'} before committing${coverage!.reason === 'rule' ? '' : ', or list it under check.exclude in the config'}`)
      else problem(c.name, 'invalid', `is not a valid sops file (${errMsg(e)})`)
      continue
    }
    report.checked.push(c.name)
    const mac = await checkMac(parsed.tree, parsed.metadata, opts)
    if (mac === 'no-key') report.notes.push(`${c.name}: MAC not checked (no key to decrypt it)`)
    else if (mac === 'mac') problem(c.name, 'mac', 'fails its MAC check: it was modified outside sops-like')
    else if (mac !== 'ok') problem(c.name, 'invalid', 'has a value that fails authentication (tampered or corrupted)')
    const swap = await keySwapSinceCommit(c.name, c.abs, parsed, formatForPath(c.name), opts.env) // vs HEAD (the index, with staged)
    if (swap) problem(c.name, 'key-swap', swap)
    if (!rule) continue
    const selectors = ruleSelectorProblem(c.name, parsed.metadata, rule, formatForPath(c.name))
    if (selectors) problem(c.name, 'selectors', selectors)
    const stale = await staleRecipients(c.abs, parsed.metadata, opts, cwd)
    if ('note' in stale) report.notes.push(`${c.name}: ${stale.note}`)
    else if (stale.length) problem(c.name, 'stale-recipients', `recipients do not match creation_rules[${rule.index}] (${stale.join(', ')}): run sops-like updatekeys ${c.name}`)
  }
  return report
}
