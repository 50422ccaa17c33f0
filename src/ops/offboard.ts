/**
 * `offboard`: remove one recipient from every encrypted file of the repository that
 * lists it (rotating each file's data key), and from the config's creation rules;
 * report, per file, the key NAMES this person could read — the credentials to rotate
 * at their providers — and with `history` every key name any past revision exposed.
 */
import { readFileSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { findConfig } from '../config/find.js'
import { loadConfigFile } from '../config/rules.js'
import { readRecipientsFile } from '../keys/recipients-file.js'
import { writeFileAtomic } from '../io/atomic-write.js'
import type { IdentityOptions } from '../keys/identities.js'
import type { Identity } from '../keys/key-source.js'
import { describeError, identityLoader, runBatch, type FileFailure, type FileReport, type KeysEvent } from './batch.js'
import { removeRecipientFromConfig } from './config-edit.js'
import { encryptedKeyNames, historyExposure } from './exposure.js'
import { hasRecipient, parseRecipientArg, refOfEntry, sameRecipient, showRef, type RecipientRef } from './recipient-diff.js'
import { listRepoFiles } from './repo-files.js'
import { rotateOne } from './rotate.js'

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
  recipient: RecipientRef
  dryRun: boolean
  /** Files that list the recipient, with the key names it could read. */
  exposed: ExposedFile[]
  results: FileReport[]
  failures: FileFailure[]
  /** The config, when one was found: whether the recipient was (or would be) removed from it. */
  config?: { path: string; removed: number; written: boolean; refused?: string }
  /** With `history`: key names per path over every revision readable by the recipient; null outside git. */
  history?: ExposedFile[] | null
  /** Things left for a human (e.g. an age recipients file that still lists them). */
  warnings: string[]
  exitCode: number
}

/** Offboards a recipient (age recipient or PGP fingerprint). Invalid input throws before anything is read. */
export async function offboard(target: string, opts: OffboardOptions = {}): Promise<OffboardReport> {
  const cwd = resolve(opts.cwd ?? process.cwd())
  const env = opts.env ?? process.env
  const who = await parseRecipientArg(target, undefined, 'the recipient to offboard')
  const dryRun = !!opts.dryRun
  const files = (await listRepoFiles(cwd, { env, requireRule: false, ...(opts.configPath ? { configPath: opts.configPath } : {}) }))
    .filter((f) => hasRecipient(f.metadata.keyGroups.map((g) => g.map(refOfEntry)), who))
  const exposed = files.map((f) => ({ path: f.path, keys: encryptedKeyNames(f.tree) }))
  const load = identityLoader(opts)
  const rotateOpts = { ...opts, cwd, env, dryRun }
  const batch = await runBatch(files.map((f) => f.path), (p) => rotateOne(p, { add: [], remove: [who] }, rotateOpts, load), opts.onEvent)
  const report: OffboardReport = { recipient: who, dryRun, exposed, results: batch.reports, failures: batch.failures, warnings: [], exitCode: batch.exitCode }

  let cfgPath: string | null = null
  try {
    cfgPath = findConfig(cwd, { ...(opts.configPath ? { explicit: resolve(cwd, opts.configPath) } : {}), env }).path
    if (cfgPath) {
      const r = removeRecipientFromConfig(readFileSync(cfgPath, 'utf8'), who, relative(cwd, cfgPath) || cfgPath)
      const write = r.removed > 0 && !dryRun
      if (write) writeFileAtomic(cfgPath, Buffer.from(r.text, 'utf8'))
      report.config = { path: relative(cwd, cfgPath) || cfgPath, removed: r.removed, written: write, ...(r.refused ? { refused: r.refused } : {}) }
      if (r.refused) report.failures.push({ path: report.config.path, message: r.refused, exitCode: 5, code: 'CONFIG_INVALID' })
      report.warnings.push(...recipientsFilesListing(cfgPath, who))
    }
  } catch (e) {
    report.failures.push({ path: cfgPath ? relative(cwd, cfgPath) || cfgPath : 'config', ...describeError(e) })
  }
  report.exitCode = report.failures[0]?.exitCode ?? 0

  if (opts.history) {
    const h = await historyExposure(cwd, who, { env })
    report.history = h ? [...h.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([path, keys]) => ({ path, keys })) : null
  }
  return report
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
