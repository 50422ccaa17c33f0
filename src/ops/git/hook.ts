/**
 * `git hook install`: three hooks that run sops-like at the moments a secret can
 * go wrong in git:
 * - pre-commit: `sops-like check --staged` (plaintext, bad MAC, stale recipients),
 *   and when it concludes a conflicted merge `check --merging` (the staged result
 *   against both sides). Git's pre-merge-commit hook is not used: git 2.39 runs it
 *   before MERGE_HEAD exists, so the incoming side is unknown there;
 * - post-merge and post-rewrite (after a rebase): `sops-like check --since ORIG_HEAD`,
 *   which flags a file whose recipients or data key went backwards in what the merge
 *   or rebase brought in (see src/ops/git/key-regression.ts). They cannot undo anything,
 *   so they fail loudly and print the command that fixes each file.
 * An existing hook is kept: it is renamed to `NAME.local` and our hook runs it first
 * (for pre-commit its failure still blocks the commit). Idempotent: a hook that
 * already carries our marker is left as it is.
 * `git hook uninstall` undoes exactly that: it removes a hook only when it is exactly the
 * script we write (a foreign or hand-edited hook, or a link, is left and reported), and moves
 * `NAME.local` back.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { WriteError } from '../../errors.js'
import { writeFileAtomic } from '../../io/atomic-write.js'
import { git, type GitRunOptions } from '../../io/git-exec.js'
import { defined } from '../../defined.js'

export const HOOK_MARKER = '# sops-like pre-commit guard'

export type HookName = 'pre-commit' | 'post-merge' | 'post-rewrite'
export const HOOK_NAMES: readonly HookName[] = ['pre-commit', 'post-merge', 'post-rewrite']
const markerOf = (name: HookName): string => `# sops-like ${name} guard`

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
  hook?: HookName
}

const chain = (name: HookName, onFail: string): string[] => [
  `# An older ${name} hook, if any, was moved to ${name}.local and runs first.`,
  'hook_dir=$(dirname "$0")',
  'status=0',
  `if [ -x "$hook_dir/${name}.local" ]; then`,
  `  "$hook_dir/${name}.local" "$@" || ${onFail}`,
  'fi',
]

/** The script of one hook. */
export function hookScriptFor(name: HookName, command = 'sops-like'): string {
  const head = ['#!/bin/sh', `${markerOf(name)} (installed by: sops-like git hook install)`]
  const merging = [
    '# a merge in progress: its staged result must not re-list a removed recipient or an older data key',
    'if git rev-parse -q --verify MERGE_HEAD >/dev/null; then',
    `  ${command} check --merging >/dev/null || exit $?`,
    'fi',
  ]
  if (name === 'pre-commit') return [...head, ...chain(name, 'exit $?'), ...merging, '# quiet when all is well: problems and the failure go to stderr', `exec ${command} check --staged >/dev/null`, ''].join('\n')
  const only = name === 'post-merge'
    ? ['# a squash merge ($1 = 1) commits nothing yet', '[ "$1" = 1 ] && exit $status']
    : ['# only rebases: an amend leaves ORIG_HEAD as it was', '[ "$1" = rebase ] || exit $status']
  const what = name === 'post-merge' ? 'merge' : 'rebase'
  return [
    ...head,
    `# Flags encrypted files whose recipients or data key went backwards in this ${what}.`,
    `# Git has already made the ${what}: this hook cannot undo it, so it fails loudly and says what to run.`,
    ...chain(name, 'status=$?'),
    ...only,
    'git rev-parse -q --verify ORIG_HEAD >/dev/null || exit $status',
    `${command} check --since ORIG_HEAD >/dev/null`,
    'rc=$?',
    'if [ $rc -eq 40 ]; then',
    `  echo "sops-like: the ${what} above is done, but it put back keys that were removed: run the commands above, then commit and push" >&2`,
    '  exit 1',
    'elif [ $rc -ne 0 ]; then',
    `  echo "sops-like: could not check this ${what} for recipients or data keys that went backwards (exit $rc): run sops-like check --since ORIG_HEAD" >&2`,
    '  exit $rc',
    'fi',
    'exit $status',
    '',
  ].join('\n')
}

