/**
 * The git half of the key-less history reports: every revision of the files asked for, read
 * in TWO git processes whatever the length of the history — one `git log --raw` over the
 * whole history (which blob each commit gave each path, with merges' parents) and one
 * `git cat-file --batch` for the distinct blobs — never one process per revision. Paths a
 * file was renamed from (deleted in the commit that added it) are followed too, so that an
 * unchanged value keeps its date across a move. git runs with an argv (no shell).
 */
import { spawn } from 'node:child_process'
import { UsageError } from '../../errors.js'
import { git, gitTopLevel } from '../keys/exposure.js'
import { defined } from '../../defined.js'

/** One path changing in one commit: the blob it had in each parent, and the one it has now. */
export interface HistoryEvent {
  commit: string
  /** Author date, in ms (a rebase or cherry-pick keeps it: when the change was made). */
  time: number
  /** Relative to the repository's top. */
  path: string
  /** The path's blob in each parent that had it (none: added). */
  parents: string[]
  /** The blob after the commit; null when the commit deleted the path. */
  blob: string | null
}

export interface GitHistory {
  top: string
  /** Parents before children (`--topo-order --reverse`). */
  events: HistoryEvent[]
  /** Blob contents by id, for the blobs of the followed paths. */
  blobs: Map<string, Buffer>
  /** The blob each followed path has at HEAD (absent: not in HEAD). */
  head: Map<string, string>
}

const ZERO = /^0+$/
/** Blobs bigger than this are not sops files worth reading. */
const MAX_BLOB = 16 * 1024 * 1024

/** Parses `git log -z --raw -c --format=%x01%H %at %P`: one event per path per commit. */
export function parseRawLog(out: Buffer): HistoryEvent[] {
  const tokens = out.toString('utf8').split('\0')
  const events: HistoryEvent[] = []
  let commit = ''
  let time = 0
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!.replace(/^\n+/, '')
    if (tok.startsWith('\x01')) {
      const [sha, at] = tok.slice(1).split(' ')
      commit = sha ?? ''
      time = Number(at) * 1000
      continue
    }
    if (!tok.startsWith(':')) continue
    const path = tokens[++i] ?? ''
    // `:old new src dst S` or, for a merge (-c), `::m1 m2 new p1 p2 dst SS`
    const colons = /^:+/.exec(tok)![0].length
    const f = tok.slice(colons).split(' ')
    const modes = f.slice(0, colons + 1)
    const shas = f.slice(colons + 1, colons + 1 + colons + 1)
    const isFile = (m: string | undefined) => m === '100644' || m === '100755'
    const dst = shas[colons]!
    const parents = shas.slice(0, colons).filter((s, k) => !ZERO.test(s) && isFile(modes[k]))
    events.push({ commit, time, path, parents, blob: ZERO.test(dst) || !isFile(modes[colons]) ? null : dst })
  }
  return events
}

/** The paths to read: the wanted ones, and what each was renamed from (deleted where it was added), recursively. */
export function followedPaths(events: readonly HistoryEvent[], wanted: Iterable<string>): Set<string> {
  const deletions = new Map<string, HistoryEvent[]>() // commit → paths it deleted
  const additions = new Map<string, HistoryEvent[]>() // path → commits that added it
  const push = (m: Map<string, HistoryEvent[]>, k: string, e: HistoryEvent) => { const l = m.get(k); if (l) l.push(e); else m.set(k, [e]) }
  for (const e of events) {
    if (e.blob === null && e.parents.length) push(deletions, e.commit, e)
    else if (e.blob && !e.parents.length) push(additions, e.path, e)
  }
  const keep = new Set(wanted)
  const todo = [...keep]
  while (todo.length) {
    const p = todo.pop()!
    for (const e of additions.get(p) ?? []) {
      for (const o of deletions.get(e.commit) ?? []) {
        if (!keep.has(o.path)) { keep.add(o.path); todo.push(o.path) }
      }
    }
  }
  return keep
}

