/**
 * `run`: decrypt files into a child process's environment. The child gets the
 * parent's environment (minus the key variables) plus the files' variables, with
 * existing variables winning unless `override`, or only the files' variables with
 * `pristine`. No plaintext is written anywhere.
 */
import { resolve } from 'node:path'
import { mergeEnv, scrubKeyEnv, type EnvEntry, type MergeEnvOptions } from './env.js'
import { loadEnvEntries, type LoadEnvOptions } from './load-env.js'
import { spawnCommand } from './spawn.js'
import type { StdioOptions } from 'node:child_process'
import { defined } from '../../defined.js'

export interface RunOptions extends LoadEnvOptions, MergeEnvOptions {
  /** Files to load, in order (later win); default: `run.files` from the config, else the conventional names. */
  files?: readonly string[]
  /** Keep SOPS_AGE_KEY & co. in the child's environment (removed by default). */
  keepKeyEnv?: boolean
  /** Default 'inherit'. */
  stdio?: StdioOptions
  /** Forward SIGINT, SIGTERM, … to the child (default true). */
  forwardSignals?: boolean
}

/** What `run` would export: each variable, its file, and whether the environment's value wins. */
export interface PlannedVar {
  name: string
  file: string
  /** True when a variable of that name is already set and will be kept (no `override`/`pristine`). */
  shadowed: boolean
}

export interface RunPlan {
  files: string[]
  /** Where the list came from: -f, run.files, or the conventional names. */
  source: 'given' | 'config' | 'conventional'
  vars: PlannedVar[]
  /** The child's environment. */
  env: Record<string, string>
}

/** Decrypts the files and computes the child's environment (everything `run` does before spawning). */
export async function planRun(opts: RunOptions = {}): Promise<RunPlan> {
  const parentEnv = opts.env ?? process.env
  const loaded = await loadEnvEntries(opts.files, { ...opts, env: parentEnv })
  const base = opts.keepKeyEnv ? { ...parentEnv } : scrubKeyEnv(parentEnv)
  const vars: Record<string, string> = Object.fromEntries([...loaded.entries.values()].map((e: EnvEntry) => [e.name, e.value]))
  const env = mergeEnv(base, vars, opts)
  const keep = !opts.override && !opts.pristine
  return {
    files: loaded.files,
    source: loaded.source,
    vars: [...loaded.entries.values()].map((e) => ({ name: e.name, file: e.file ?? '', shadowed: keep && base[e.name] !== undefined })),
    env,
  }
}

/**
 * Runs `argv` (no shell) with the files' variables in its environment; resolves to
 * the child's exit code, or 128+N when it died of signal N. Decryption errors are
 * thrown before anything is started; a command that cannot start throws
 * CommandStartError (exit 127/126).
 */
export async function runWithEnv(argv: readonly string[], opts: RunOptions = {}): Promise<number> {
  const plan = await planRun(opts)
  const parentEnv = opts.env ?? process.env
  return spawnCommand(argv, {
    cwd: resolve(opts.cwd ?? process.cwd()),
    env: plan.env,
    ...defined({ pathEnv: parentEnv.PATH, stdio: opts.stdio, forwardSignals: opts.forwardSignals }),
  })
}
