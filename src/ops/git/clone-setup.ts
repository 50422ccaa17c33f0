/**
 * Is this clone set up? `.gitattributes` is committed, but the driver entries it names
 * (`diff.sops-like.textconv`, `merge.sops-like.driver`) live in each clone's (or the
 * user's) git config, which git never copies: a fresh clone then shows ciphertext in
 * `git diff` and puts `<<<<<<<` markers inside the `sops:` block on a merge. `check`,
 * `doctor`, `textconv` and the merge driver ask this module and print its one line.
 * Costs no git call when the entries the attributes name are in the repository's or the user's
 * config file (config-peek.ts reads them), nor while a notice printed less than a minute ago is
 * quiet; else one `git config` call when everything is set up.
 */
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { runGit, type GitRunOptions } from '../../io/git-exec.js'
import { keysSetInConfigFiles, peekRepository } from './config-peek.js'

const DRIVER = 'sops-like'
/** The entry each attribute needs in git config. */
const NEEDS: Array<[attr: string, key: string]> = [[`diff=${DRIVER}`, `diff.${DRIVER}.textconv`], [`merge=${DRIVER}`, `merge.${DRIVER}.driver`]]
/** How long a textconv/merge notice stays quiet after it was printed (git runs one process per file). */
const QUIET_MS = 60_000
/** The stamp file (in the git dir) of the last notice printed. */
const STAMP = 'sops-like-setup-notice'

function stampFresh(stamp: string): boolean {
  try {
    return Date.now() - statSync(stamp).mtimeMs < QUIET_MS
  } catch {
    return false // no stamp yet
  }
}

export interface CloneSetupGap {
  /** Repository top folder. */
  root: string
  /** Git config keys the attributes need and that are unset in every scope. */
  missing: string[]
  /** The command that fixes it. */
  fix: string
}

/** Our driver entries set in any git config scope. */
function configuredKeys(o: GitRunOptions): Set<string> | undefined {
  const r = runGit(['config', '--get-regexp', `^(diff|merge)\\.${DRIVER}\\.`], o)
  if (r.status !== 0 && r.status !== 1) return undefined // not git config's "nothing found"
  return new Set(r.stdout.toString('utf8').split('\n').map((l) => l.split(' ')[0]!.toLowerCase()).filter(Boolean))
}

/** Attribute lines of the repository naming our drivers (root `.gitattributes` and `info/attributes`). */
export function attributeLines(root: string, gitDir: string): string[] {
  const out: string[] = []
  for (const f of [join(root, '.gitattributes'), join(gitDir, 'info', 'attributes')]) {
    let text = ''
    try { text = readFileSync(f, 'utf8') } catch { continue }
    for (const l of text.split(/\r?\n/)) {
      const t = l.trim()
      if (!t || t.startsWith('#')) continue
      if (t.split(/\s+/).slice(1).some((a) => a === `diff=${DRIVER}` || a === `merge=${DRIVER}`)) out.push(t)
    }
  }
  return out
}

/** The repository's top folder and git dir (absolute), or undefined outside a work tree. */
export function repoDirs(o: GitRunOptions): { root: string; gitDir: string } | undefined {
  const r = runGit(['rev-parse', '--show-toplevel', '--git-dir'], o)
  if (r.status !== 0) return undefined
  const [root, gitDir] = r.stdout.toString('utf8').split('\n')
  if (!root || !gitDir) return undefined
  return { root, gitDir: resolve(o.cwd, gitDir) }
}

/** What this clone lacks for the drivers its attributes name (undefined when nothing, or outside a repository). */
export function cloneSetupGap(o: GitRunOptions): CloneSetupGap | undefined {
  const env = o.env ?? process.env
  // both entries found in the config files: set up, no git call (an unsure answer asks git below)
  if (keysSetInConfigFiles(NEEDS.map(([, k]) => k), o.cwd, env)) return undefined
  // a plain repository: the entries its attributes need are all found in the config files (often
  // just the diff driver), no git call either
  const peek = peekRepository(o.cwd, env)
  if (peek) {
    const lines = attributeLines(peek.root, peek.gitDir)
    if (NEEDS.every(([a, k]) => peek.keys.has(k) || !lines.some((l) => l.split(/\s+/).includes(a)))) return undefined
  }
  const have = configuredKeys(o)
  if (!have || NEEDS.every(([, k]) => have.has(k))) return undefined
  const dirs = repoDirs(o)
  if (!dirs) return undefined
  const lines = attributeLines(dirs.root, dirs.gitDir)
  const missing = NEEDS.filter(([a, k]) => !have.has(k) && lines.some((l) => l.split(/\s+/).includes(a))).map(([, k]) => k)
  if (!missing.length) return undefined
  const committedHooks = existsSync(join(dirs.root, '.githooks', 'pre-commit')) && runGit(['config', '--get', 'core.hooksPath'], o).status !== 0
  return { root: dirs.root, missing, fix: `sops-like git setup${committedHooks ? ' --hooks-path' : ''}` }
}

/** The one line to print, or undefined. */
export function cloneSetupNotice(o: GitRunOptions): string | undefined {
  const gap = cloneSetupGap(o)
  if (!gap) return undefined
  return `this clone is not set up: .gitattributes names sops-like's git drivers but git config lacks ${gap.missing.join(' and ')} (encrypted files diff as ciphertext and merge line by line): run \`${gap.fix}\` once in this clone`
}

/**
 * As cloneSetupNotice, for textconv and the merge driver, which git starts once per
 * file: prints at most once a minute per repository (a stamp file in the git dir).
 */
export function cloneSetupNoticeOnce(o: GitRunOptions): string | undefined {
  // printed less than a minute ago: nothing to say whatever the answer, and no git call to find out
  const peek = peekRepository(o.cwd, o.env ?? process.env)
  if (peek && stampFresh(join(peek.gitDir, STAMP))) return undefined
  const notice = cloneSetupNotice(o)
  if (!notice) return undefined
  const dirs = repoDirs(o)
  if (!dirs) return notice
  const stamp = join(dirs.gitDir, STAMP)
  if (stampFresh(stamp)) return undefined
  try { writeFileSync(stamp, ''); const now = new Date(); utimesSync(stamp, now, now) } catch { /* a read-only repository: print every time */ }
  return notice
}