/** Runs `git cat-file --batch` over `ids` (one process), streaming; blobs over MAX_BLOB are skipped. */
function catBlobs(ids: readonly string[], top: string, env?: NodeJS.ProcessEnv): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>()
  if (!ids.length) return Promise.resolve(out)
  return new Promise((resolveP, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], { cwd: top, env: { ...(env ?? process.env), GIT_OPTIONAL_LOCKS: '0' }, stdio: ['pipe', 'pipe', 'ignore'] })
    let buf: Buffer = Buffer.alloc(0)
    let want: { id: string; size: number } | null = null
    child.stdout.on('data', (c: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, c]) : c
      for (;;) {
        if (!want) {
          const nl = buf.indexOf(0x0a)
          if (nl < 0) return
          const [id, type, size] = buf.subarray(0, nl).toString('utf8').split(' ')
          buf = buf.subarray(nl + 1)
          if (type === 'missing' || !id) continue
          want = { id, size: Number(size) }
        }
        if (buf.length < want.size + 1) return
        if (want.size <= MAX_BLOB) out.set(want.id, Buffer.from(buf.subarray(0, want.size)))
        buf = buf.subarray(want.size + 1)
        want = null
      }
    })
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolveP(out) : reject(new UsageError(`git cat-file exited with ${code}: is the repository complete?`))))
    child.stdin.on('error', () => { /* git exited early: reported by close */ })
    child.stdin.end(ids.join('\n') + '\n')
  })
}

/**
 * Reads the history of `paths` (relative to the repository's top) reachable from HEAD.
 * Null outside a git work tree; throws UsageError in a shallow clone (values would look
 * newer than they are).
 */
export async function readGitHistory(cwd: string, paths: readonly string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<GitHistory | null> {
  const top = await gitTopLevel(cwd, opts.env)
  if (!top) return null
  const g = (args: string[]) => git(args, top, defined({ env: opts.env }))
  let hasHead = true
  try { await g(['rev-parse', '-q', '--verify', 'HEAD^{commit}']) } catch { hasHead = false }
  if (!hasHead) return { top, events: [], blobs: new Map(), head: new Map() }
  if ((await g(['rev-parse', '--is-shallow-repository'])).toString('utf8').trim() === 'true') {
    throw new UsageError('this clone is shallow, so values would look newer than they are: fetch the whole history first (git fetch --unshallow; in GitHub Actions, actions/checkout with fetch-depth: 0)')
  }
  // the user's config must not change the output we parse: no signatures, colour, textconv or external diff
  const log = await g(['-c', 'core.quotepath=off', 'log', '-z', '--raw', '-c', '--no-abbrev', '--no-renames', '--no-color', '--no-ext-diff', '--no-textconv', '--no-show-signature', '--topo-order', '--reverse', '--format=%x01%H %at %P', 'HEAD', '--'])
  const events = parseRawLog(log)
  const keep = followedPaths(events, paths)
  const mine = events.filter((e) => keep.has(e.path))
  const head = new Map<string, string>()
  const wanted = [...new Set(paths)]
  if (wanted.length) {
    // `ls-tree HEAD` lists the whole tree once; cheaper than a pathspec per file
    const tree = (await g(['ls-tree', '-r', '-z', '--full-tree', 'HEAD'])).toString('utf8')
    const set = new Set(wanted)
    for (const entry of tree.split('\0')) {
      const tab = entry.indexOf('\t')
      if (tab < 0) continue
      const p = entry.slice(tab + 1)
      const [, type, sha] = entry.slice(0, tab).split(' ')
      if (type === 'blob' && set.has(p) && sha) head.set(p, sha)
    }
  }
  const ids = new Set<string>(head.values())
  for (const e of mine) { if (e.blob) ids.add(e.blob); for (const p of e.parents) ids.add(p) }
  const blobs = await catBlobs([...ids], top, opts.env)
  return { top, events: mine, blobs, head }
}
