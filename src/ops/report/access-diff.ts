/**
 * What changed in access between two readings of the same files (a git revision and the
 * working tree), for review: per file, recipients who can now decrypt it alone or no longer
 * can, who gained or lost a Shamir share, keys added or removed per group, a threshold
 * change; and files that became or stopped being encrypted files. Pure.
 */
import { sameRecipient } from '../keys/recipient-diff.js'
import type { AccessKey, FileAccess, GroupKey } from './access-model.js'

/** A key added to or removed from one key group. */
export interface GroupKeyChange extends AccessKey {
  /** The key group (0 for a file without `key_groups`). */
  group: number
  recipient: string
}

export interface AccessChange {
  path: string
  /** `added`: an encrypted file now, not at the revision; `removed`: the other way round. */
  status: 'added' | 'removed' | 'changed'
  /** Recipients who can decrypt it alone now and could not before. */
  readersAdded: string[]
  /** Recipients who could decrypt it alone before and cannot now. */
  readersRemoved: string[]
  /** Recipients who now hold a share (fewer groups than the threshold) and held none before. */
  partialAdded: string[]
  /** Recipients who held a share only before and hold nothing now. */
  partialRemoved: string[]
  keysAdded: GroupKeyChange[]
  keysRemoved: GroupKeyChange[]
  /** Key groups and threshold at the revision (absent for an added file). */
  before?: { groups: number; threshold: number }
  /** Key groups and threshold now (absent for a removed file). */
  after?: { groups: number; threshold: number }
  /** With `values`: the names of the file's encrypted values (now, or at the revision when removed). */
  values?: string[]
}

const keysOf = (groups: GroupKey[][]): GroupKeyChange[] => groups.flatMap((g, group) => g.map((k) => ({ ...k, group })))
const sameKey = (a: GroupKeyChange, b: GroupKeyChange): boolean => a.group === b.group && sameRecipient({ type: a.type, id: a.id }, { type: b.type, id: b.id })
const holders = (f: FileAccess): string[] => f.partial.map((p) => p.recipient)
const minus = (a: readonly string[], b: readonly string[]): string[] => a.filter((x) => !b.includes(x))

/** One file's change, or null when its access is the same (same keys in the same groups, same threshold). */
export function diffFile(before: FileAccess | undefined, after: FileAccess | undefined): AccessChange | null {
  const b = before?.groups ? keysOf(before.groups) : []
  const a = after?.groups ? keysOf(after.groups) : []
  const keysAdded = a.filter((k) => !b.some((x) => sameKey(x, k)))
  const keysRemoved = b.filter((k) => !a.some((x) => sameKey(x, k)))
  const shape = (f: FileAccess) => ({ groups: f.groups.length, threshold: f.threshold })
  if (before && after && !keysAdded.length && !keysRemoved.length && before.threshold === after.threshold && before.groups.length === after.groups.length) return null
  const path = (after ?? before)!.path
  const readersBefore = before?.readers ?? []
  const readersAfter = after?.readers ?? []
  const out: AccessChange = {
    path,
    status: !before ? 'added' : !after ? 'removed' : 'changed',
    readersAdded: minus(readersAfter, readersBefore),
    readersRemoved: minus(readersBefore, readersAfter),
    partialAdded: minus(after ? holders(after) : [], [...(before ? holders(before) : []), ...readersBefore]),
    partialRemoved: minus(before ? holders(before) : [], [...(after ? holders(after) : []), ...readersAfter]),
    keysAdded,
    keysRemoved,
  }
  if (before) out.before = shape(before)
  if (after) out.after = shape(after)
  const values = (after ?? before)!.values
  if (values) out.values = values
  return out
}

/** Changes between two sets of files keyed by path (sorted by path). */
export function diffAccess(before: readonly FileAccess[], after: readonly FileAccess[]): { changes: AccessChange[]; unchanged: number } {
  const old = new Map(before.map((f) => [f.path, f]))
  const now = new Map(after.map((f) => [f.path, f]))
  const paths = [...new Set([...old.keys(), ...now.keys()])].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
  const changes: AccessChange[] = []
  let unchanged = 0
  for (const p of paths) {
    const c = diffFile(old.get(p), now.get(p))
    if (c) changes.push(c)
    else unchanged++
  }
  return { changes, unchanged }
}
