/**
 * `history` (alias `age-report`): for every encrypted value of the files asked for (or every
 * covered file with `all`), when the value last changed and since when the file's data key
 * exists, read from the git history without any key (history-lineage.ts explains how a
 * rotation is told from a change, and the limits). With `olderThan`, the values not changed
 * for that long are listed as stale, for a CI gate. Returns data; prints nothing.
 */
import { readFileSync, realpathSync } from 'node:fs'
import { dirname, basename, join, relative, resolve, sep } from 'node:path'
import { FileNotFoundError, MetadataNotFoundError, UsageError } from '../../errors.js'
import { formatForPath } from '../../formats/index.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import { listRepoFiles } from '../keys/repo-files.js'
import { gitTopLevel } from '../keys/exposure.js'
import { readGitHistory } from './history-git.js'
import { traceLineage, type Stamp } from './history-lineage.js'
import { buildRevisions, parseSnapshot, snapshotOf, type FileSnapshot } from './history-snapshots.js'
import { defined } from '../../defined.js'

export interface HistoryOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Every file a creation rule covers (as `--all` elsewhere), besides `files`. */
  all?: boolean
  configPath?: string
  /** A duration (`90d`, `12w`, `36h`): values not changed for longer are stale. */
  olderThan?: string
  /** The report's "now" (tests). */
  now?: Date
}

export interface ValueAge {
  /** The key path (`db.password`, `hosts[0]`): a name from the file, never a value. */
  key: string
  /** When the value was last set (author date of the commit, ISO 8601 UTC); null: only in the working tree, not committed. */
  changed: string | null
  /** That commit; null when not committed. */
  commit: string | null
  /** Whole days since `changed` (0 when not committed). */
  ageDays: number
  /** With `olderThan`: not changed for longer. */
  stale: boolean
}

export interface FileAge {
  /** Relative to the working folder. */
  path: string
  /** Since when the file's data key exists: its last rotation, or the file's creation (`rotated` false). */
  dataKey: { since: string | null; commit: string | null; rotated: boolean }
  values: ValueAge[]
}

export interface HistoryReport {
  /** `now`, ISO 8601 UTC. */
  generated: string
  /** The threshold in days, with `olderThan`. */
  olderThanDays?: number
  files: FileAge[]
  /** With `olderThan`: every stale value, by file then document order. */
  stale: Array<{ path: string; key: string; changed: string | null; ageDays: number }>
}

const DAY = 86_400_000
const UNITS: Record<string, number> = { h: DAY / 24, d: DAY, w: 7 * DAY, y: 365 * DAY }

/** `90d`, `12w`, `36h`, `1y` → milliseconds; UsageError otherwise. */
export function parseDuration(s: string): number {
  const m = /^\s*(\d{1,6})\s*([hdwy])\s*$/i.exec(s)
  if (!m) throw new UsageError(`--older-than takes a number and a unit, like 90d (days), 12w (weeks), 36h (hours) or 1y (365 days); got ${JSON.stringify(s.slice(0, 40))}`)
  return Number(m[1]) * UNITS[m[2]!.toLowerCase()]!
}

const iso = (s: Stamp): string | null => (s.commit ? new Date(s.time).toISOString() : null)

/** A file given on the command line → its path relative to the repository's top (symlinked folders resolved). */
function inRepo(abs: string, top: string, shown: string): string {
  let real: string
  try {
    real = join(realpathSync(dirname(abs)), basename(abs))
  } catch {
    throw new FileNotFoundError(`${shown} does not exist`)
  }
  const rel = relative(top, real)
  if (!rel || rel.startsWith('..' + sep) || rel === '..') throw new UsageError(`${shown} is outside the git repository at ${top}: run history from inside the repository that holds it`)
  return rel.split(sep).join('/')
}

/** The report (see module doc). Throws UsageError outside git or in a shallow clone, FileNotFoundError / MetadataNotFoundError for a bad file. */
export async function valueHistory(files: readonly string[], opts: HistoryOptions = {}): Promise<HistoryReport> {
  const cwd = resolve(opts.cwd ?? process.cwd())
  const env = opts.env ?? process.env
  const now = (opts.now ?? new Date()).getTime()
  const threshold = opts.olderThan !== undefined ? parseDuration(opts.olderThan) : undefined
  const wanted = new Map<string, string>() // shown path → absolute
  const parsed = new Map<string, FileSnapshot>() // --all parsed them already
  if (opts.all) {
    for (const f of await listRepoFiles(cwd, defined({ env, configPath: opts.configPath }))) { wanted.set(f.path, f.abs); parsed.set(f.path, snapshotOf(f.tree, f.metadata)) }
  }
  for (const f of files) { wanted.set(f, resolve(cwd, f)); parsed.delete(f) }
  if (!wanted.size) throw new UsageError(opts.all ? 'no encrypted file is covered by a creation rule here: name the files, or add creation rules' : 'name the encrypted files to report on, or pass --all')
  // each file as it is now: its bytes and parse (no key)
  const current: Array<{ shown: string; bytes: Buffer; snap: FileSnapshot }> = []
  for (const [shown, abs] of wanted) {
    let bytes: Buffer
    try { bytes = readFileSync(abs) } catch { throw new FileNotFoundError(`${shown} does not exist or cannot be read`) }
    const snap = parsed.get(shown) ?? await parseSnapshot(bytes, abs)
    if (!snap) {
      if (bytes.indexOf('sops') < 0) throw new MetadataNotFoundError(`${shown} is not encrypted (no sops metadata): history reports on sops-encrypted files`)
      await parseEncrypted(bytes, formatForPath(abs)) // throws the typed reason (not encrypted, damaged, …)
      throw new UsageError(`${shown} is not a sops-encrypted file`)
    }
    current.push({ shown, bytes, snap })
  }
  const top = await gitTopLevel(cwd, env)
  if (!top) throw new UsageError('history reads the git history: run it inside a git work tree')
  const rels = [...wanted.values()].map((abs, i) => inRepo(abs, top, current[i]!.shown))
  const h = (await readGitHistory(cwd, rels, { env }))!
  const worktree = new Map<string, Uint8Array>(rels.map((r, i) => [r, current[i]!.bytes]))
  const revs = await buildRevisions(h, worktree, now)
  const lineage = traceLineage(revs.events, revs.snap)
  const report: HistoryReport = { generated: new Date(now).toISOString(), files: [], stale: [] }
  if (threshold !== undefined) report.olderThanDays = Math.round((threshold / DAY) * 1000) / 1000
  rels.forEach((rel, i) => {
    const { shown, snap } = current[i]!
    const cur = revs.current.get(rel)!
    const key = lineage.dataKey.get(cur)
    const file: FileAge = {
      path: shown,
      dataKey: key ? { since: iso(key), commit: key.commit, rotated: key.rotated } : { since: null, commit: null, rotated: false },
      values: [],
    }
    for (const [k, c] of snap.values) {
      const o = lineage.origin.get(c) ?? { time: now, commit: null }
      const ageDays = Math.max(0, Math.floor((now - o.time) / DAY))
      const stale = threshold !== undefined && o.commit !== null && now - o.time > threshold
      file.values.push({ key: k, changed: iso(o), commit: o.commit, ageDays, stale })
      if (stale) report.stale.push({ path: shown, key: k, changed: iso(o), ageDays })
    }
    report.files.push(file)
  })
  return report
}
