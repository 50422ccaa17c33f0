/**
 * Turns the revisions git gave (blob bytes) into Snapshots — each encrypted value's
 * ciphertext by key path, each recipient's wrapped data key, the key groups — with no key:
 * only the metadata and the `ENC[…]` texts are read. Shared by `history` and
 * `offboard --history`; plus the working-tree version of each file as one more revision.
 */
import { formatForPath } from '../../formats/index.js'
import type { Metadata } from '../../core/metadata.js'
import type { Tree } from '../../core/tree.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import { encryptedValues } from '../keys/exposure.js'
import { refOfEntry, type RecipientRef } from '../keys/recipient-diff.js'
import type { GitHistory, HistoryEvent } from './history-git.js'
import type { Snapshot } from './history-lineage.js'
import { defined } from '../../defined.js'

/** A Snapshot with what the access reports need besides. */
export interface FileSnapshot extends Snapshot {
  groups: RecipientRef[][]
  shamirThreshold?: number
}

/** The recipient key the wraps are compared by (PGP fingerprints upper-cased). */
const refKey = (r: RecipientRef): string => `${r.type} ${r.type === 'pgp' ? r.id.replace(/\s+/g, '').toUpperCase() : r.id.trim()}`

/** A parsed encrypted file → its Snapshot. */
export function snapshotOf(tree: Tree, metadata: Metadata): FileSnapshot {
  const groups = metadata.keyGroups.map((g) => g.map(refOfEntry))
  const wraps = new Map<string, string>()
  metadata.keyGroups.forEach((g, gi) => g.forEach((e, i) => wraps.set(`${gi} ${refKey(groups[gi]![i]!)}`, e.fields.enc ?? '')))
  return { values: encryptedValues(tree, metadata.selectors), wraps, groups, ...defined({ shamirThreshold: metadata.shamirThreshold }) }
}

/** Parses bytes as a sops file of the format `path` names; null when it is not one. */
export async function parseSnapshot(bytes: Uint8Array, path: string): Promise<FileSnapshot | null> {
  if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf('sops') < 0) return null
  try {
    const { tree, metadata } = await parseEncrypted(bytes, formatForPath(path))
    return snapshotOf(tree, metadata)
  } catch {
    return null // not a sops file in this revision
  }
}

/** The id of a working-tree version in the snapshot map (never a git object id). */
export const worktreeId = (path: string): string => `worktree:${path}`

export interface Revisions {
  events: HistoryEvent[]
  snap: (blob: string) => FileSnapshot | null
  /** Each followed path's current revision: its HEAD blob, or worktreeId(path) when the working tree differs. */
  current: Map<string, string>
}

/**
 * Parses every blob of `h` once, and adds the working tree's version of each file in
 * `worktree` (path relative to the top → bytes) as a last event at `now` (commit null)
 * when it differs from HEAD's.
 */
export async function buildRevisions(h: GitHistory, worktree: ReadonlyMap<string, Uint8Array>, now: number): Promise<Revisions> {
  const pathOf = new Map<string, string>()
  for (const e of h.events) {
    if (e.blob && !pathOf.has(e.blob)) pathOf.set(e.blob, e.path)
    for (const p of e.parents) if (!pathOf.has(p)) pathOf.set(p, e.path)
  }
  for (const [p, b] of h.head) if (!pathOf.has(b)) pathOf.set(b, p)
  const snaps = new Map<string, FileSnapshot | null>()
  for (const [id, bytes] of h.blobs) snaps.set(id, await parseSnapshot(bytes, pathOf.get(id) ?? ''))
  const events = [...h.events]
  const current = new Map<string, string>()
  for (const [path, bytes] of worktree) {
    const head = h.head.get(path)
    const headBytes = head ? h.blobs.get(head) : undefined
    if (head && headBytes && Buffer.compare(headBytes, Buffer.from(bytes)) === 0) { current.set(path, head); continue }
    const id = worktreeId(path)
    snaps.set(id, await parseSnapshot(bytes, path))
    events.push({ commit: '', time: now, path, parents: head ? [head] : [], blob: id })
    current.set(path, id)
  }
  return { events, snap: (b) => snaps.get(b) ?? null, current }
}
