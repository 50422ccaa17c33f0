/**
 * The merge driver's key policy: which recipients and which data key a merged file
 * gets, so that a merge never makes security go backwards (issue 16).
 *
 * Per key group, against the common ancestor (base):
 * - a recipient present in base and absent on either side stays removed;
 * - a recipient absent from base and present on a side (added there) is kept. It
 *   cannot have been "removed on the other side" (that side never had it); a person
 *   removed on one side and re-added on the other is indistinguishable from "kept"
 *   there, so the removal wins: re-add them after the merge (updatekeys / rotate --add-age);
 * - no base (the file was added on both sides): only recipients BOTH sides list.
 * Shamir threshold: a side that changed it wins; both changed → the higher one.
 * A different number of key groups on the two sides is refused (merge by hand); a
 * base with another group layout counts as no base.
 *
 * Data key: the merged file keeps OURS' data key and key entries only when its
 * recipients equal ours' and theirs did not rotate (theirs' key is ours' or base's).
 * Otherwise it gets a FRESH data key (newer than both sides' keys, never known to
 * anyone removed). Pure: data keys are compared, never stored or printed.
 */
import type { Metadata } from '../../core/metadata.js'
import { MergeRefusedError } from '../../errors.js'
import { refOfEntry, sameRecipient, showRef, type RecipientRef } from '../keys/recipient-diff.js'

export interface SideKeys {
  metadata: Metadata
  dataKey: Uint8Array
}

export interface KeyMergePlan {
  /** Recipients of the merged file, per key group. */
  groups: RecipientRef[][]
  /** Shamir threshold (several groups only). */
  threshold?: number
  /** Keep ours' data key and key entries (nothing about keys differs from ours). */
  keepOurs: boolean
  /** Compared with ours: recipients the merge removed / added. */
  removed: RecipientRef[]
  added: RecipientRef[]
  /** Which sides replaced the data key since base. */
  rotated: Array<'ours' | 'theirs'>
}

const has = (xs: readonly RecipientRef[], r: RecipientRef): boolean => xs.some((x) => sameRecipient(x, r))
const refs = (md: Metadata): RecipientRef[][] => md.keyGroups.map((g) => g.map(refOfEntry))
const sameKey = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b))
const effective = (md: Metadata): number | undefined => (md.keyGroups.length > 1 ? Math.min(md.shamirThreshold || md.keyGroups.length, md.keyGroups.length) : undefined)

/** Merges one key group's recipients (see module doc). */
export function mergeGroup(base: readonly RecipientRef[] | null, ours: readonly RecipientRef[], theirs: readonly RecipientRef[]): RecipientRef[] {
  if (!base) return ours.filter((r) => has(theirs, r))
  const out = ours.filter((r) => !(has(base, r) && !has(theirs, r)))
  for (const r of theirs) if (!has(base, r) && !has(out, r)) out.push(r)
  return out
}

/** Plans the merged file's keys. Throws MergeRefusedError when no safe result exists. */
export function planKeyMerge(name: string, base: SideKeys | null, ours: SideKeys, theirs: SideKeys): KeyMergePlan {
  const b = base ? refs(base.metadata) : null
  const o = refs(ours.metadata)
  const t = refs(theirs.metadata)
  if (o.length !== t.length) {
    throw new MergeRefusedError(`the key groups of ${name} changed differently on the two sides (${o.length} vs ${t.length}): merge it by hand, then run sops-like updatekeys ${name}`)
  }
  // a base laid out in other groups cannot say who was removed where: both sides must list a recipient
  const aligned = b && b.length === o.length ? b : null
  const groups = o.map((g, i) => mergeGroup(aligned ? aligned[i]! : null, g, t[i]!))
  const empty = groups.findIndex((g) => !g.length)
  if (empty >= 0) throw new MergeRefusedError(`merging the recipients of ${name} leaves ${groups.length > 1 ? `key group ${empty}` : 'it'} without any recipient: merge it by hand`)
  const [tb, to, tt] = [base ? effective(base.metadata) : undefined, effective(ours.metadata), effective(theirs.metadata)]
  const threshold = groups.length > 1 ? (to === tb ? tt : tt === tb ? to : Math.max(to ?? 0, tt ?? 0)) : undefined
  const removed = o.flat().filter((r) => !groups.some((g) => has(g, r)))
  const added = groups.flat().filter((r) => !o.some((g) => has(g, r)))
  const sameAsOurs = !removed.length && !added.length && groups.every((g, i) => g.length === o[i]!.length) && threshold === to
  const rotated: KeyMergePlan['rotated'] = []
  if (base && !sameKey(ours.dataKey, base.dataKey)) rotated.push('ours')
  if (base && !sameKey(theirs.dataKey, base.dataKey)) rotated.push('theirs')
  const theirsNotNewer = sameKey(theirs.dataKey, ours.dataKey) || (!!base && sameKey(theirs.dataKey, base.dataKey))
  const plan: KeyMergePlan = { groups, keepOurs: sameAsOurs && theirsNotNewer, removed, added, rotated }
  if (threshold !== undefined) plan.threshold = threshold
  return plan
}

/** One line describing what the merge did to the keys (for the driver's notes); empty when it kept ours'. */
export function describeKeyMerge(name: string, plan: KeyMergePlan): string {
  if (plan.keepOurs) return ''
  const parts: string[] = []
  if (plan.removed.length) parts.push(`removed ${plan.removed.map(showRef).join(', ')}`)
  if (plan.added.length) parts.push(`added ${plan.added.map(showRef).join(', ')}`)
  if (plan.rotated.length) parts.push(`kept the data key rotation of ${plan.rotated.join(' and ')}`)
  return `${name}: recipients and data keys merged${parts.length ? ` (${parts.join('; ')})` : ''}; the merged file has a new data key`
}
