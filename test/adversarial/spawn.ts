/**
 * The CLI as a real process, started fast: the source is bundled once per test run with
 * esbuild into a private folder (plain `node bundle.js` starts in a fraction of the time
 * `--import tsx` needs, which matters for the SIGKILL loops). Also runs a command as an
 * unprivileged user when the tests run as root, so read-only files and folders really
 * are read-only.
 */
import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCli, type CliResult } from '../helpers/cli.js'

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))
let built: Promise<string> | undefined

/** Bundles src/cli/main.ts (deps included, lazy imports split) and returns the entry file. */
export function cliBundle(): Promise<string> {
  built ??= (async () => {
    const { build } = await import('esbuild')
    const dir = mkdtempSync(join(tmpdir(), 'sops-like-adv-bundle-'))
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'entry.ts'), `import { main } from ${JSON.stringify(MAIN)}\nprocess.exitCode = await main(process.argv.slice(2))\n`)
    await build({
      entryPoints: { cli: join(dir, 'entry.ts') },
      outdir: join(dir, 'out'),
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'error',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    })
    chmodSync(dir, 0o755)
    for (const n of readdirSync(join(dir, 'out'))) chmodSync(join(dir, 'out', n), 0o644)
    chmodSync(join(dir, 'out'), 0o755)
    return join(dir, 'out', 'cli.js')
  })()
  return built
}

export interface Spawned {
  pid: number
  done: Promise<CliResult & { signal: NodeJS.Signals | null }>
  kill(signal?: NodeJS.Signals): void
}

/** Starts the bundled CLI; output is collected; `kill` signals only this child. */
export async function startCli(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; uid?: number; gid?: number }): Promise<Spawned> {
  const entry = await cliBundle()
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: opts.cwd,
    env: { ...opts.env, PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
  })
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout.on('data', (d: Buffer) => out.push(d))
  child.stderr.on('data', (d: Buffer) => err.push(d))
  const done = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      const stdoutBytes = Buffer.concat(out)
      resolve({ code: code ?? 128, signal, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes })
    })
  })
  return { pid: child.pid!, done, kill: (s = 'SIGKILL') => { try { child.kill(s) } catch { /* gone */ } } }
}

/** uid/gid of `nobody` when running as root (permission bits do not stop root). */
export const UNPRIVILEGED = process.getuid?.() === 0 ? 65534 : undefined

/**
 * Runs a command so that file permissions apply: in-process for a normal user, as `nobody`
 * in a child process under root. The folders it touches must be readable by that user.
 */
export async function runAsUser(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<CliResult> {
  if (UNPRIVILEGED === undefined) return runCli(args, opts)
  const p = await startCli(args, { ...opts, uid: UNPRIVILEGED })
  return p.done
}

/** The folder of a path (re-exported for tests that open up parents). */
export { dirname }
