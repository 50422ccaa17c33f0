/** Runs the CLI in-process with captured output, or as a real child process. */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { main } from '../../src/cli/main.js'

export interface CliResult { code: number; stdout: string; stderr: string; stdoutBytes: Buffer }

export async function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  const out: Buffer[] = []
  const err: Buffer[] = []
  const sink = (arr: Buffer[]) => ({ write: (c: string | Uint8Array) => { arr.push(Buffer.from(c)); return true } })
  const env = opts.env ?? isolatedEnv()
  const code = await main(args, { stdout: sink(out), stderr: sink(err), env, cwd: opts.cwd ?? process.cwd() })
  const stdoutBytes = Buffer.concat(out)
  return { code, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes }
}

const ENTRY = fileURLToPath(new URL('./cli-entry.ts', import.meta.url))
/** tsx's loader by absolute URL: `--import tsx` would be resolved from the child's cwd (a temp folder in tests). */
export const TSX_IMPORT = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

/** Spawns the CLI from source in a child process (tsx loader). */
export function spawnCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string | Buffer } = {}): CliResult {
  const r: SpawnSyncReturns<Buffer> = spawnSync(process.execPath, ['--import', TSX_IMPORT, ENTRY, ...args], {
    env: { ...(opts.env ?? isolatedEnv()), PATH: process.env.PATH ?? '' },
    cwd: opts.cwd ?? process.cwd(),
    input: opts.input ?? '',
  })
  return { code: r.status ?? 128, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), stdoutBytes: r.stdout }
}

/** An environment with no key variables and a HOME that has no keys. */
export function isolatedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: '/nonexistent-home', XDG_CONFIG_HOME: '/nonexistent-home/.config', ...extra }
}
