/**
 * `git setup`: one command to make git show decrypted diffs and merge encrypted
 * files key by key. Adds `<glob> diff=sops-like merge=sops-like` lines to
 * `.gitattributes` (globs derived from the creation rules' `path_regex`; for a
 * catch-all rule the secrets-file globs of coverage.ts; the config's `check.include`;
 * `--pattern`s) and the driver entries to git config. With `hooksPath`, also points
 * `core.hooksPath` at a committed folder (`.githooks`) holding the hooks (pre-commit, post-merge, post-rewrite), so
 * that a new clone needs this one command. Idempotent. Never sets
 * `diff.sops-like.cachetextconv` (that would store decrypted text inside `.git`);
 * if it finds one set, it removes it and the cached notes.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { explicitConfig, findConfig } from '../../config/find.js'
import { loadConfigFile } from '../../config/rules.js'
import { writeFileAtomic } from '../../io/atomic-write.js'
import { ConflictingOptionsError, UsageError, WriteError } from '../../errors.js'
import { catchAllGlobs } from './coverage.js'
import { installGitHooks } from './hook.js'
import { git, gitConfigGet, repoRoot, runGit, type GitRunOptions } from '../../io/git-exec.js'
import { regexToGlobs } from './regex-glob.js'
import { defined } from '../../defined.js'

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
  /** Keep hooks in this committed folder (relative to the repository root, e.g. `.githooks`) and set `core.hooksPath` to it. */
  hooksPath?: string
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
  /** For each catch-all rule: the globs it stands for (printed so that the user sees what is covered). */
  catchAll: string[]
  /** With `hooksPath`: the folder set as core.hooksPath (absolute). */
  hooksDir?: string
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
  const { path } = findConfig(opts.cwd, { ...defined({ explicit: explicitConfig(opts.cwd, opts.configPath) }), env })
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
  const place = (g: string): string => (!prefix ? g : g.includes('/') ? `${prefix}/${g.replace(/^\//, '')}` : `${prefix}/**/${g}`)
  const extra = cfg.check.include.map(place)
  for (const r of cfg.creationRules) {
    const where = `creation_rules[${r.index}].path_regex ${JSON.stringify(r.pathRegex ?? '')}`
    if (!r.pathRegex) {
      const cover = catchAllGlobs(cfg).map(place)
      globs.push(...cover)
      out.catchAll.push(`creation_rules[${r.index}] matches every file: .gitattributes covers the files named like secrets files (${[...new Set(cover)].join(' ')}; add more under check.include in the config)`)
      break // later rules never match
    }
    if (outside && r.pathRegex?.startsWith('^')) { out.skipped.push(`${where}: the config is outside the repository; use --pattern GLOB`); continue }
    const g = regexToGlobs(r.pathRegex ?? '', prefix)
    if ('error' in g) out.skipped.push(`${where}: ${g.error}; use --pattern GLOB`)
    else globs.push(...g.globs)
  }
  return [...globs, ...extra]
}

/** The globs `git setup` would put in the attributes file for `root` (with why some rules were skipped). */
export function plannedGlobs(opts: GitSetupOptions, root: string | undefined): { globs: string[]; skipped: string[]; catchAll: string[] } {
  const out: GitSetupResult = { changes: [], skipped: [], notes: [], attributesFile: '', globs: [], catchAll: [] }
  const globs = [...new Set([...ruleGlobs(opts, root, out), ...(opts.patterns ?? [])])]
  return { globs, skipped: out.skipped, catchAll: out.catchAll }
}

/** True when an attributes line gives `glob` both of our drivers. */
export function hasLine(lines: string[], glob: string): boolean {
  return lines.some((l) => {
    const [pat, ...attrs] = l.trim().split(/\s+/)
    return pat === glob && attrs.includes(`diff=${DRIVER}`) && attrs.includes(`merge=${DRIVER}`)
  })
}

