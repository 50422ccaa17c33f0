/**
 * Runs `git` (argv only, never a shell) for the git integration: setup, check,
 * hook install and the merge driver's fallback. Errors are typed one-liners that
 * carry git's own first stderr line at most (git never echoes file contents there).
 */
import { spawnSync } from 'node:child_process'
import { UsageError } from '../errors.js'

export interface GitRunOptions {
  cwd: string
  env?: NodeJS.ProcessEnv
  input?: string | Uint8Array
}

export interface GitOutput {
  status: number
  stdout: Buffer
  stderr: string
}

/** Runs git and returns its status and output (no throw on a non-zero status). */
export function runGit(args: string[], opts: GitRunOptions): GitOutput {
  const r = spawnSync('git', args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    input: opts.input ?? '',
    maxBuffer: 512 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code
    throw new UsageError(code === 'ENOENT' ? 'git is not installed or not on PATH' : `cannot run git (${code ?? 'error'})`)
  }
  return { status: r.status ?? 128, stdout: r.stdout, stderr: r.stderr.toString('utf8') }
}

/** Runs git; throws `onFail(detail)` (a UsageError by default) when it exits non-zero. */
export function git(args: string[], opts: GitRunOptions, onFail?: (detail: string) => Error): Buffer {
  const r = runGit(args, opts)
  if (r.status !== 0) {
    const detail = r.stderr.split('\n').find((l) => l.trim())?.trim().slice(0, 200) ?? `exit ${r.status}`
    throw onFail ? onFail(detail) : new UsageError(`git ${args[0]} failed: ${detail}`)
  }
  return r.stdout
}

/** The top folder of the work tree containing `cwd`; UsageError outside a repository. */
export function repoRoot(opts: GitRunOptions): string {
  const out = git(['rev-parse', '--show-toplevel'], opts, () => new UsageError(`${opts.cwd} is not inside a git work tree`))
  return out.toString('utf8').trim()
}

/** A git config value (`undefined` when unset). `scope`: --global, --local, or any (merged). */
export function gitConfigGet(key: string, opts: GitRunOptions, scope?: '--global' | '--local'): string | undefined {
  const r = runGit(['config', ...(scope ? [scope] : []), '--get', key], opts)
  return r.status === 0 ? r.stdout.toString('utf8').replace(/\n$/, '') : undefined
}

/**
 * Many objects in one `git cat-file --batch` (object names such as `<blob id>` or `:<path>`,
 * none holding a newline): their contents by name; names git reports missing are left out.
 */
export function catFileBatch(names: readonly string[], opts: GitRunOptions): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  const todo = [...new Set(names)].filter((n) => !n.includes('\n'))
  if (!todo.length) return out
  const buf = git(['cat-file', '--batch'], { ...opts, input: todo.map((n) => `${n}\n`).join('') })
  let pos = 0
  for (const n of todo) {
    const nl = buf.indexOf(0x0a, pos)
    if (nl < 0) break
    const header = buf.subarray(pos, nl).toString('utf8').split(' ')
    pos = nl + 1
    if (header[header.length - 1] === 'missing' || header.length < 3) continue
    const size = Number(header[2])
    out.set(n, buf.subarray(pos, pos + size))
    pos += size + 1
  }
  return out
}
