/** Helpers for the `run` tests: encrypted test files, a child that dumps its environment, a real CLI process. */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { encryptBytes } from '../../src/ops/crypt/encrypt.js'
import { createAgeRecipient } from '../../src/keys/age.js'
import type { FormatName } from '../../src/formats/index.js'

/** Encrypts `plain` to `recipient` and writes it as `dir/name`; returns the path. */
export async function writeEncrypted(dir: string, name: string, plain: string, format: FormatName, recipient: string): Promise<string> {
  const out = await encryptBytes(Buffer.from(plain), { inputFormat: format, groups: [[createAgeRecipient(recipient)]] })
  const p = join(dir, name)
  writeFileSync(p, out)
  return p
}

/** argv of a child that writes its environment as JSON to `out`. */
export const dumpEnvCommand = (out: string): string[] => [process.execPath, '-e', 'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.env))', out]

export const readEnvDump = (out: string): Record<string, string> => JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>

const ENTRY = fileURLToPath(new URL('./cli-entry.ts', import.meta.url))
// absolute, so the loader resolves whatever the child's folder is
const TSX = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/loader.mjs')).href

/** Starts the CLI from source as a real process (signals, exit codes). */
export function startCli(args: string[], opts: { env: NodeJS.ProcessEnv; cwd: string }): { child: ChildProcess; result: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  // its own process group, so a test that gives up can end it together with the command it started
  const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => { stdout += d })
  child.stderr!.on('data', (d) => { stderr += d })
  const result = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((done) => {
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }))
  })
  return { child, result }
}

/**
 * Waits until `path` exists (the command is ready). Gives up when `cli` ended first, or
 * after `limitMs` (a safety net for a hung process, not a timing assertion): then the
 * CLI's whole process group is killed so no process outlives the test.
 */
export async function waitForFile(path: string, cli?: ChildProcess, limitMs = 180_000): Promise<void> {
  const end = Date.now() + limitMs
  while (!existsSync(path)) {
    if (cli && (cli.exitCode !== null || cli.signalCode !== null)) throw new Error(`the CLI ended before ${path} appeared`)
    if (Date.now() > end) {
      if (cli?.pid) { try { process.kill(-cli.pid, 'SIGKILL') } catch { /* gone */ } }
      throw new Error(`gave up waiting for ${path}`)
    }
    await new Promise((r) => setTimeout(r, 20))
  }
}
