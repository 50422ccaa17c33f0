/**
 * The git half of `offboard --history`: for every value the leaver could read in any
 * revision (see exposure.ts), whether it CHANGED since (their copies are out of date) or
 * MUST BE ROTATED at its provider (the working tree still holds a value they read, the
 * value left the repository, or a revision could not be decrypted to tell); and the
 * branches and tags whose tip still encrypts a file to them. Values are compared by
 * SHA-256 digests held in memory only; nothing but key names and paths is returned.
 * git runs with an argv (no shell).
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { formatForPath } from '../../formats/index.js'
import { openTree } from '../../core/document.js'
import type { Tree } from '../../core/tree.js'
import type { IdentityLoader } from './batch.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import { git, leaves, type HistoryScan } from './exposure.js'
import { defined } from '../../defined.js'

/**
 * Why a value must be rotated at its provider. `data-key-kept` (set by src/ops/report/history-offboard.ts):
 * the value changed after the leaver was removed, but under a data key a revision wrapped for them.
 */
export type RotateReason = 'unchanged' | 'removed' | 'undecryptable' | 'data-key-kept'

export interface ValueVerdict {
  /** Relative to the working folder. */
  path: string
  /** The key name (`db.password`), never the value. */
  key: string
  why?: RotateReason
}

export interface ValueVerdicts {
  /** The leaver read this very value (or we cannot tell): revoke it where it is issued. */
  mustRotate: ValueVerdict[]
  /** Every value they read differs from the one the working tree holds now. */
  changedSince: ValueVerdict[]
}

export interface RefTip {
  /** `main`, `origin/feature`, `v1.0`. */
  ref: string
  kind: 'branch' | 'remote' | 'tag'
  /** The branch checked out here (the offboarding commit fixes it). */
  current: boolean
  /** Files (relative to the working folder) whose version at the tip lists the leaver. */
  paths: string[]
}

const digest = (type: string, text: string): string => createHash('sha256').update(`${type}\0${text}`, 'utf8').digest('hex')

/** Digest of every leaf value of a decrypted tree, by key name. */
function valueDigests(tree: Tree): Map<string, string> {
  const out = new Map<string, string>()
  leaves(tree, (n, path) => { if (!out.has(path)) out.set(path, digest(n.type, n.text)) })
  return out
}

/** Opens a file's bytes and returns its value digests; throws when it cannot be opened. */
async function openDigests(bytes: Uint8Array, path: string, load: IdentityLoader): Promise<Map<string, string>> {
  const { tree, metadata } = await parseEncrypted(bytes, formatForPath(path))
  const doc = await openTree(tree, metadata, { identities: await load(metadata.keyGroups.flat()), ...defined({ order: load.order }) })
  try {
    return valueDigests(doc.tree)
  } finally {
    doc.dataKey.fill(0)
  }
}

/** Sorts every value the leaver read into "must rotate" and "changed since" (see module doc). */
export async function judgeValues(scan: HistoryScan, cwd: string, load: IdentityLoader): Promise<ValueVerdicts> {
  const read = new Map<string, Map<string, Set<string>>>() // path → key → digests they read
  const unknown = new Map<string, Set<string>>() // path → keys of revisions we could not open
  const order = new Map<string, string[]>() // path → keys in first-seen order
  const note = (path: string, key: string) => { const o = order.get(path) ?? []; if (!o.includes(key)) o.push(key); order.set(path, o) }
  for (const b of scan.blobs.values()) {
    let values: Map<string, string> | undefined
    try { values = await openDigests(b.bytes, b.path, load) } catch { values = undefined }
    for (const key of b.keys) {
      note(b.path, key)
      const d = values?.get(key)
      if (d === undefined) { const u = unknown.get(b.path) ?? new Set(); u.add(key); unknown.set(b.path, u); continue }
      const byKey = read.get(b.path) ?? new Map<string, Set<string>>()
      const set = byKey.get(key) ?? new Set<string>()
      set.add(d)
      byKey.set(key, set)
      read.set(b.path, byKey)
    }
  }
  const out: ValueVerdicts = { mustRotate: [], changedSince: [] }
  for (const path of [...order.keys()].sort()) {
    const abs = resolve(scan.top, path)
    const shown = relative(cwd, abs) || path
    let now: Map<string, string> | null = null
    let gone = false
    if (!existsSync(abs)) gone = true
    else {
      try { now = await openDigests(readFileSync(abs), path, load) } catch { now = null }
    }
    for (const key of order.get(path)!) {
      const rotate = (why: RotateReason) => out.mustRotate.push({ path: shown, key, why })
      if (unknown.get(path)?.has(key)) rotate('undecryptable')
      else if (gone) rotate('removed')
      else if (!now) rotate('undecryptable')
      else if (!now.has(key)) rotate('removed')
      else if (read.get(path)?.get(key)?.has(now.get(key)!)) rotate('unchanged')
      else out.changedSince.push({ path: shown, key })
    }
  }
  return out
}

/** Branches (local and remote-tracking) and tags whose tip holds a revision the leaver can read. */
export async function refsStillEncrypting(scan: HistoryScan, cwd: string, env?: NodeJS.ProcessEnv): Promise<RefTip[]> {
  const g = (args: string[]) => git(args, scan.top, defined({ env }))
  let listing: string
  try {
    listing = (await g(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads', 'refs/remotes', 'refs/tags'])).toString('utf8')
  } catch {
    return []
  }
  let head = ''
  try { head = (await g(['symbolic-ref', '-q', 'HEAD'])).toString('utf8').trim() } catch { /* detached */ }
  const out: RefTip[] = []
  for (const line of listing.split('\n')) {
    const sp = line.indexOf(' ')
    if (sp < 0) continue
    const sha = line.slice(0, sp)
    const ref = line.slice(sp + 1)
    if (ref.endsWith('/HEAD')) continue
    let tree: string
    try { tree = (await g(['ls-tree', '-r', '-z', '--full-tree', sha])).toString('utf8') } catch { continue }
    const paths: string[] = []
    for (const entry of tree.split('\0')) {
      const tab = entry.indexOf('\t')
      if (tab < 0) continue
      const [, type, blob] = entry.slice(0, tab).split(' ')
      if (type === 'blob' && scan.blobs.has(blob ?? '')) paths.push(relative(cwd, resolve(scan.top, entry.slice(tab + 1))) || entry.slice(tab + 1))
    }
    if (!paths.length) continue
    const kind = ref.startsWith('refs/heads/') ? 'branch' : ref.startsWith('refs/tags/') ? 'tag' : 'remote'
    out.push({ ref: ref.replace(/^refs\/(heads|tags|remotes)\//, ''), kind, current: ref === head, paths })
  }
  return out
}