/** Sets up `.gitattributes` and git config; returns what changed (nothing on a second run). */
export function gitSetup(opts: GitSetupOptions): GitSetupResult {
  const o: GitRunOptions = { cwd: opts.cwd, ...defined({ env: opts.env }) }
  if (opts.global && opts.hooksPath !== undefined) throw new ConflictingOptionsError('--hooks-path sets up one repository: use it without --global')
  const root = opts.global ? runGitRoot(o) : repoRoot(o)
  const attributesFile = opts.global ? globalAttributesFile(o) : join(root!, '.gitattributes')
  const out: GitSetupResult = { changes: [], skipped: [], notes: [], attributesFile, globs: [], catchAll: [] }
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
  if (opts.hooksPath !== undefined && root && !opts.global) setupHooksPath(opts.hooksPath, root, o, opts.command, out)
  else if (root && !opts.global && existsSync(join(root, DEFAULT_HOOKS_DIR, 'pre-commit')) && gitConfigGet('core.hooksPath', o) === undefined) {
    out.notes.push(`${DEFAULT_HOOKS_DIR}/pre-commit is committed but this clone does not use it: run sops-like git setup --hooks-path`)
  }
  return out
}

/** The committed hooks folder `git setup --hooks-path` uses by default. */
export const DEFAULT_HOOKS_DIR = '.githooks'

/**
 * Points core.hooksPath at a folder inside the work tree and installs the pre-commit
 * hook there (the installer asks git for the hooks path, so it follows). Refuses to
 * move hooks away from a core.hooksPath set to another folder (husky & co.): there,
 * `git hook install` adds ours to theirs.
 */
function setupHooksPath(dir: string, root: string, o: GitRunOptions, command: string | undefined, out: GitSetupResult): void {
  const rel = (dir || DEFAULT_HOOKS_DIR).replace(/\/+$/, '')
  const abs = resolve(root, rel)
  const inside = relative(root, abs)
  if (!inside || inside.startsWith('..') || isAbsolute(inside) || inside.split(sep)[0] === '.git') throw new UsageError(`--hooks-path ${rel}: give a folder inside the work tree (outside .git), e.g. ${DEFAULT_HOOKS_DIR}`)
  const value = inside.split(sep).join('/')
  const current = gitConfigGet('core.hooksPath', o)
  if (current !== undefined && resolve(root, current) !== abs) throw new UsageError(`core.hooksPath is already ${current}: run sops-like git hook install to add the guard there, or unset it first (git config --unset core.hooksPath)`)
  const old = resolve(root, git(['rev-parse', '--git-path', 'hooks'], o).toString('utf8').trim())
  if (current === undefined) {
    git(['config', '--local', 'core.hooksPath', value], o, (d) => new WriteError(`cannot set git config core.hooksPath: ${d}`))
    out.changes.push(`git config --local core.hooksPath = ${value} (hooks now come from the committed ${value}/ folder)`)
    for (const name of existsSync(old) ? readdirSync(old) : []) {
      if (!name.endsWith('.sample') && !existsSync(join(abs, name))) out.notes.push(`${relative(o.cwd, join(old, name)) || name} no longer runs (core.hooksPath is ${value}): move it into ${value}/ if you still want it`)
    }
  }
  out.hooksDir = abs
  // pre-commit (the guard), post-merge and post-rewrite (keys that a merge or rebase put back)
  // '' would be a hook that runs nothing: the default command instead
  for (const r of installGitHooks({ cwd: o.cwd, ...defined({ env: o.env, command: command || undefined }) })) {
    const shown = relative(o.cwd, r.path) || r.path
    if (r.action === 'installed') out.changes.push(`installed ${shown}: commit the ${value}/ folder; each clone then runs sops-like git setup --hooks-path once`)
    else if (r.action === 'chained') out.changes.push(`installed ${shown}; the previous hook moved to ${relative(o.cwd, r.previous!)} and runs first`)
  }
}

/** The repository root when `cwd` is in one (for --global: optional). */
function runGitRoot(o: GitRunOptions): string | undefined {
  const r = runGit(['rev-parse', '--show-toplevel'], o)
  return r.status === 0 ? r.stdout.toString('utf8').trim() : undefined
}
