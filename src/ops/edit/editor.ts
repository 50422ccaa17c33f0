/**
 * Finding and running the user's editor, and the private temporary file it edits.
 *
 * Editor: `$SOPS_EDITOR`, `$VISUAL`, `$EDITOR` (split into words like a shell would,
 * but run without one, so `code --wait` works), else `vi`, else `nano` from PATH. It runs
 * without the key variables (`SOPS_AGE_KEY*`, passphrases: the list `run` scrubs), so
 * an editor plugin or a shell started from the editor cannot read them.
 * Temp file: a 0700 folder in the per-user base of src/io/private-temp.ts holding
 * one 0600 file named like the target (so editors pick the right highlighting). The
 * folder is removed by `dispose()` and, through `removeOnExit`, on SIGINT/SIGTERM/SIGHUP
 * and on any exit, including a crash by an uncaught exception or unhandled rejection;
 * when sops-like dies with no handler running (SIGKILL, out of memory), a watcher process
 * removes it (src/io/janitor.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, delimiter, join } from 'node:path'
import { NoEditorError, WriteError } from '../../errors.js'
import { removeOnExit } from '../../io/atomic-write.js'
import { removeWhenProcessDies } from '../../io/janitor.js'
import { makePrivateDir } from '../../io/private-temp.js'
import { splitCommand } from '../../keys/age-identities.js'
import { scrubKeyEnv } from '../run/env.js'
import { defined } from '../../defined.js'

const FALLBACK_EDITORS = ['vi', 'nano']

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const p = join(dir, name)
    try {
      accessSync(p, constants.X_OK)
      if (statSync(p).isFile()) return p
    } catch { /* not here */ }
  }
  return undefined
}

/** The editor command line as argv (the file name is appended when it runs). Throws NoEditorError. */
export function editorCommand(env: NodeJS.ProcessEnv): string[] {
  for (const name of ['SOPS_EDITOR', 'VISUAL', 'EDITOR'] as const) {
    const v = env[name]
    if (v && v.trim()) {
      const argv = splitCommand(v)
      if (argv.length) return argv
    }
  }
  for (const name of FALLBACK_EDITORS) {
    const p = onPath(name, env)
    if (p) return [p]
  }
  throw new NoEditorError('no editor found: set $EDITOR (or $VISUAL), e.g. EDITOR="code --wait"')
}

export interface RunEditorOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
}

/**
 * Runs the editor on `file` with the terminal attached and waits for it. An editor
 * that cannot start, exits non-zero or dies from a signal is a NoEditorError (201).
 * If this process exits meanwhile (a signal), the editor is terminated too.
 */
export async function runEditor(argv: readonly string[], file: string, opts: RunEditorOptions = {}): Promise<void> {
  const [cmd, ...args] = argv
  if (!cmd) throw new NoEditorError('the editor command is empty')
  const label = basename(cmd)
  let child: ChildProcess
  try {
    child = spawn(cmd, [...args, file], { stdio: 'inherit', env: scrubKeyEnv(opts.env ?? process.env), ...defined({ cwd: opts.cwd || undefined }) })
  } catch {
    throw new NoEditorError(`cannot start the editor ${label}`)
  }
  const killOnExit = (): void => { try { child.kill('SIGTERM') } catch { /* gone */ } }
  process.on('exit', killOnExit)
  try {
    await new Promise<void>((resolveRun, reject) => {
      child.once('error', (e: NodeJS.ErrnoException) => reject(new NoEditorError(`cannot start the editor ${label}${e.code ? ` (${e.code})` : ''}`)))
      child.once('exit', (code, signal) => {
        if (code === 0) resolveRun()
        else reject(new NoEditorError(signal ? `the editor ${label} was killed by ${signal}; nothing was written` : `the editor ${label} exited with code ${code}; nothing was written`))
      })
    })
  } finally {
    process.removeListener('exit', killOnExit)
  }
}

export interface PrivateTemp {
  /** The folder (mode 0700). */
  dir: string
  /** The file inside it (mode 0600). */
  file: string
  /** Removes the folder and everything in it (editor swap files too); safe to call twice. */
  dispose(): void
}

/** Creates a private folder with one file named `name` holding `data`. */
export function writePrivateTemp(name: string, data: Uint8Array, env: NodeJS.ProcessEnv = process.env): PrivateTemp {
  let unwatch = (): void => {}
  const dir = makePrivateDir(env, 'edit', (d) => { unwatch = removeWhenProcessDies(d) }) // watched before it exists
  const forget = removeOnExit(dir)
  let disposed = false
  const dispose = (): void => {
    if (disposed) return
    disposed = true
    try { rmSync(dir, { recursive: true, force: true }) } finally { forget(); unwatch() }
  }
  const file = join(dir, basename(name) || 'file')
  try {
    writeFileSync(file, data, { mode: 0o600, flag: 'wx' })
  } catch (e) {
    dispose()
    throw new WriteError(`cannot write the temporary file${(e as NodeJS.ErrnoException).code ? ` (${(e as NodeJS.ErrnoException).code})` : ''}`)
  }
  return { dir, file, dispose }
}
