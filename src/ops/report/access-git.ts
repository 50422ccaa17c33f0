/**
 * `access --diff REV`: the encrypted files as they were at a git revision, read from git's
 * objects (`git ls-tree` once, then `git cat-file --batch` in chunks; argv only, never a
 * shell), parsed for their metadata (no key). A revision is untrusted text from a flag or a
 * CI variable: one that starts with `-` is refused before git sees it (it would be read as an
 * option), and it is resolved to a commit id once, which is all git gets afterwards.
 */
import { catFileBatch, git, runGit } from '../../io/git-exec.js'
import { UsageError } from '../../errors.js'
import { defined } from '../../defined.js'

/** Blobs bigger than this are not sops files worth reading (as for `--all` in the working tree). */
const MAX_BLOB = 16 * 1024 * 1024
/** Objects per `git cat-file --batch` call (bounds memory on a large tree). */
const CHUNK = 256

export interface RevBlob {
  /** Relative to the repository's top folder, `/`-separated. */
  path: string
  bytes: Buffer
}

/** The commit id `rev` names; UsageError when it looks like an option or git cannot resolve it. */
export function resolveCommit(rev: string, top: string, env?: NodeJS.ProcessEnv): string {
  if (!rev || rev.startsWith('-') || /[\0\n\r]/.test(rev)) throw new UsageError('--diff takes a git revision (a branch, tag or commit such as origin/main); it may not start with -')
  const r = runGit(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd: top, ...defined({ env }) })
  const sha = r.stdout.toString('utf8').trim()
  if (r.status !== 0 || !/^[0-9a-f]{40,64}$/.test(sha)) {
    throw new UsageError(`git cannot find the revision given to --diff: fetch it first (in CI: actions/checkout with fetch-depth: 0)`)
  }
  return sha
}

/**
 * Files of `commit` that may be sops files (regular blobs holding `sops`, at most 16 MiB).
 * `paths` (relative to the top folder) limits the listing to those files.
 */
export function blobsAt(commit: string, top: string, opts: { env?: NodeJS.ProcessEnv; paths?: readonly string[] } = {}): RevBlob[] {
  const run = { cwd: top, ...defined({ env: opts.env }) }
  if (opts.paths && !opts.paths.length) return []
  const only = opts.paths ? new Set(opts.paths) : undefined
  const listing = git(['ls-tree', '-r', '-z', '-l', '--full-tree', commit], run)
  const wanted: { path: string; blob: string }[] = []
  for (const entry of listing.toString('utf8').split('\0')) {
    const tab = entry.indexOf('\t')
    if (tab < 0) continue
    const [mode, type, blob, size] = entry.slice(0, tab).split(/\s+/)
    if (type !== 'blob' || mode === '120000' || !blob || Number(size) > MAX_BLOB) continue
    const path = entry.slice(tab + 1)
    if (!only || only.has(path)) wanted.push({ path, blob })
  }
  const out: RevBlob[] = []
  for (let i = 0; i < wanted.length; i += CHUNK) {
    const part = wanted.slice(i, i + CHUNK)
    const got = catFileBatch(part.map((w) => w.blob), run)
    for (const w of part) {
      const bytes = got.get(w.blob)
      if (bytes && bytes.indexOf('sops') >= 0) out.push({ path: w.path, bytes })
    }
  }
  return out
}
