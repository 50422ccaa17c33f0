/**
 * `offboard`: remove one person — a recipient, or a name from the config's `recipients:`
 * (all its keys) — from every encrypted file of the repository that lists them
 * (rotating each file's data key), and from the config's creation rules and names;
 * report, per file, the key NAMES this person could read — the credentials to rotate
 * at their providers — and with `history` every key name any past revision exposed,
 * split into values changed since and values to rotate at the provider, plus the
 * branches and tags still encrypting to them (offboard-history.ts); and the git
 * commands that finish the job.
 */
import { readFileSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { explicitConfig, findConfig } from '../../config/find.js'
import { loadConfigFile } from '../../config/rules.js'
import { keysOfName, looksLikeName, recipientName, type RecipientNames } from '../../config/names.js'
import { RecipientError } from '../../errors.js'
import { readRecipientsFile } from '../../keys/recipients-file.js'
import { writeFileAtomic } from '../../io/atomic-write.js'
import type { IdentityOptions } from '../../keys/identities.js'
import type { Identity } from '../../keys/key-source.js'
import { describeError, identityLoader, runBatch, type FileFailure, type FileReport, type KeysEvent } from './batch.js'
import { removeRecipientsFromConfig } from './config-edit.js'
import { encryptedKeyNames, historyScan } from './exposure.js'
import { judgeValues, refsStillEncrypting, type RefTip, type ValueVerdicts } from './offboard-history.js'
import { hasRecipient, parseRecipientArg, refOfEntry, sameRecipient, showRef, type RecipientRef } from './recipient-diff.js'
import { listRepoFiles } from './repo-files.js'
import { rotateOne } from './rotate.js'
import { defined } from '../../defined.js'

export interface OffboardOptions extends IdentityOptions {
  /** The repository folder (default: the process's). */
  cwd?: string
  /** The config to edit (default: `.sops-like.yaml`/`.sops.yaml` found upwards from `cwd`). */
  configPath?: string
  /** Show the plan and check that every file opens; write nothing. */
  dryRun?: boolean
  /** Also walk the git history for key names exposed in past revisions. */
  history?: boolean
  /** Keep recipients a file's creation rule does not list (else that file fails with UnlistedRecipientError). */
  keepUnlisted?: boolean
  pgpKeyFiles?: string[]
  identities?: Identity[]
  now?: Date
  onEvent?: (e: KeysEvent) => void
}

export interface ExposedFile {
  path: string
  /** Leaf paths of encrypted values (`db.password`), never values. */
  keys: string[]
}

export interface OffboardReport {
  /** The (first) key removed; `recipients` lists them all. */
  recipient: RecipientRef
  /** Every key removed (a name may stand for several). */
  recipients: RecipientRef[]
  /** The config's name for them, when it gives one (or the name offboarded). */
  name?: string
  dryRun: boolean
  /** Files that list the recipient, with the key names it could read. */
  exposed: ExposedFile[]
  results: FileReport[]
  failures: FileFailure[]
  /** The config, when one was found: whether the recipient was (or would be) removed from it. */
  config?: { path: string; removed: number; written: boolean; refused?: string }
  /** With `history`: key names per path over every revision readable by the recipient; null outside git. */
  history?: ExposedFile[] | null
  /** With `history` in git: those values split into "must rotate at the provider" and "changed since". */
  values?: ValueVerdicts
  /** With `history` in git: branches and tags whose tip still encrypts a file to them. */
  stillEncrypting?: RefTip[]
  /** Shell commands that finish the job (commit and push; other branches), one per line. */
  nextSteps: string[]
  /** Things left for a human (e.g. an age recipients file that still lists them). */
  warnings: string[]
  exitCode: number
}

/** The keys to remove for `target`: a name's keys, or one recipient (with the config's name for it). */
async function resolveTarget(target: string, names: RecipientNames, where: string): Promise<{ refs: RecipientRef[]; name?: string }> {
  const s = target.trim()
  const named = looksLikeName(s) ? keysOfName(names, s) : undefined
  if (named) return { refs: named, name: s }
  let ref: RecipientRef
  try {
    ref = await parseRecipientArg(s, undefined, 'the recipient to offboard')
  } catch (e) {
    if (e instanceof RecipientError && looksLikeName(s) && !/^AGE-/i.test(s)) {
      throw new RecipientError(`the recipient to offboard, ${s}, is not a name under recipients: in ${where}, nor an age recipient (age1… or ssh-…), a PGP fingerprint or a key-service key (arn:aws:kms:…, a Vault Transit URI, …)`)
    }
    throw e
  }
  const name = recipientName(names, ref)
  return { refs: [ref], ...defined({ name }) }
}

/** Offboards a recipient (age recipient, PGP fingerprint, key-service key such as a KMS ARN or Vault URI, or a name from the config). Invalid input throws before anything is read. */
export async function offboard(target: string, opts: OffboardOptions = {}): Promise<OffboardReport> {
  const cwd = resolve(opts.cwd ?? process.cwd())
  const env = opts.env ?? process.env
  // names come from the config; a broken config is reported below (and fails a name lookup here)
  let cfgPath: string | null = null
  let names: RecipientNames = {}
  let cfgProblem: unknown
  try {
    cfgPath = findConfig(cwd, { ...defined({ explicit: explicitConfig(cwd, opts.configPath) }), env }).path
    if (cfgPath) names = loadConfigFile(cfgPath).recipients
  } catch (e) {
    if (looksLikeName(target.trim()) && !/^(age1|ssh-)/.test(target.trim())) throw e
    cfgProblem = e
  }
  const { refs, name } = await resolveTarget(target, names, cfgPath ? relative(cwd, cfgPath) || cfgPath : 'the config (none found)')
  const who = refs[0]!
  const dryRun = !!opts.dryRun
  const files = (await listRepoFiles(cwd, { env, requireRule: false, ...defined({ configPath: opts.configPath }) }))
    .filter((f) => refs.some((r) => hasRecipient(f.metadata.keyGroups.map((g) => g.map(refOfEntry)), r)))
  const exposed = files.map((f) => ({ path: f.path, keys: encryptedKeyNames(f.tree, f.metadata.selectors) }))
  const load = identityLoader(opts)
  const rotateOpts = { ...opts, cwd, env, dryRun }
  const removeFrom = (p: string) => {
    const groups = files.find((f) => f.path === p)!.metadata.keyGroups.map((g) => g.map(refOfEntry))
    return refs.filter((r) => hasRecipient(groups, r))
  }
  const batch = await runBatch(files.map((f) => f.path), (p) => rotateOne(p, { add: [], remove: removeFrom(p) }, rotateOpts, load), opts.onEvent)
  const report: OffboardReport = { recipient: who, recipients: refs, ...defined({ name }), dryRun, exposed, results: batch.reports, failures: batch.failures, warnings: [], nextSteps: [], exitCode: batch.exitCode }

  try {
    if (cfgProblem) throw cfgProblem
    if (cfgPath) {
      const label = name ? `${name} (${refs.map(showRef).join(', ')})` : showRef(who)
      const r = removeRecipientsFromConfig(readFileSync(cfgPath, 'utf8'), refs, relative(cwd, cfgPath) || cfgPath, label)
      const write = r.removed > 0 && !dryRun
      if (write) writeFileAtomic(cfgPath, Buffer.from(r.text, 'utf8'))
      report.config = { path: relative(cwd, cfgPath) || cfgPath, removed: r.removed, written: write, ...defined({ refused: r.refused }) }
      if (r.refused) report.failures.push({ path: report.config.path, message: r.refused, exitCode: 5, code: 'CONFIG_INVALID' })
      for (const ref of refs) report.warnings.push(...recipientsFilesListing(cfgPath, ref))
    }
  } catch (e) {
    report.failures.push({ path: cfgPath ? relative(cwd, cfgPath) || cfgPath : 'config', ...describeError(e) })
  }
  report.exitCode = report.failures[0]?.exitCode ?? 0

  if (opts.history) {
    const scan = await historyScan(cwd, refs, { env })
    report.history = scan ? [...scan.names.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([path, keys]) => ({ path, keys })) : null
    if (scan) {
      report.values = await judgeValues(scan, cwd, load)
      report.stillEncrypting = await refsStillEncrypting(scan, cwd, env)
    }
  }
  report.nextSteps = nextSteps(report, target.trim(), !!opts.history)
  return report
}

/** A word for a POSIX shell: as is when safe, else single-quoted. */
const sh = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)

