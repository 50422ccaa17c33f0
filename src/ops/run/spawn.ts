/**
 * Starting a command the way a shell's exec would, but without a shell: the argv as
 * given, the command looked up on the parent's PATH (126 not executable / 127 not
 * found), stdio and TTY inherited, signals forwarded while it runs, and its exit
 * code (or 128 + the number of the signal that killed it) returned.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { accessSync, constants as fsConstants, statSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { delimiter, isAbsolute, resolve } from 'node:path'
import { CommandStartError } from '../../errors.js'
import { defined } from '../../defined.js'

/** Signals `run` passes on to the child while it runs. */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH']
/** Of those, the ones that end `run` when they arrive before the child was started. */
const TERMINATING = new Set<NodeJS.Signals>(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'])

/** 128 + the signal's number (the shell's exit status for "killed by signal"). */
export const signalExitCode = (sig: NodeJS.Signals): number => 128 + (osConstants.signals[sig] ?? 0)

function executable(p: string): 'ok' | 'missing' | 'not-executable' {
  let st
  try {
    st = statSync(p)
  } catch {
    return 'missing'
  }
  if (!st.isFile()) return 'not-executable'
  try {
    accessSync(p, fsConstants.X_OK)
    return 'ok'
  } catch {
    return 'not-executable'
  }
}

/**
 * The file a command name runs: a name with a `/` relative to `cwd`, else the first
 * executable match on `pathEnv`. Throws CommandStartError 127 (not found) or 126
 * (found but not executable, or a folder). On Windows the name is returned as is.
 */
export function resolveCommand(cmd: string, opts: { pathEnv?: string; cwd?: string } = {}): string {
  if (process.platform === 'win32') return cmd
  const cwd = opts.cwd ?? process.cwd()
  if (cmd === '') throw new CommandStartError('no command given', 127)
  if (cmd.includes('/')) {
    const p = isAbsolute(cmd) ? cmd : resolve(cwd, cmd)
    const state = executable(p)
    if (state === 'missing') throw new CommandStartError(`${cmd}: no such file`, 127)
    if (state === 'not-executable') throw new CommandStartError(`${cmd}: permission denied (not an executable file)`, 126)
    return p
  }
  let denied = false
  for (const dir of (opts.pathEnv ?? '').split(delimiter)) {
    const p = resolve(cwd, dir === '' ? '.' : dir, cmd)
    const state = executable(p)
    if (state === 'ok') return p
    if (state === 'not-executable') denied = true
  }
  if (denied) throw new CommandStartError(`${cmd}: permission denied (found on PATH but not executable)`, 126)
  throw new CommandStartError(`${cmd}: command not found${shellHint(cmd)}`, 127)
}

/**
 * Forwards FORWARDED_SIGNALS to a child while installed. Started before the child
 * exists (e.g. while a FIFO is set up), it records terminating signals instead,
 * so the caller can clean up and stop.
 */
export class SignalRelay {
  private child: ChildProcess | undefined
  private readonly handlers = new Map<NodeJS.Signals, () => void>()
  /** The first terminating signal received while no child was attached. */
  interrupted: NodeJS.Signals | undefined

  start(): this {
    for (const sig of FORWARDED_SIGNALS) {
      const h = (): void => {
        if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
          try { this.child.kill(sig) } catch { /* already gone */ }
        } else if (!this.child && TERMINATING.has(sig)) this.interrupted ??= sig
      }
      this.handlers.set(sig, h)
      process.on(sig, h)
    }
    return this
  }

  attach(child: ChildProcess): void {
    this.child = child
  }

  stop(): void {
    for (const [sig, h] of this.handlers) process.removeListener(sig, h)
    this.handlers.clear()
    this.child = undefined
  }
}

export interface SpawnOptions {
  cwd?: string
  /** The child's environment (exactly this; nothing is added). */
  env: Record<string, string>
  /** PATH used to find the command (the parent's; the child's env may have none). */
  pathEnv?: string
  /** Default 'inherit' (stdin/stdout/stderr and the TTY). */
  stdio?: StdioOptions
  /** A relay already started by the caller; else one is started here (unless `forwardSignals: false`). */
  relay?: SignalRelay
  forwardSignals?: boolean
}

/** Runs `argv` without a shell; resolves to its exit code, or 128+N when signal N killed it. */
export async function spawnCommand(argv: readonly string[], opts: SpawnOptions): Promise<number> {
  const [cmd, ...args] = argv
  if (cmd === undefined) throw new CommandStartError('no command given', 127, { hint: 'put the command after --' })
  const file = resolveCommand(cmd, { cwd: opts.cwd ?? process.cwd(), ...defined({ pathEnv: opts.pathEnv }) })
  const own = !opts.relay && opts.forwardSignals !== false ? new SignalRelay().start() : undefined
  const relay = opts.relay ?? own
  try {
    return await new Promise<number>((done, fail) => {
      let child: ChildProcess
      try {
        child = spawn(file, args, { argv0: cmd, cwd: opts.cwd ?? process.cwd(), env: opts.env, stdio: opts.stdio ?? 'inherit', shell: false })
      } catch (e) {
        fail(startError(cmd, e))
        return
      }
      relay?.attach(child)
      child.once('error', (e) => fail(startError(cmd, e)))
      child.once('exit', (code, signal) => done(code ?? (signal ? signalExitCode(signal) : 1)))
    })
  } finally {
    own?.stop()
  }
}

/** For a "command" that is really a shell line (`run -- 'echo $x'`): how to hand it to a shell. */
function shellHint(cmd: string): string {
  return /[\s$|;&<>*?`'"(){}]/.test(cmd) ? ` (a shell line is not a command: run it with sh -c '…', e.g. sops-like run -- sh -c 'echo $NAME')` : ''
}

function startError(cmd: string, e: unknown): CommandStartError {
  const code = (e as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return new CommandStartError(`${cmd}: command not found${shellHint(cmd)}`, 127)
  if (code === 'ERR_INVALID_ARG_VALUE' || code === 'ERR_INVALID_ARG_TYPE') return new CommandStartError(`${cmd}: an argument or environment variable contains a NUL character`, 126)
  return new CommandStartError(`${cmd}: cannot be started${code ? ` (${code})` : ''}`, 126)
}
