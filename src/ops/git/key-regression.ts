/**
 * `check --since REV` (run by the post-merge and post-rewrite hooks with ORIG_HEAD):
 * finds encrypted files whose keys went backwards in the commits that REV..HEAD
 * brought in — a merge or rebase done without the merge driver (a clone without
 * `git setup`, `-X ours`, `git checkout --ours`) that re-lists an offboarded person
 * or puts back the data key from before a rotation. Needs no key: it compares the
 * recipients and the wrapped data keys (`enc`) in the files' metadata.
 *
 * For every commit C in REV..HEAD that changed a sops file F, with parents P…:
 * the base B is F at merge-base(P1, P2) for a merge, and F at merge-base(P, REV)
 * otherwise (what P's line did since it left REV's; for a rebased commit that is
 * the upstream's changes, for a commit REV already had below it nothing). Then:
 * - recipient back: a recipient of B that some parent P no longer lists (P removed
 *   it) is listed by F at C, and still by F at HEAD;
 * - data key back: some parent P rotated (no wrapped key of P's is one of B's) and
 *   F at C still carries one of B's wrapped keys, and so does F at HEAD.
 * A regression a later commit already fixed is not reported. Known limit: re-adding
 * on purpose someone removed in the same range is reported too (harmless to confirm).
 *
 * `merging` (pre-commit when it concludes a conflicted merge): the same rules for the
 * staged result against HEAD and MERGE_HEAD, so a conflict resolved by taking the
 * stale side (`git checkout --ours`) is stopped before it is committed.
 */
import { formatForPath } from '../../formats/index.js'
import type { Metadata } from '../../core/metadata.js'
import { UsageError } from '../../errors.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import { catFileBatch, git, repoRoot, runGit, type GitRunOptions } from '../../io/git-exec.js'
import { refOfEntry, sameRecipient, showRef, type RecipientRef } from '../keys/recipient-diff.js'
import { defined } from '../../defined.js'

export interface KeyRegressionOptions {
  /** The revision the check starts after (the post-merge and post-rewrite hooks pass ORIG_HEAD). */
  since?: string
  /** Instead: the staged result of the merge in progress, against HEAD and MERGE_HEAD. */
  merging?: boolean
  /** Only these files (paths relative to `cwd`); default: every sops file at HEAD. */
  files?: string[]
  cwd?: string
  env?: NodeJS.ProcessEnv
}

export interface KeyRegression {
  /** Path relative to the repository's top folder. */
  file: string
  kind: 'recipient-back' | 'key-back'
  /** The commit that brought it back (full id; '' for the staged merge result). */
  commit: string
  recipient?: RecipientRef
  /** One line: the file, what went back, and the command that fixes it. */
  message: string
}

export interface KeyRegressionReport {
  /** Commits in since..HEAD (0 with `merging`). */
  commits: number
  /** Sops files looked at. */
  files: string[]
  problems: KeyRegression[]
  /** With `merging`: no merge is in progress (nothing was compared). */
  noMerge?: boolean
}

interface Keys { recipients: RecipientRef[]; wrapped: Set<string> }

const short = (c: string): string => c.slice(0, 10)
const lines = (b: Buffer): string[] => b.toString('utf8').split('\n').filter(Boolean)

/** Object ids of many `REV:PATH` specs in one `git cat-file --batch-check` (absent: undefined). */
function objectIds(specs: string[], o: GitRunOptions): Map<string, string> {
  const out = new Map<string, string>()
  const todo = [...new Set(specs)].filter((s) => !s.includes('\n'))
  if (!todo.length) return out
  const res = lines(git(['cat-file', '--batch-check=%(objectname) %(objecttype)'], { ...o, input: todo.map((s) => `${s}\n`).join('') }))
  todo.forEach((s, i) => {
    const [id, type] = (res[i] ?? '').split(' ')
    if (type === 'blob' && id) out.set(s, id)
  })
  return out
}

/** Blob contents by id, one `git cat-file --batch`. */
const blobs = (ids: string[], o: GitRunOptions): Map<string, Buffer> => catFileBatch(ids, o)

