/**
 * Atomic file writes: a temp file in the same folder (mode 0600 while written),
 * fsync, chmod to the original mode, rename over the target, fsync the folder.
 * A symlinked target is written through (its real path is replaced). A device or
 * FIFO target is written into directly (never replaced). The temp
 * file is removed on any error and on SIGINT/SIGTERM/SIGHUP. Its name,
 * `.<target name>.<pid>.<12 hex>.tmp`, carries the writer's PID: a temp left by a process
 * killed outright (SIGKILL, power loss: no handler runs) is removed by the next write
 * of the same target.
 */
import { type Stats, closeSync, fsyncSync, lstatSync, openSync, readdirSync, realpathSync, renameSync, rmSync, statSync, unlinkSync, writeSync, chmodSync, chownSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { WriteError } from '../errors.js'
import { processExists } from './private-temp.js'

const pending = new Set<string>()
let hooked = false

function cleanupPending(): void {
  for (const p of pending) {
    try { rmSync(p, { recursive: true, force: true }) } catch { /* gone */ }
  }
  pending.clear()
}

function hookSignals(): void {
  if (hooked) return
  hooked = true
  process.on('exit', cleanupPending)
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      cleanupPending()
      process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const)[sig])
    })
  }
}

/** Registers a file or folder (removed with its contents) to delete if the process is interrupted (private temp files). */
export function removeOnExit(path: string): () => void {
  hookSignals()
  pending.add(path)
  return () => { pending.delete(path) }
}

export interface WriteOptions {
  /** Mode for a new file (default 0o644 minus umask; 0o600 for plaintext outputs). */
  mode?: number
}

/**
 * A target that is not a regular file (a device such as /dev/stdout or /dev/null, a FIFO):
 * written straight into, never replaced by a renamed temp file.
 */
function writeSpecial(target: string, real: string, data: Uint8Array): void {
  let fd: number | undefined
  try {
    fd = openSync(real, 'w')
    let off = 0
    while (off < data.length) off += writeSync(fd, data, off, data.length - off)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new WriteError(`cannot write ${target}${code ? ` (${code})` : ''}`)
  } finally {
    if (fd !== undefined) { try { closeSync(fd) } catch { /* ignore */ } }
  }
}

const TEMP_TAIL = /^(\d+)\.[0-9a-f]{12}\.tmp$/

/** Removes our temps of `name` in `dir` whose writing process no longer exists. Never throws. */
function removeStaleTemps(dir: string, name: string): void {
  const prefix = `.${name}.`
  let names: string[]
  try { names = readdirSync(dir) } catch { return }
  const uid = process.getuid?.()
  for (const n of names) {
    if (!n.startsWith(prefix)) continue
    const m = TEMP_TAIL.exec(n.slice(prefix.length))
    if (!m || Number(m[1]) === process.pid || processExists(Number(m[1]))) continue
    try {
      const st = lstatSync(join(dir, n))
      if (st.isFile() && (uid === undefined || st.uid === uid)) unlinkSync(join(dir, n))
    } catch { /* raced with another cleaner, or not ours */ }
  }
}

export function writeFileAtomic(target: string, data: Uint8Array, opts: WriteOptions = {}): void {
  let real = target
  try { real = realpathSync(target) } catch { /* new file */ }
  let mode = opts.mode ?? 0o644 & ~process.umask()
  let owner: { uid: number; gid: number } | undefined
  let st: Stats | undefined
  try { st = statSync(real) } catch { /* new file */ }
  if (st && !st.isFile() && !st.isDirectory()) return writeSpecial(target, real, data)
  if (st) {
    mode = st.mode & 0o7777
    owner = { uid: st.uid, gid: st.gid }
  }
  const dir = dirname(real)
  removeStaleTemps(dir, basename(real))
  const tmp = join(dir, `.${basename(real)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  hookSignals()
  pending.add(tmp)
  let fd: number | undefined
  try {
    fd = openSync(tmp, 'wx', 0o600)
    let off = 0
    while (off < data.length) off += writeSync(fd, data, off, data.length - off)
    fsyncSync(fd)
    closeSync(fd)
    fd = undefined
    chmodSync(tmp, mode)
    if (owner && process.getuid?.() === 0) { try { chownSync(tmp, owner.uid, owner.gid) } catch { /* best effort */ } }
    renameSync(tmp, real)
    pending.delete(tmp)
    try {
      const dfd = openSync(dir, 'r')
      try { fsyncSync(dfd) } finally { closeSync(dfd) }
    } catch { /* some filesystems cannot fsync a folder */ }
  } catch (e) {
    if (fd !== undefined) { try { closeSync(fd) } catch { /* ignore */ } }
    try { unlinkSync(tmp) } catch { /* not created */ }
    pending.delete(tmp)
    const code = (e as NodeJS.ErrnoException).code
    throw new WriteError(`cannot write ${target}${code ? ` (${code})` : ''}`)
  }
}