/** The pre-commit hook script. */
export const hookScript = (command = 'sops-like'): string => hookScriptFor('pre-commit', command)

/** Installs (or chains) one hook of the repository containing `cwd`. */
export function installHook(name: HookName, opts: HookInstallOptions): HookInstallResult {
  const o: GitRunOptions = { cwd: opts.cwd, ...defined({ env: opts.env }) }
  const rel = git(['rev-parse', '--git-path', `hooks/${name}`], o).toString('utf8').trim()
  const path = resolve(opts.cwd, rel)
  const local = `${path}.local`
  const script = Buffer.from(hookScriptFor(name, opts.command), 'utf8')
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true })
    writeFileAtomic(path, script, { mode: 0o755 })
    chmodSync(path, 0o755)
    return { path, action: 'installed', hook: name }
  }
  const current = readFileSync(path, 'utf8')
  if (current.includes(markerOf(name))) return { path, action: 'unchanged', hook: name }
  if (existsSync(local)) throw new WriteError(`${path} exists and so does ${local}: merge them by hand, then run sops-like git hook install again`)
  try {
    renameSync(path, local) // its mode is kept: a disabled (non-executable) hook stays disabled
  } catch (e) {
    throw new WriteError(`cannot move ${path} to ${local} (${(e as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  writeFileAtomic(path, script, { mode: 0o755 })
  chmodSync(path, 0o755)
  return { path, action: 'chained', previous: local, hook: name }
}

/** Installs (or chains) the pre-commit hook of the repository containing `cwd`. */
export const installPreCommitHook = (opts: HookInstallOptions): HookInstallResult => installHook('pre-commit', opts)

/** Installs every hook: pre-commit, post-merge, post-rewrite. */
export const installGitHooks = (opts: HookInstallOptions): HookInstallResult[] => HOOK_NAMES.map((n) => installHook(n, opts))

export interface HookUninstallResult {
  hook: HookName
  path: string
  /** removed: ours, deleted; restored: ours, deleted, and the chained NAME.local moved back; absent: no hook; foreign: not ours, left as it is. */
  action: 'removed' | 'restored' | 'absent' | 'foreign'
}

/**
 * Whether `text` is exactly a hook `install` writes (for whatever command it runs). Our marker
 * alone is not enough: `install` asks the user to merge a clashing hook by hand, and a merged
 * hook carries our marker and their own commands.
 */
export function isOurScript(name: HookName, text: string): boolean {
  if (!text.includes(markerOf(name))) return false
  const cmd = (name === 'pre-commit' ? /^exec (.+) check --staged >\/dev\/null$/m : /^(.+) check --since ORIG_HEAD >\/dev\/null$/m).exec(text)?.[1]
  return cmd !== undefined && text === hookScriptFor(name, cmd)
}

/** Removes one of our hooks (see the module comment); never touches a hook that is not exactly ours (a foreign or hand-merged one), nor follows a link. */
export function uninstallHook(name: HookName, opts: HookInstallOptions): HookUninstallResult {
  const o: GitRunOptions = { cwd: opts.cwd, ...defined({ env: opts.env }) }
  const path = resolve(opts.cwd, git(['rev-parse', '--git-path', `hooks/${name}`], o).toString('utf8').trim())
  let st
  try {
    st = lstatSync(path)
  } catch {
    return { hook: name, path, action: 'absent' }
  }
  if (!st.isFile() || !isOurScript(name, readFileSync(path, 'utf8'))) return { hook: name, path, action: 'foreign' }
  const local = `${path}.local`
  try {
    unlinkSync(path)
    if (existsSync(local)) {
      renameSync(local, path) // the hook that was there before ours, as it was (mode kept)
      return { hook: name, path, action: 'restored' }
    }
  } catch (e) {
    throw new WriteError(`cannot remove ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  return { hook: name, path, action: 'removed' }
}

/** Removes every hook `installGitHooks` wrote. */
export const uninstallGitHooks = (opts: HookInstallOptions): HookUninstallResult[] => HOOK_NAMES.map((n) => uninstallHook(n, opts))
