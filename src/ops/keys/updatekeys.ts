/**
 * `updatekeys`: make a file's recipients (and key groups) match its creation rule.
 * - Only additions: the data key is kept and wrapped for the newcomers; values,
 *   `lastmodified` and `mac` stay byte-for-byte (the file is not re-encrypted).
 * - Any removal (or fewer groups, or a higher threshold): the data key is ROTATED, so
 *   someone holding an old copy cannot read values written after they lost access
 *   (sops keeps the key here; we deliberately do not).
 * Planning needs no keys; applying needs an identity that opens the file.
 */
import { resolve } from 'node:path'
import { loadFormat, type Format } from '../../formats/index.js'
import { openTree } from '../../core/document.js'
import { unwrapDataKey, wrapDataKey } from '../../core/data-key.js'
import type { Metadata } from '../../core/metadata.js'
import { loadConfigFor } from '../../config/rules.js'
import { ConfigNotFoundError, ReadError } from '../../errors.js'
import { writeFileAtomic } from '../../io/atomic-write.js'
import { readInput } from '../../io/read.js'
import { assertInPlaceTarget } from '../../io/in-place.js'
import type { IdentityOptions } from '../../keys/identities.js'
import type { Identity, KeyEntry, Recipient } from '../../keys/key-source.js'
import { identityLoader, runBatch, type BatchResult, type FileReport, type IdentityLoader, type KeysEvent } from './batch.js'
import { pickFormat } from '../crypt/codec.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import { resolveRecipients } from '../crypt/recipients.js'
import { diffRecipients, refOfEntry, refOfRecipient, sameRecipient, type RecipientDiff } from './recipient-diff.js'
import { emitWithMetadata, keepCreatedAt, resealRotated } from './rotate.js'
import { defined } from '../../defined.js'

export interface UpdateKeysOptions extends IdentityOptions {
  cwd?: string
  inputType?: string
  configPath?: string
  identities?: Identity[]
  now?: Date
  /** Check that every changed file opens (data key + MAC), write nothing. */
  dryRun?: boolean
  onEvent?: (e: KeysEvent) => void
}

export interface UpdateKeysPlan {
  path: string
  abs: string
  format: Format
  /** The file as planned (applying refuses if it changed on disk since). */
  bytes: Buffer
  action: 'up-to-date' | 'add' | 'rotate'
  diff: RecipientDiff
  groups: Recipient[][]
  threshold?: number
}

/** The rule's recipients only: SOPS_AGE_RECIPIENTS / SOPS_PGP_FP must not override the config here. */
const ruleEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const { SOPS_AGE_RECIPIENTS: _a, SOPS_PGP_FP: _p, ...rest } = env
  return rest
}

/** What updatekeys would do to a file (no keys needed). Throws ConfigNotFoundError / NoMatchingRuleError. */
export async function planUpdateKeys(file: string, opts: UpdateKeysOptions = {}): Promise<UpdateKeysPlan> {
  const env = opts.env ?? process.env
  const abs = resolve(opts.cwd ?? process.cwd(), file)
  const format = await loadFormat(pickFormat(abs, opts.inputType))
  assertInPlaceTarget(abs)
  const bytes = readInput(abs)
  const { metadata } = await parseEncrypted(bytes, format.name)
  if (!loadConfigFor(abs, { ...defined({ explicit: opts.configPath }), env })) {
    throw new ConfigNotFoundError(`no config found for ${file} (.sops-like.yaml or .sops.yaml in its folder or above): updatekeys takes the recipients from a creation rule; create one, e.g. creation_rules: [{path_regex: '\\.enc\\.', age: 'age1…'}], or pass --config FILE`)
  }
  const keys = await resolveRecipients(abs, { ...defined({ configPath: opts.configPath }), env: ruleEnv(env), cwd: opts.cwd ?? process.cwd() })
  const groups = keys.groups
  const threshold = groups.length > 1 ? Math.min(keys.threshold ?? metadata.shamirThreshold ?? groups.length, groups.length) : undefined
  const diff = diffRecipients(metadata.keyGroups.map((g) => g.map(refOfEntry)), groups.map((g) => g.map(refOfRecipient)), metadata.shamirThreshold, threshold)
  const plan: UpdateKeysPlan = { path: file, abs, format, bytes, action: !diff.changed ? 'up-to-date' : diff.onlyAdded ? 'add' : 'rotate', diff, groups }
  if (threshold !== undefined) plan.threshold = threshold
  return plan
}