const keysOf = (md: Metadata): Keys => ({
  recipients: md.keyGroups.flat().map(refOfEntry),
  wrapped: new Set(md.keyGroups.flat().map((e) => (e.fields.enc ?? '').replace(/\s+/g, '')).filter(Boolean)),
})
const lists = (k: Keys, r: RecipientRef): boolean => k.recipients.some((x) => sameRecipient(x, r))
const shares = (a: Keys, b: Keys): boolean => [...a.wrapped].some((w) => b.wrapped.has(w))

function fixFor(file: string, r?: RecipientRef): string {
  if (!r) return `sops-like rotate ${file}`
  if (r.type === 'age') return `sops-like rotate --rm-age ${r.id} ${file}`
  if (r.type === 'pgp') return `sops-like rotate --rm-pgp ${r.id} ${file}`
  return `sops-like updatekeys ${file} (after removing ${r.type} ${r.id} from its creation rule)`
}

/** One version of a file to judge: F at `commit` ('' = the index) against its parents and base. */
interface Step { commit: string; parents: string[]; file: string; base: string | null }

/** The sops files (the files asked for, or every file mentioning sops at `rev`; '' = the index). */
async function sopsFiles(rev: string, opts: KeyRegressionOptions, root: string, o: GitRunOptions): Promise<string[]> {
  if (opts.files?.length) {
    const { relative, resolve } = await import('node:path')
    return opts.files.map((f) => relative(root, resolve(opts.cwd ?? process.cwd(), f)).split('\\').join('/'))
  }
  const g = runGit(['grep', '-l', '-z', '-I', '-F', ...(rev ? [] : ['--cached']), 'sops', ...(rev ? [rev] : []), '--'], o)
  return g.status === 0 ? g.stdout.toString('utf8').split('\0').filter(Boolean).map((s) => (rev ? s.slice(rev.length + 1) : s)) : []
}

/** Applies the two rules to every step; `final` is the state that must still show the regression ('' = the index). */
async function judge(steps: Step[], final: string, ids: Map<string, string>, o: GitRunOptions, after: string): Promise<{ problems: KeyRegression[]; files: string[] }> {
  const more = objectIds(steps.flatMap((t) => [t.base ? `${t.base}:${t.file}` : '', `${final}:${t.file}`, `${t.commit}:${t.file}`, ...t.parents.map((p) => `${p}:${t.file}`)]).filter((x) => x && !ids.has(x)), o)
  for (const [k, v] of more) ids.set(k, v)
  const id = (r: string | null, f: string) => (r === null ? undefined : ids.get(`${r}:${f}`))
  const needed = new Set<string>()
  for (const t of steps) for (const r of [t.commit, ...t.parents, t.base, final]) { const x = id(r, t.file); if (x) needed.add(x) }
  const contents = blobs([...needed], o)
  const parsed = new Map<string, Keys | null>()
  const keysAt = async (r: string | null, f: string): Promise<Keys | null> => {
    const x = id(r, f)
    if (!x) return null
    if (!parsed.has(x)) {
      try {
        parsed.set(x, keysOf((await parseEncrypted(contents.get(x) ?? Buffer.alloc(0), formatForPath(f))).metadata))
      } catch {
        parsed.set(x, null) // not a sops file (or not one at this version)
      }
    }
    return parsed.get(x)!
  }
  const problems: KeyRegression[] = []
  const seen = new Set<string>()
  const checked = new Set<string>()
  const where = (c: string) => (c ? `commit ${short(c)}` : 'the staged merge result')
  for (const t of steps) {
    const [result, base, head] = [await keysAt(t.commit, t.file), await keysAt(t.base, t.file), await keysAt(final, t.file)]
    if (!result || !base || !head) continue
    checked.add(t.file)
    for (const p of t.parents) {
      const side = await keysAt(p, t.file)
      if (!side) continue
      for (const r of base.recipients) {
        if (lists(side, r) || !lists(result, r) || !lists(head, r)) continue
        const key = `r ${t.file} ${r.type} ${r.id}`
        if (seen.has(key)) continue
        seen.add(key)
        problems.push({
          file: t.file, kind: 'recipient-back', commit: t.commit, recipient: r,
          message: `${t.file}: ${showRef(r)} can read it again: ${where(t.commit)} lists this recipient, which ${short(p)} had removed (a merge or rebase without the sops-like merge driver?); run ${fixFor(t.file, r)}, then ${after}`,
        })
      }
      const rotated = side.wrapped.size > 0 && !shares(side, base)
      const key = `k ${t.file}`
      if (rotated && shares(result, base) && shares(head, base) && !seen.has(key)) {
        seen.add(key)
        problems.push({
          file: t.file, kind: 'key-back', commit: t.commit,
          message: `${t.file}: its data key went back to the one from before the rotation in ${short(p)} (${where(t.commit)}); run ${fixFor(t.file)}, then ${after}`,
        })
      }
    }
  }
  // `rotate --rm-…` also replaces the data key: one fix per file is enough
  const back = new Set(problems.filter((p) => p.kind === 'recipient-back').map((p) => p.file))
  return { problems: problems.filter((p) => p.kind === 'recipient-back' || !back.has(p.file)), files: [...checked] }
}

