/**
 * Which encrypted files `run` (and `loadEnv`, `sops-like/config`) loads: the given
 * ones in order; else `run.files` from the config (relative to the config's folder);
 * else the conventional names that exist in the nearest folder that has any, from the
 * current folder up to the repository root (the folder holding `.sops-like.yaml`,
 * `.sops.yaml` or `.git`), so `run` works from a subfolder of the repository.
 */
import { existsSync, lstatSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { explicitConfig, findConfig } from '../../config/find.js'
import { FileNotFoundError } from '../../errors.js'
import { defined } from '../../defined.js'
import { isTrustedFolder } from '../../io/folder-trust.js'

/** Looked for, in this order, from the current folder up to the repository root, when neither `-f` nor `run.files` names a file. */
export const CONVENTIONAL_RUN_FILES: readonly string[] = [
  'secrets.enc.yaml',
  'secrets.enc.yml',
  'secrets.enc.json',
  'secrets.enc.env',
  '.env.enc',
  'secrets.enc.toml',
]

export interface RunFilesOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Config file to read `run.files` from (default: found upwards from `cwd`). */
  configPath?: string
}

export interface RunFiles {
  /** Absolute paths, in load order (later files win). */
  files: string[]
  /** Where the list came from. */
  source: 'given' | 'config' | 'conventional'
}

const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

const exists = (p: string): boolean => {
  try {
    lstatSync(p)
    return true
  } catch {
    return false
  }
}

/** A folder that ends the upward search: it holds a config file or is a git work tree's top. */
export const isRepoRoot = (dir: string): boolean => ['.sops-like.yaml', '.sops.yaml', '.git'].some((n) => exists(join(dir, n)))

/**
 * The conventional files of the nearest folder that has any, from `cwd` up to the repository
 * root (or the filesystem's root when `cwd` is in no repository), stopping below a folder others
 * can write (src/io/folder-trust.ts). Returns the folders searched too.
 */
export function findConventionalFiles(cwd: string): { files: string[]; searched: string[]; untrusted?: string } {
  const searched: string[] = []
  for (let dir = cwd; ; dir = dirname(dir)) {
    // a folder others can write (/tmp, another user's) ends the search: a planted file there would be loaded
    if (!isTrustedFolder(dir)) return { files: [], searched, untrusted: dir }
    searched.push(dir)
    const found = CONVENTIONAL_RUN_FILES.map((n) => join(dir, n)).filter(isFile)
    if (found.length) return { files: found, searched }
    if (isRepoRoot(dir) || dirname(dir) === dir) return { files: [], searched }
  }
}

/**
 * The files to load. Throws FileNotFoundError listing where it looked when no file
 * is given, the config names none, and no conventional file exists. The config reader
 * (and its YAML parser) is loaded only when no file is given: `run -f` starts faster.
 */
export async function resolveRunFiles(given: readonly string[] | undefined, opts: RunFilesOptions = {}): Promise<RunFiles> {
  const cwd = resolve(opts.cwd ?? process.cwd())
  if (given && given.length) return { files: given.map((f) => resolve(cwd, f)), source: 'given' }
  const cfg = findConfig(cwd, defined({ explicit: explicitConfig(cwd, opts.configPath), env: opts.env }))
  if (cfg.path) {
    const { loadConfigFile } = await import('../../config/rules.js')
    const config = loadConfigFile(cfg.path)
    if (config.run.files.length) return { files: config.run.files.map((f) => resolve(config.dir, f)), source: 'config' }
  }
  const { files: found, searched, untrusted } = findConventionalFiles(cwd)
  if (found.length) return { files: found, source: 'conventional' }
  const configNote = cfg.path ? `; ${cfg.path} has no run.files` : existsSync(cwd) ? '; no config file with run.files was found' : ''
  const where = searched.length > 1 ? `${cwd} and up to ${searched[searched.length - 1]}` : cwd
  const stop = untrusted ? `; ${untrusted} is writable by others or not yours, so no file there is loaded unless named` : ''
  throw new FileNotFoundError(`no secrets file to load: looked for ${CONVENTIONAL_RUN_FILES.join(', ')} in ${where}${configNote}${stop}`, {
    hint: 'name files with -f FILE or list them under run.files in .sops-like.yaml',
  })
}