/** Wraps the kept data key for the new groups; in a single group the entries that stay keep their `enc`. */
async function rewrap(dataKey: Uint8Array, md: Metadata, plan: UpdateKeysPlan): Promise<KeyEntry[][]> {
  if (plan.groups.length === 1 && md.keyGroups.length === 1) {
    const old = md.keyGroups[0]!
    const group: KeyEntry[] = []
    for (const r of plan.groups[0]!) group.push(old.find((e) => sameRecipient(refOfEntry(e), refOfRecipient(r))) ?? (await r.wrap(dataKey)))
    return [group]
  }
  // several groups: a fresh Shamir split of the same key, for everyone
  const wrapped = await wrapDataKey(dataKey, plan.groups, plan.threshold)
  return keepCreatedAt(wrapped.keyGroups, md.keyGroups)
}

/** Applies a plan. Returns the file's report; the write is atomic. */
export async function applyUpdateKeys(plan: UpdateKeysPlan, opts: UpdateKeysOptions = {}, load: IdentityLoader = identityLoader(opts)): Promise<FileReport> {
  const base = { path: plan.path, diff: plan.diff, warnings: [] as string[] }
  if (plan.action === 'up-to-date') return { ...base, outcome: 'unchanged', rotated: false }
  if (!readInput(plan.abs).equals(plan.bytes)) throw new ReadError(`${plan.path} changed on disk since it was checked: run updatekeys again`)
  const { tree, metadata } = await parseEncrypted(plan.bytes, plan.format.name)
  const identities = await load(metadata.keyGroups.flat())
  let out: Uint8Array
  if (plan.action === 'rotate') {
    const doc = await openTree(tree, metadata, { identities, ...defined({ order: load.order }) })
    out = await resealRotated(doc, plan.format, plan.groups, { ...defined({ threshold: plan.threshold, now: opts.now }), keepVersion: true })
  } else {
    const dataKey = await unwrapDataKey(metadata.keyGroups, metadata.shamirThreshold, identities, load.order)
    await openTree(tree, metadata, { dataKey }) // verifies every value and the MAC before granting anyone access
    const md: Metadata = { ...metadata, keyGroups: await rewrap(dataKey, metadata, plan) }
    if (plan.threshold && plan.groups.length > 1) md.shamirThreshold = plan.threshold
    else delete md.shamirThreshold
    out = await emitWithMetadata(tree, md, plan.format)
  }
  const rotated = plan.action === 'rotate'
  if (opts.dryRun) return { ...base, outcome: 'planned', rotated }
  writeFileAtomic(plan.abs, out)
  return { ...base, outcome: rotated ? 'rotated' : 'updated', rotated }
}

/** Plans every file (failures collected), for showing the diffs before asking. */
export async function planAll(files: readonly string[], opts: UpdateKeysOptions = {}): Promise<{ plans: UpdateKeysPlan[]; failures: BatchResult['failures'] }> {
  const byPath = new Map<string, UpdateKeysPlan>()
  const unique = [...new Set(files)]
  const r = await runBatch(unique, async (f) => {
    const p = await planUpdateKeys(f, opts)
    byPath.set(f, p)
    return { path: f, outcome: p.action === 'up-to-date' ? 'unchanged' : 'planned', diff: p.diff, rotated: p.action === 'rotate', warnings: [] }
  })
  return { plans: unique.flatMap((f) => (byPath.has(f) ? [byPath.get(f)!] : [])), failures: r.failures }
}

/** Applies plans one file at a time (each written atomically on its own). */
export async function applyAll(plans: readonly UpdateKeysPlan[], opts: UpdateKeysOptions = {}): Promise<BatchResult> {
  const load = identityLoader(opts)
  const byPath = new Map(plans.map((p) => [p.path, p]))
  return runBatch(plans.map((p) => p.path), (f) => applyUpdateKeys(byPath.get(f)!, opts, load), opts.onEvent)
}

/** Plans and applies in one go (library use; the CLI asks in between). */
export async function updateKeys(files: readonly string[], opts: UpdateKeysOptions = {}): Promise<BatchResult> {
  const { plans, failures } = await planAll(files, opts)
  const r = await applyAll(plans, opts)
  const all = [...failures, ...r.failures]
  return { reports: r.reports, failures: all, exitCode: all[0]?.exitCode ?? 0 }
}