/** The commands that finish an offboarding: commit and push what changed, then the other branches. */
function nextSteps(r: OffboardReport, target: string, history: boolean): string[] {
  const again = `sops-like offboard ${sh(target)}${history ? ' --history' : ''}`
  if (r.dryRun) return [again]
  const who = r.name ?? showRef(r.recipient).replace(/^\S+ /, '').slice(0, 24)
  const message = `Offboard ${who}: remove from recipients, rotate data keys`
  const changed = [...r.results.filter((x) => x.outcome === 'rotated').map((x) => x.path), ...(r.config?.written ? [r.config.path] : [])]
  const out: string[] = []
  if (changed.length) out.push(`git add -- ${changed.map(sh).join(' ')}`, `git commit -m ${sh(message)}`, 'git push')
  for (const tip of r.stillEncrypting ?? []) {
    if (tip.current || tip.kind === 'tag') continue
    if (tip.kind === 'remote' && r.stillEncrypting!.some((t) => t.kind === 'branch' && tip.ref.endsWith('/' + t.ref))) continue
    const branch = tip.kind === 'remote' ? tip.ref.replace(/^[^/]+\//, '') : tip.ref
    out.push(`git switch ${sh(branch)} && sops-like offboard ${sh(target)} && git commit -am ${sh(message)} && git push`)
  }
  return out
}

/** age recipients files named by the config's rules that list `who` (we do not edit those). */
function recipientsFilesListing(cfgPath: string, who: RecipientRef): string[] {
  if (who.type !== 'age') return []
  const cfg = loadConfigFile(cfgPath)
  const files = [...new Set(cfg.creationRules.flatMap((r) => r.ageRecipientsFiles).map((f) => (isAbsolute(f) ? f : join(cfg.dir, f))))]
  const out: string[] = []
  for (const f of files) {
    let ids: string[]
    try { ids = readRecipientsFile(f) } catch { continue }
    if (ids.some((id) => sameRecipient({ type: 'age', id }, who))) out.push(`recipients file ${f} still lists ${showRef(who)}: remove it there by hand`)
  }
  return out
}
