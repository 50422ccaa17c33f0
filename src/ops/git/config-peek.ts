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
import { dirname, join, resolve } from 'node:path'

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

/** `section.subsection.key` (section and key lower-cased) of every key with a non-empty value in one config file. */
export function configKeys(text: string): Set<string> {
  const out = new Set<string>()
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
    if (k && section !== undefined) out.add(`${section}.${k[1]!.toLowerCase()}`)
  }
  return out
}

/**
 * True when every one of `keys` (e.g. `diff.sops-like.textconv`) has a value in the repository's
 * or the user's global git config files; undefined when that cannot be told without git.
 */
export function keysSetInConfigFiles(keys: readonly string[], cwd: string, env: NodeJS.ProcessEnv): true | undefined {
  const dirs = gitDirs(cwd, env)
  if (!dirs) return undefined
  const files = dirs.map((d) => join(d, 'config'))
  const home = env.HOME ?? homedir()
  if (env.GIT_CONFIG_GLOBAL !== undefined) files.push(env.GIT_CONFIG_GLOBAL)
  else files.push(join(env.XDG_CONFIG_HOME || join(home, '.config'), 'git', 'config'), join(home, '.gitconfig'))
  const found = new Set<string>()
  for (const f of files) {
    let text: string
    try { text = readFileSync(f, 'utf8') } catch { continue }
    for (const k of configKeys(text)) found.add(k)
  }
  return keys.every((k) => found.has(k)) ? true : undefined
}
