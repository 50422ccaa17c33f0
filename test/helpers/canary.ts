/**
 * Secret hygiene guard: runs one CLI command (in-process) whose inputs hold a canary
 * secret and fails if the canary shows up anywhere it should not: on stderr, on stdout
 * (unless the command's job is to print plaintext), in `process.title`, or in any file
 * under the watched folders that is new or changed and is not the intended destination.
 * While the command runs, `process.env.TMPDIR` points at the environment's TMPDIR so
 * that `os.tmpdir()` inside the library lands in a watched folder too.
 */
import { existsSync, lstatSync, openSync, readSync, closeSync, readdirSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join, resolve } from 'node:path'
import { runCli, type CliResult } from './cli.js'
import { CANARY } from './fixtures.js'

export interface GuardOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  /** Folders to watch (default: cwd, TMPDIR and XDG_RUNTIME_DIR of `env`). */
  roots?: string[]
  /** Files that may hold the canary afterwards (the intended plaintext destination). */
  allowedFiles?: string[]
  /** The command prints plaintext on purpose (decrypt to stdout, textconv): the canary may be on stdout. */
  stdoutMayHoldSecret?: boolean
  canary?: string
}

export interface GuardResult extends CliResult {
  /** Human-readable violations; empty when the command was clean. */
  violations: string[]
}

function digest(path: string): string {
  const h = createHash('sha256')
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.allocUnsafe(1 << 16)
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      h.update(buf.subarray(0, n))
    }
  } finally {
    closeSync(fd)
  }
  return h.digest('hex')
}

function holds(path: string, needle: Buffer): boolean {
  const fd = openSync(path, 'r')
  try {
    const chunk = Buffer.allocUnsafe(1 << 20)
    let carry = Buffer.alloc(0)
    for (;;) {
      const got = readSync(fd, chunk, 0, chunk.length, null)
      if (got === 0) return false
      const window = Buffer.concat([carry, chunk.subarray(0, got)])
      if (window.includes(needle)) return true
      carry = window.subarray(Math.max(0, window.length - needle.length + 1))
    }
  } finally {
    closeSync(fd)
  }
}

/** Regular files under the roots with their content digests (symlinks not followed). */
function files(roots: string[]): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (dir: string): void => {
    let names: string[]
    try { names = readdirSync(dir) } catch { return }
    for (const n of names) {
      const p = join(dir, n)
      let st
      try { st = lstatSync(p) } catch { continue }
      if (st.isDirectory()) walk(p)
      else if (st.isFile()) { try { out.set(p, digest(p)) } catch { /* unreadable */ } }
    }
  }
  for (const r of roots) if (existsSync(r)) walk(resolve(r))
  return out
}

/** Runs `args` and reports every place the canary leaked to. */
export async function runGuarded(args: string[], opts: GuardOptions): Promise<GuardResult> {
  const canary = opts.canary ?? CANARY
  const needle = Buffer.from(canary)
  const roots = [...new Set((opts.roots ?? [opts.cwd, opts.env.TMPDIR, opts.env.XDG_RUNTIME_DIR]).filter((r): r is string => !!r).map((r) => resolve(r)))]
  const allowed = new Set((opts.allowedFiles ?? []).map((f) => resolve(opts.cwd, f)))
  const before = files(roots)
  const savedTmp = process.env.TMPDIR
  if (opts.env.TMPDIR) process.env.TMPDIR = opts.env.TMPDIR
  let r: CliResult
  try {
    r = await runCli(args, { cwd: opts.cwd, env: opts.env })
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = savedTmp
  }
  const violations: string[] = []
  const label = `sops-like ${args.join(' ')}`
  if (r.stderr.includes(canary)) violations.push(`${label}: canary on stderr`)
  if (!opts.stdoutMayHoldSecret && r.stdoutBytes.includes(needle)) violations.push(`${label}: canary on stdout`)
  if (process.title.includes(canary)) violations.push(`${label}: canary in process.title`)
  for (const [path, d] of files(roots)) {
    if (allowed.has(path)) continue
    if (before.get(path) === d) continue // untouched (e.g. the plaintext input itself)
    if (holds(path, needle)) violations.push(`${label}: canary in ${before.has(path) ? 'changed' : 'new'} file ${path}`)
  }
  return { ...r, violations }
}
