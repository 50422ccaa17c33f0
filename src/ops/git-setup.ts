/**
 * `git setup`: one command to make git show decrypted diffs and merge encrypted
 * files key by key. Adds `<glob> diff=sops-like merge=sops-like` lines to
 * `.gitattributes` (globs derived from the creation rules' `path_regex`, plus
 * `--pattern`s) and the driver entries to git config. Idempotent. Never sets
 * `diff.sops-like.cachetextconv` (that would store decrypted text inside `.git`);
 * if it finds one set, it removes it and the cached notes.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { findConfig } from '../config/find.js'
import { loadConfigFile } from '../config/rules.js'
import { writeFileAtomic } from '../io/atomic-write.js'
import { WriteError } from '../errors.js'
import { git, gitConfigGet, repoRoot, runGit, type GitRunOptions } from './git-exec.js'
import { regexToGlobs } from './regex-glob.js'

/** The driver name used in `.gitattributes` and git config. */
export const DRIVER = 'sops-like'

export interface GitSetupOptions {
  /** Folder to run in (inside the repository). */
  cwd: string
  env?: NodeJS.ProcessEnv
  /** Write the driver config to the global git config and the patterns to the global attributes file. */
  global?: boolean
  /** Extra glob patterns (for rules whose regex cannot be turned into a glob). */
  patterns?: string[]
  /** The command git runs (default `sops-like`); written as `<command> textconv` and `<command> git merge …`. */
  command?: string
  /** Config file (default: found upwards from `cwd`). */
  configPath?: string
}

export interface GitSetupResult {
  /** One line per change made. */
  changes: string[]
  /** Rules whose path_regex could not become a glob, with the reason. */
  skipped: string[]
  /** Notes (no patterns, cachetextconv set elsewhere, …). */
  notes: string[]
  attributesFile: string
  globs: string[]
}

/** The git config entries the drivers need, for a given command. */
export function driverConfig(command = DRIVER): Array<[string, string]> {
  return [
    [`diff.${DRIVER}.textconv`, `${command} textconv`],
    [`merge.${DRIVER}.name`, 'sops-like: merge encrypted files key by key'],
    [`merge.${DRIVER}.driver`, `${command} git merge %O %A %B %P`],
  ]
}

const ATTRS = `diff=${DRIVER} merge=${DRIVER}`

function globalAttributesFile(o: GitRunOptions): string {
  const env = o.env ?? process.env
  const home = env.HOME ?? ''
  const set = gitConfigGet('core.attributesFile', o, '--global')
  if (set) return set.startsWith('~/') ? join(home, set.slice(2)) : resolve(o.cwd, set)
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'git', 'attributes')
}

/** Globs for the creation rules of the config that applies in `cwd`. */
function ruleGlobs(opts: GitSetupOptions, root: string | undefined, out: GitSetupResult): string[] {
  const env = opts.env ?? process.env
  const { path } = findConfig(opts.cwd, { ...(opts.configPath ? { explicit: resolve(opts.cwd, opts.configPath) } : {}), env })
  if (!path) {
    out.notes.push('no .sops-like.yaml or .sops.yaml found: only --pattern globs are used')
    return []
  }
  const cfg = loadConfigFile(path)
  let prefix = ''
  let outside = false
  if (root) {
    const rel = relative(root, cfg.dir)
    if (rel.startsWith('..') || isAbsolute(rel)) outside = true
    else prefix = rel.split(sep).join('/')
  }
  const globs: string[] = []
  for (const r of cfg.creationRules) {
    const where = `creation_rules[${r.index}].path_regex ${JSON.stringify(r.pathRegex ?? '')}`
    if (outside && r.pathRegex?.startsWith('^')) { out.skipped.push(`${where}: the config is outside the repository; use --pattern GLOB`); continue }
    const g = regexToGlobs(r.pathRegex ?? '', prefix)
    if ('error' in g) out.skipped.push(`${where}: ${g.error}; use --pattern GLOB`)
    else globs.push(...g.globs)
  }
  return globs
}

function hasLine(lines: string[], glob: string): boolean {
  return lines.some((l) => {
    const [pat, ...attrs] = l.trim().split(/\s+/)
    return pat === glob && attrs.includes(`diff=${DRIVER}`) && attrs.includes(`merge=${DRIVER}`)
  })
}

/** Sets up `.gitattributes` and git config; returns what changed (nothing on a second run). */
export function gitSetup(opts: GitSetupOptions): GitSetupResult {
  const o: GitRunOptions = { cwd: opts.cwd, ...(opts.env ? { env: opts.env } : {}) }
  const root = opts.global ? runGitRoot(o) : repoRoot(o)
  const attributesFile = opts.global ? globalAttributesFile(o) : join(root!, '.gitattributes')
  const out: GitSetupResult = { changes: [], skipped: [], notes: [], attributesFile, globs: [] }
  const globs = [...new Set([...ruleGlobs(opts, opts.global ? undefined : root, out), ...(opts.patterns ?? [])])]
  out.globs = globs
  if (!globs.length) out.notes.push('no file patterns: nothing added to the attributes file (pass --pattern GLOB)')

  // .gitattributes
  const shown = opts.global ? attributesFile : relative(opts.cwd, attributesFile) || attributesFile
  const text = existsSync(attributesFile) ? readFileSync(attributesFile, 'utf8') : ''
  const lines = text.split(/\r?\n/)
  const add = globs.filter((g) => !hasLine(lines, g))
  if (add.length) {
    const body = (text && !text.endsWith('\n') ? text + '\n' : text) + add.map((g) => `${g} ${ATTRS}\n`).join('')
    try { mkdirSync(dirname(attributesFile), { recursive: true }) } catch { /* reported by the write */ }
    writeFileAtomic(attributesFile, Buffer.from(body, 'utf8'))
    for (const g of add) out.changes.push(`added to ${shown}: ${g} ${ATTRS}`)
  }

  // git config
  const scope = opts.global ? '--global' : '--local'
  for (const [key, value] of driverConfig(opts.command)) {
    if (gitConfigGet(key, o, scope) === value) continue
    git(['config', scope, key, value], o, (d) => new WriteError(`cannot set git config ${key}: ${d}`))
    out.changes.push(`git config ${scope} ${key} = ${value}`)
  }
  const cacheKey = `diff.${DRIVER}.cachetextconv`
  if (gitConfigGet(cacheKey, o, scope) !== undefined) {
    git(['config', scope, '--unset-all', cacheKey], o, (d) => new WriteError(`cannot unset git config ${cacheKey}: ${d}`))
    out.changes.push(`removed git config ${scope} ${cacheKey} (it caches decrypted text inside .git)`)
  } else if (gitConfigGet(cacheKey, o) !== undefined) {
    out.notes.push(`${cacheKey} is set in another git config scope: remove it, it caches decrypted text inside .git`)
  }
  if (root && runGit(['show-ref', '--verify', '--quiet', `refs/notes/textconv/${DRIVER}`], o).status === 0) {
    git(['update-ref', '-d', `refs/notes/textconv/${DRIVER}`], o)
    out.changes.push(`deleted refs/notes/textconv/${DRIVER} (cached decrypted text)`)
  }
  return out
}

/** The repository root when `cwd` is in one (for --global: optional). */
function runGitRoot(o: GitRunOptions): string | undefined {
  const r = runGit(['rev-parse', '--show-toplevel'], o)
  return r.status === 0 ? r.stdout.toString('utf8').trim() : undefined
}
