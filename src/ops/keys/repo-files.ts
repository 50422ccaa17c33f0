/**
 * `--all`: the encrypted files of a repository. Inside git: `git ls-files` (tracked
 * plus untracked-but-not-ignored) from the top folder; elsewhere a walk of the
 * working folder skipping `node_modules` and `.git`. Kept: files that parse as
 * sops-encrypted and (unless told otherwise) that a creation rule covers.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { formatForPath, type FormatName } from '../../formats/index.js'
import { loadConfigFor, matchRule } from '../../config/rules.js'
import type { Metadata } from '../../core/metadata.js'
import type { Tree } from '../../core/tree.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import { git, gitTopLevel } from './exposure.js'
import { defined } from '../../defined.js'

export interface RepoFile {
  /** Relative to the working folder. */
  path: string
  abs: string
  format: FormatName
  /** The parsed encrypted file (no keys were needed). */
  tree: Tree
  metadata: Metadata
}

export interface ListOptions {
  env?: NodeJS.ProcessEnv
  configPath?: string
  /** Keep only files a creation rule covers (default true). */
  requireRule?: boolean
}

/** Files a sops file cannot be: atomic-write temp files, huge files. */
const TEMP_RE = /^\..+\.[0-9a-f]{12}\.tmp$/
const MAX_FILE = 16 * 1024 * 1024
const SKIP_DIRS = new Set(['node_modules', '.git'])

function walk(dir: string, out: string[]): void {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const name of names.sort()) {
    const p = join(dir, name)
    let st
    try { st = lstatSync(p) } catch { continue }
    if (st.isDirectory()) { if (!SKIP_DIRS.has(name)) walk(p, out) } else if (st.isFile()) out.push(p)
  }
}

async function candidates(cwd: string, env?: NodeJS.ProcessEnv): Promise<string[]> {
  const top = await gitTopLevel(cwd, env)
  if (top) {
    try {
      const raw = (await git(['ls-files', '-z', '--cached', '--others', '--exclude-standard'], top, defined({ env }))).toString('utf8')
      return [...new Set(raw.split('\0').filter(Boolean).map((p) => resolve(top, p)))].sort()
    } catch { /* fall back to a walk */ }
  }
  const out: string[] = []
  walk(resolve(cwd), out)
  return out
}

function covered(abs: string, opts: ListOptions): boolean {
  try {
    const cfg = loadConfigFor(abs, defined({ explicit: opts.configPath, env: opts.env }))
    return !!cfg && matchRule(cfg, abs) !== null
  } catch {
    return false
  }
}

/** Lists the repository's encrypted files (sorted by path). */
export async function listRepoFiles(cwd: string, opts: ListOptions = {}): Promise<RepoFile[]> {
  const out: RepoFile[] = []
  for (const abs of await candidates(cwd, opts.env)) {
    const name = abs.slice(abs.lastIndexOf('/') + 1)
    if (TEMP_RE.test(name)) continue
    let bytes: Buffer
    try {
      const st = lstatSync(abs)
      if (!st.isFile() || st.size > MAX_FILE) continue
      bytes = readFileSync(abs)
    } catch {
      continue
    }
    if (bytes.indexOf('sops') < 0) continue
    if (opts.requireRule !== false && !covered(abs, opts)) continue
    const format = formatForPath(abs)
    try {
      const { tree, metadata } = await parseEncrypted(bytes, format)
      out.push({ path: relative(cwd, abs) || name, abs, format, tree, metadata })
    } catch {
      continue // not a sops file
    }
  }
  return out
}
