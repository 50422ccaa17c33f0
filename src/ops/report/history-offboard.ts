/**
 * `offboard NAME --history` with dates: the leaver's row of the access matrix (every file a
 * revision ever encrypted to them: key group, whether they could read it alone, and when their
 * access ended — the commit that removed them, or this offboarding) and, for every value those
 * files hold now, when it last changed and whether it is one they could read (its ciphertext,
 * or the one a rotation replaced it with, was in a revision encrypted to them). Read from git
 * history with no key (history-lineage.ts); offboard's own exact verdicts (must rotate /
 * changed since, by decrypted digests) stay as they are and get these dates beside them.
 * Lives in `report` (above `keys`), so `offboard` itself does not depend on it.
 */
import { existsSync, readFileSync } from 'node:fs'
import { relative, resolve, sep } from 'node:path'
import { offboard, type OffboardOptions, type OffboardReport } from '../keys/offboard.js'
import { gitTopLevel } from '../keys/exposure.js'
import { hasRecipient, type RecipientRef } from '../keys/recipient-diff.js'
import { readGitHistory } from './history-git.js'
import { traceLineage, type Stamp } from './history-lineage.js'
import { buildRevisions, type FileSnapshot } from './history-snapshots.js'
import { defined } from '../../defined.js'

export interface AccessRowFile {
  /** Relative to the working folder. */
  path: string
  /** Key groups that list them (in the last revision that did). */
  groups: number[]
  /** With several key groups: how many must agree (Shamir); a member of one group cannot read alone. */
  threshold?: number
  /** They could decrypt the file on their own (one group, or a threshold of 1). */
  alone: boolean
  /** The file still listed them before this offboarding. */
  listedNow: boolean
  /**
   * The file's current data key is one a revision wrapped for them (they were removed without a
   * rotation, e.g. by sops' updatekeys): with any copy of the file they can decrypt every value
   * it holds now, changed or not. Rotate the file (`sops-like rotate FILE`) and then the values.
   */
  dataKeyKnown: boolean
  /** When their access ended (ISO 8601 UTC): the commit that removed them or deleted the file; null: still listed (ends with this offboarding). */
  accessEnded: string | null
  accessEndedCommit: string | null
}

export interface DatedValue {
  path: string
  key: string
  /** When the value last changed (null: not committed yet). */
  changed: string | null
  commit: string | null
  /** The value is one they could read (same ciphertext, or carried over by a rotation, as far as the ciphertexts tell). */
  readByThem: boolean
}

export interface OffboardDates {
  access: AccessRowFile[]
  values: DatedValue[]
}

export type OffboardHistoryReport = OffboardReport & { dates?: OffboardDates | null }

const iso = (s: Stamp): string | null => (s.commit ? new Date(s.time).toISOString() : null)
const lists = (s: FileSnapshot | null, who: readonly RecipientRef[]): boolean => !!s && who.some((w) => hasRecipient(s.groups, w))

/**
 * The dates for `who` over `paths` (relative to `cwd`; files that exist now are read as they
 * are in the working tree). Null outside git.
 */
