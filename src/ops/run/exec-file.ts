/**
 * `run --as-file` (sops' exec-file): the decrypted file is handed to the child
 * through a FIFO in a private (0700) folder, `{}` in the arguments is replaced by
 * its path, and the folder is removed after the child exits, also when `run` is
 * interrupted. Without mkfifo (Windows, or mkfifo failing) a 0600 file is used, which a
 * watcher process removes even if `run` is killed outright (src/io/janitor.ts).
 *
 * The FIFO is written asynchronously: opening it blocks until the child opens it,
 * so when the child exits without reading, `run` opens the read end itself and
 * drains it, which lets the write finish and nothing stays blocked.
 */
import { execFileSync } from 'node:child_process'
import { closeSync, constants as fsConstants, openSync, readSync, rmSync, writeFileSync } from 'node:fs'
import { open as openFile } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { loadFormat } from '../../formats/index.js'
import { readInput } from '../../io/read.js'
import { makePrivateDir } from '../../io/private-temp.js'
import { removeWhenProcessDies } from '../../io/janitor.js'
import { MetadataNotFoundError, UsageError } from '../../errors.js'
import { pickFormat } from '../crypt/codec.js'
import { openBytes } from '../crypt/decrypt.js'
import { scrubKeyEnv } from './env.js'
import { aboutFile, displayPath, refuseDotenvx } from './load-env.js'
import type { IdentityOptions } from '../../keys/identities.js'
import type { Identity } from '../../keys/key-source.js'
import { resolveCommand, signalExitCode, spawnCommand, SignalRelay } from './spawn.js'
import type { StdioOptions } from 'node:child_process'
import { defined } from '../../defined.js'

export interface ExecFileOptions extends IdentityOptions {
  cwd?: string
  /** Format of the file (default: from its name). */
  inputType?: string
  allowPlaintext?: boolean
  identities?: Identity[]
  /** Keep SOPS_AGE_KEY & co. in the child's environment (removed by default). */
  keepKeyEnv?: boolean
  /** The child gets an empty environment. */
  pristine?: boolean
  /** Name of the FIFO/file (default: the file's name without `.enc`, e.g. `secrets.yaml`); a plain name, no folder (UsageError). */
  filename?: string
  /** Use a 0600 file instead of a FIFO. */
  noFifo?: boolean
  stdio?: StdioOptions
}

/** The decrypted bytes of `file` in its own format (MAC verified); plaintext files only with `allowPlaintext`. */
export async function decryptForFile(file: string, opts: ExecFileOptions = {}): Promise<Uint8Array> {
  const cwd = resolve(opts.cwd ?? process.cwd())
  const abs = resolve(cwd, file)
  const name = displayPath(abs, cwd)
  const format = pickFormat(abs, opts.inputType)
  const bytes = readInput(abs)
  try {
    const doc = await openBytes(bytes, { ...opts, env: opts.env ?? process.env, inputFormat: format, fileName: name })
    return (await loadFormat(format)).emit(doc.tree)
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'NOT_ENCRYPTED') throw aboutFile(e, name)
    await refuseDotenvx(bytes, name)
    if (!opts.allowPlaintext) throw new MetadataNotFoundError(`${name} is not encrypted (it has no sops metadata)`, { hint: 'use --allow-plaintext to load it anyway' })
    return bytes
  }
}

/** `secrets.enc.yaml` → `secrets.yaml`, `.env.enc` → `.env`. */
export const plainName = (file: string): string => basename(file).replace(/\.enc(?=\.|$)/, '') || 'secrets'

/** The name `{}` gets: `filename` when given, which must be a plain file name (not `.`, `..`, nothing with a slash), else plainName(file). */
export function fileNameFor(filename: string | undefined, file: string): string {
  if (filename === undefined) return plainName(file)
  if (filename === '' || filename === '.' || filename === '..' || /[/\\\0]/.test(filename)) {
    throw new UsageError('--filename must be a plain file name: no folder, not . or ..', { hint: 'e.g. --filename secrets.yaml' })
  }
  return filename
}


function makeFifo(path: string): boolean {
  if (process.platform === 'win32') return false
  try {
    execFileSync('mkfifo', ['-m', '600', path], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Writes `data` into the FIFO once a reader opens it; never rejects. */
function writeFifo(path: string, data: Uint8Array): { done: Promise<void>; settled: () => boolean } {
  let settled = false
  const done = (async () => {
    const fh = await openFile(path, fsConstants.O_WRONLY)
    try {
      await fh.writeFile(data)
    } finally {
      await fh.close()
    }
  })()
    .catch(() => { /* the reader went away (EPIPE) or the FIFO is gone */ })
    .finally(() => { settled = true })
  return { done, settled: () => settled }
}

/** Opens the read end ourselves and discards what arrives until the pending write has finished. */
async function drain(path: string, w: ReturnType<typeof writeFifo>): Promise<void> {
  if (w.settled()) return
  let fd: number
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK)
  } catch {
    await w.done
    return
  }
  const buf = Buffer.alloc(64 * 1024)
  try {
    while (!w.settled()) {
      try {
        while (readSync(fd, buf, 0, buf.length, null) > 0) { /* discard */ }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') break
      }
      await new Promise((r) => setTimeout(r, 2))
    }
  } finally {
    closeSync(fd)
  }
  await w.done
}

/**
 * Decrypts `file`, hands it to `argv` as `{}` and runs it (no shell); resolves to the
 * child's exit code or 128+N. The private folder is gone when this returns.
 */
export async function runWithFile(file: string, argv: readonly string[], opts: ExecFileOptions = {}): Promise<number> {
  const cwd = resolve(opts.cwd ?? process.cwd())
  const parentEnv = opts.env ?? process.env
  const name = fileNameFor(opts.filename, file)
  const data = await decryptForFile(file, { ...opts, cwd })
  resolveCommand(argv[0] ?? '', { cwd, ...defined({ pathEnv: parentEnv.PATH }) })
  const relay = new SignalRelay().start()
  const dir = makePrivateDir(parentEnv, 'run')
  const cleanup = (): void => { try { rmSync(dir, { recursive: true, force: true }) } catch { /* gone */ } }
  process.once('exit', cleanup)
  const path = join(dir, name)
  let writer: ReturnType<typeof writeFifo> | undefined
  let unwatch = (): void => {}
  try {
    if (!opts.noFifo && makeFifo(path)) writer = writeFifo(path, data)
    else {
      opts.onNote?.('no FIFO available: the decrypted file is a private temporary file until the command exits')
      unwatch = removeWhenProcessDies(dir) // plaintext at rest: removed even if run is killed outright
      writeFileSync(path, data, { mode: 0o600, flag: 'wx' })
    }
    if (relay.interrupted) return signalExitCode(relay.interrupted)
    const env = opts.pristine ? {} : Object.fromEntries(Object.entries(opts.keepKeyEnv ? parentEnv : scrubKeyEnv(parentEnv)).filter((e): e is [string, string] => e[1] !== undefined))
    return await spawnCommand(argv.map((a) => a.split('{}').join(path)), {
      cwd,
      env,
      relay,
      ...defined({ pathEnv: parentEnv.PATH }),
      ...defined({ stdio: opts.stdio }),
    })
  } finally {
    if (writer) await drain(path, writer)
    cleanup()
    unwatch()
    process.removeListener('exit', cleanup)
    relay.stop()
  }
}
