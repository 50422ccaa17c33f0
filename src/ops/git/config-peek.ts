/**
 * A look at git config files without starting git, for the one question textconv and the merge
 * driver ask on every call (git starts one process per file): are our driver entries set? It reads
 * the repository's config (found from the folder upwards, or $GIT_DIR) and the user's global
 * config, with a parser of just sections and keys. It can only answer "both set": anything it
 * does not follow (includes, system config, `-c`, a key on a header line, an odd file) makes it
 * answer "unknown", and the caller asks git itself. Nothing read here is run or changes what
 * runs: the answer only decides whether a one-line notice is looked for.
 */
import { readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'

/** The git dir of the repository holding `cwd`, and its common dir (linked worktrees), or undefined. */
function gitDirs(cwd: string, env: NodeJS.ProcessEnv): string[] | undefined {
  let gitDir: string | undefined
  if (env.GIT_DIR) gitDir = resolve(cwd, env.GIT_DIR)
  else {
    for (let dir = resolve(cwd); ; dir = dirname(dir)) {
      const dotGit = join(dir, '.git')
      try {
        const st = statSync(dotGit)
        if (st.isDirectory()) gitDir = dotGit
        else {
          const m = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'))
          if (!m) return undefined
          gitDir = resolve(dir, m[1]!.trim())
        }
        break
      } catch { /* not here */ }
      if (dirname(dir) === dir) return undefined
    }
  }
  let common: string | undefined
  try { common = resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim()) } catch { /* not a linked worktree */ }
  return common ? [gitDir, common] : [gitDir]
}

const SECTION = /^\s*\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\\n]|\\.)*)")?\s*\]\s*(?:[#;].*)?$/
const KEY = /^\s*([A-Za-z][A-Za-z0-9-]*)\s*=\s*(\S.*)$/

/** `section.subsection.key` (section and key lower-cased) of every key with a non-empty value in one config file, with its last value as written. */
export function configEntries(text: string): Map<string, string> {
  const out = new Map<string, string>()
  let section: string | undefined
  for (const line of text.split(/\r?\n/)) {
    const s = SECTION.exec(line)
    if (s) {
      const [name, sub] = [s[1]!.toLowerCase(), s[2]]
      // `[diff.sops-like]` is the old spelling of `[diff "sops-like"]`
      section = sub !== undefined ? `${name}.${sub.replace(/\\(.)/g, '$1')}` : name
      continue
    }
    if (line.trimStart().startsWith('[')) section = undefined // a header we do not follow
    const k = KEY.exec(line)
    if (k && section !== undefined) out.set(`${section}.${k[1]!.toLowerCase()}`, k[2]!)
  }
  return out
}

/** The keys of configEntries. */
export const configKeys = (text: string): Set<string> => new Set(configEntries(text).keys())

/** The config files read for `dirs` (repository, then the user's global ones). */
function configFiles(dirs: string[], env: NodeJS.ProcessEnv): string[] {
  const files = dirs.map((d) => join(d, 'config'))
  const home = env.HOME ?? homedir()
  if (env.GIT_CONFIG_GLOBAL !== undefined) files.push(env.GIT_CONFIG_GLOBAL)
  else files.push(join(env.XDG_CONFIG_HOME || join(home, '.config'), 'git', 'config'), join(home, '.gitconfig'))
  return files
}

/** Every key with a value in `files` (unreadable files skipped; a later file's value wins). */
function entriesIn(files: string[]): Map<string, string> {
  const found = new Map<string, string>()
  for (const f of files) {
    let text: string
    try { text = readFileSync(f, 'utf8') } catch { continue }
    for (const [k, v] of configEntries(text)) found.set(k, v)
  }
  return found
}

/**
 * True when every one of `keys` (e.g. `diff.sops-like.textconv`) has a value in the repository's
 * or the user's global git config files; undefined when that cannot be told without git.
 */
export function keysSetInConfigFiles(keys: readonly string[], cwd: string, env: NodeJS.ProcessEnv): true | undefined {
  const dirs = gitDirs(cwd, env)
  if (!dirs) return undefined
  const found = entriesIn(configFiles(dirs, env))
  return keys.every((k) => found.has(k)) ? true : undefined
}

/** A plain repository as git would find it from a folder, told without git (see peekRepository). */
export interface PeekedRepository {
  /** The work tree's top folder (the folder holding `.git`). */
  root: string
  /** Its `.git` folder. */
  gitDir: string
  /** Keys with a value in the repository's or the user's global config files: set for sure; a key absent here may still be set elsewhere. */
  keys: Set<string>
}

/**
 * The repository holding `cwd` when it is the plain case: found upwards as a `.git` folder (no
 * $GIT_DIR or $GIT_WORK_TREE, no `.git` file, not a linked worktree, no core.worktree or
 * core.bare, not inside the git dir), so its top folder and git dir are what `git rev-parse`
 * would say. Undefined otherwise, or outside a repository: the caller asks git.
 */
export function peekRepository(cwd: string, env: NodeJS.ProcessEnv): PeekedRepository | undefined {
  if (env.GIT_DIR !== undefined || env.GIT_WORK_TREE !== undefined) return undefined
  const dirs = gitDirs(cwd, env)
  if (!dirs || dirs.length !== 1) return undefined
  const gitDir = dirs[0]!
  // inside the git dir itself there is no work tree; git skips a `.git` folder without HEAD
  const inside = relative(gitDir, resolve(cwd))
  if (!inside.startsWith('..') && !isAbsolute(inside)) return undefined
  try {
    if (!statSync(gitDir).isDirectory() || basename(gitDir) !== '.git' || !statSync(join(gitDir, 'HEAD')).isFile()) return undefined
  } catch {
    return undefined
  }
  const entries = entriesIn(configFiles(dirs, env))
  const bare = entries.get('core.bare')
  if (entries.has('core.worktree') || (bare !== undefined && !/^(false|no|off|0)\s*([#;].*)?$/i.test(bare))) return undefined
  return { root: dirname(gitDir), gitDir, keys: new Set(entries.keys()) }
}
