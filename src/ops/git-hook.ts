/**
 * `git hook install`: a pre-commit hook that runs `sops-like check --staged`.
 * An existing hook is kept: it is renamed to `pre-commit.local` and our hook runs
 * it first (its failure still blocks the commit). Idempotent: a hook that already
 * carries our marker is left as it is.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { WriteError } from '../errors.js'
import { writeFileAtomic } from '../io/atomic-write.js'
import { git, type GitRunOptions } from './git-exec.js'

export const HOOK_MARKER = '# sops-like pre-commit guard'

export interface HookInstallOptions {
  cwd: string
  env?: NodeJS.ProcessEnv
  /** The command the hook runs (default `sops-like`). */
  command?: string
}

export interface HookInstallResult {
  path: string
  action: 'installed' | 'chained' | 'unchanged'
  /** Where the previous hook now lives (action `chained`). */
  previous?: string
}

/** The hook script. */
export function hookScript(command = 'sops-like'): string {
  return [
    '#!/bin/sh',
    `${HOOK_MARKER} (installed by: sops-like git hook install)`,
    '# An older pre-commit hook, if any, was moved to pre-commit.local and runs first.',
    'hook_dir=$(dirname "$0")',
    'if [ -x "$hook_dir/pre-commit.local" ]; then',
    '  "$hook_dir/pre-commit.local" "$@" || exit $?',
    'fi',
    `exec ${command} check --staged`,
    '',
  ].join('\n')
}

/** Installs (or chains) the pre-commit hook of the repository containing `cwd`. */
export function installPreCommitHook(opts: HookInstallOptions): HookInstallResult {
  const o: GitRunOptions = { cwd: opts.cwd, ...(opts.env ? { env: opts.env } : {}) }
  const rel = git(['rev-parse', '--git-path', 'hooks/pre-commit'], o).toString('utf8').trim()
  const path = resolve(opts.cwd, rel)
  const local = `${path}.local`
  const script = Buffer.from(hookScript(opts.command), 'utf8')
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true })
    writeFileAtomic(path, script, { mode: 0o755 })
    chmodSync(path, 0o755)
    return { path, action: 'installed' }
  }
  const current = readFileSync(path, 'utf8')
  if (current.includes(HOOK_MARKER)) return { path, action: 'unchanged' }
  if (existsSync(local)) throw new WriteError(`${path} exists and so does ${local}: merge them by hand, then add: ${opts.command ?? 'sops-like'} check --staged`)
  try {
    renameSync(path, local) // its mode is kept: a disabled (non-executable) hook stays disabled
  } catch (e) {
    throw new WriteError(`cannot move ${path} to ${local} (${(e as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  writeFileAtomic(path, script, { mode: 0o755 })
  chmodSync(path, 0o755)
  return { path, action: 'chained', previous: local }
}