const mergeBase = (a: string, b: string, o: GitRunOptions): string | null => {
  const r = runGit(['merge-base', a, b], o)
  return r.status === 0 ? r.stdout.toString('utf8').trim() : null
}

/**
 * Finds key regressions in since..HEAD (see module doc), or with `merging` in the staged
 * result of the merge in progress (against HEAD and MERGE_HEAD: what pre-commit and
 * runs it while MERGE_HEAD exists). Throws UsageError outside a repository or for an unknown revision.
 */
export async function checkKeyRegressions(opts: KeyRegressionOptions): Promise<KeyRegressionReport> {
  const o0: GitRunOptions = { cwd: opts.cwd ?? process.cwd(), ...defined({ env: opts.env }) }
  const root = repoRoot(o0)
  const o: GitRunOptions = { ...o0, cwd: root }
  const verify = (r: string): string | null => {
    const v = runGit(['rev-parse', '--verify', '-q', `${r}^{commit}`], o)
    return v.status === 0 ? v.stdout.toString('utf8').trim() : null
  }
  if (opts.merging) {
    const head = verify('HEAD')
    const theirs = verify('MERGE_HEAD')
    if (!head || !theirs) return { commits: 0, files: [], problems: [], noMerge: true }
    const base = mergeBase(head, theirs, o)
    const files = await sopsFiles('', opts, root, o)
    const steps = files.map((file) => ({ commit: '', parents: [head, theirs], file, base }))
    const r = await judge(steps, '', new Map(), o, 'git add it and commit')
    return { commits: 0, ...r }
  }
  const rev = verify(opts.since ?? '')
  if (!rev) throw new UsageError(`check --since: ${opts.since ?? ''} is not a commit here`)
  const commits = lines(git(['rev-list', '--parents', `${rev}..HEAD`], o)).map((l) => l.split(' '))
  const report: KeyRegressionReport = { commits: commits.length, files: [], problems: [] }
  if (!commits.length) return report
  const files = await sopsFiles('HEAD', opts, root, o)
  if (!files.length) return report

  // which commits changed which file (blob differs from a parent's)
  const revs = new Set<string>(['HEAD'])
  for (const c of commits) for (const x of c) revs.add(x)
  const ids = objectIds([...revs].flatMap((r) => files.map((f) => `${r}:${f}`)), o)
  const bases = new Map<string, string | null>()
  const baseOf = (parents: string[]): string | null => {
    // a merge: its own sides' base; one parent: what that parent's line did since it left REV's
    const pair = parents.length >= 2 ? [parents[0]!, parents[1]!] : parents.length === 1 ? [parents[0]!, rev] : null
    if (!pair) return null
    const key = pair.join(' ')
    if (!bases.has(key)) bases.set(key, mergeBase(pair[0]!, pair[1]!, o))
    return bases.get(key)!
  }
  const steps: Step[] = []
  for (const [c, ...parents] of commits) {
    for (const f of files) {
      const here = ids.get(`${c}:${f}`)
      if (here && parents.some((p) => ids.get(`${p}:${f}`) !== here)) steps.push({ commit: c!, parents, file: f, base: baseOf(parents) })
    }
  }
  const r = await judge(steps, 'HEAD', ids, o, 'commit and push')
  return { ...report, ...r }
}