export async function offboardDates(cwd: string, who: readonly RecipientRef[], paths: readonly string[], opts: { env?: NodeJS.ProcessEnv; now?: Date } = {}): Promise<OffboardDates | null> {
  const now = (opts.now ?? new Date()).getTime()
  const top = await gitTopLevel(cwd, opts.env)
  if (!top) return null
  const toRel = (p: string) => relative(top, resolve(cwd, p)).split(sep).join('/')
  const shown = (rel: string) => relative(cwd, resolve(top, rel)) || rel
  const rels = [...new Set(paths.map(toRel))]
  const h = (await readGitHistory(cwd, rels, defined({ env: opts.env })))!
  const worktree = new Map<string, Uint8Array>()
  for (const r of rels) {
    const abs = resolve(top, r)
    if (existsSync(abs)) { try { worktree.set(r, readFileSync(abs)) } catch { /* unreadable: history only */ } }
  }
  const revs = await buildRevisions(h, worktree, now)
  const lineage = traceLineage(revs.events, revs.snap)
  // access per revision: 'listed', or when it ended (a parent listed them, this one does not)
  const ended = new Map<string, Stamp | 'listed'>()
  const lastListing = new Map<string, FileSnapshot>() // path → last revision that listed them
  const deleted = new Map<string, Stamp>() // path → the deletion that ended their access
  const exposed = new Set<string>() // ciphertexts in revisions encrypted to them
  const keysTheyHeld = new Set<object>() // data keys (lineage.dataKey stamps, shared by every revision under one key)
  for (const e of revs.events) {
    const stamp: Stamp = { time: e.time, commit: e.commit || null }
    const parentListed = e.parents.some((p) => ended.get(p) === 'listed')
    const inherited = e.parents.map((p) => ended.get(p)).filter((x): x is Stamp => !!x && x !== 'listed').sort((a, b) => b.time - a.time)[0]
    if (!e.blob) {
      if (parentListed) deleted.set(e.path, stamp)
      continue
    }
    const s = revs.snap(e.blob)
    if (lists(s, who)) {
      ended.set(e.blob, 'listed')
      lastListing.set(e.path, s!)
      for (const c of s!.values.values()) exposed.add(c)
      const k = lineage.dataKey.get(e.blob)
      if (k) keysTheyHeld.add(k)
    } else if (parentListed) ended.set(e.blob, stamp)
    else if (inherited && !ended.has(e.blob)) ended.set(e.blob, inherited)
  }
  // HEAD blobs listed at HEAD but never changed in the log are covered by their add event above
  const readBy = (c: string): boolean => {
    for (let x: string | undefined = c, n = 0; x !== undefined && n < 10_000; x = lineage.from.get(x), n++) if (exposed.has(x)) return true
    return false
  }
  const out: OffboardDates = { access: [], values: [] }
  for (const rel of [...rels].sort()) {
    const last = lastListing.get(rel)
    if (!last) continue // no revision of it was ever encrypted to them
    const cur = revs.current.get(rel)
    const state = cur ? ended.get(cur) : deleted.get(rel)
    // removed by this very run (the working tree no longer lists them, HEAD did): ends now
    const end = state === 'listed' || state === undefined || state.commit === null ? null : state
    const curKey = cur ? lineage.dataKey.get(cur) : undefined
    const dataKeyKnown = !!curKey && keysTheyHeld.has(curKey)
    const groups = last.groups.flatMap((g, i) => (who.some((w) => hasRecipient([g], w)) ? [i] : []))
    const threshold = last.groups.length > 1 ? (last.shamirThreshold ?? last.groups.length) : undefined
    out.access.push({
      path: shown(rel),
      groups,
      ...defined({ threshold }),
      alone: threshold === undefined || threshold <= 1,
      listedNow: state === 'listed' || (state !== undefined && state.commit === null),
      dataKeyKnown,
      accessEnded: end ? iso(end) : null,
      accessEndedCommit: end ? end.commit : null,
    })
    const snap = cur ? revs.snap(cur) : null
    for (const [key, c] of snap?.values ?? []) {
      const o = lineage.origin.get(c) ?? { time: now, commit: null }
      out.values.push({ path: shown(rel), key, changed: iso(o), commit: o.commit, readByThem: dataKeyKnown || readBy(c) })
    }
  }
  return out
}

/**
 * `offboard(target, { history: true })`, then the dates above for every file a past or
 * present revision encrypted to them. A failure to read the dates leaves `dates` null and
 * the offboarding as it was.
 */
export async function offboardWithHistory(target: string, opts: OffboardOptions = {}): Promise<OffboardHistoryReport> {
  const report: OffboardHistoryReport = await offboard(target, { ...opts, history: true })
  if (!report.history) return report
  const paths = [...new Set([...report.exposed.map((f) => f.path), ...report.history.map((f) => f.path)])]
  try {
    report.dates = await offboardDates(resolve(opts.cwd ?? process.cwd()), report.recipients, paths, defined({ env: opts.env, now: opts.now }))
  } catch (e) {
    report.dates = null
    report.warnings.push(`no dates for the history: ${e instanceof Error ? e.message : String(e)}`)
  }
  // a file they left without a rotation still has a data key they held: "changed since" is not safe there
  const kept = new Set((report.dates?.access ?? []).filter((a) => a.dataKeyKnown && !a.listedNow).map((a) => a.path))
  if (kept.size && report.values) {
    const moved = report.values.changedSince.filter((v) => kept.has(v.path))
    report.values.changedSince = report.values.changedSince.filter((v) => !kept.has(v.path))
    report.values.mustRotate.push(...moved.map((v) => ({ path: v.path, key: v.key, why: 'data-key-kept' as const })))
    report.values.mustRotate.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    for (const p of [...kept].sort()) {
      report.warnings.push(`${p} no longer lists them but keeps a data key they held (removed without a rotation): run sops-like rotate ${/^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`}, then rotate its values at their providers`)
    }
  }
  return report
}
