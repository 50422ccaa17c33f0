/**
 * Private temporary folders for decrypted data (`edit`'s file, `run --as-file`'s FIFO).
 *
 * They live under a per-user base folder, never directly in a shared temp folder:
 * `$XDG_RUNTIME_DIR/sops-like` when XDG_RUNTIME_DIR is a real folder owned by us that no
 * one else can write (a per-user tmpfs on most Linux systems), else
 * `$TMPDIR/sops-like-<uid>` (OS temp folder when TMPDIR is unset). The base is created
 * 0700 and, before every use, checked with lstat: a real folder (not a symlink), owned by
 * us, no group/other permission bits. Anything else is refused (WriteError naming the
 * folder): another user created it first, which is an attack or a misconfiguration that
 * falling back would hide.
 *
 * Each folder's name carries the creating process's PID and PID namespace, so folders
 * left behind by a process killed outright (SIGKILL, out of memory: no handler runs) are
 * removed by the next sops-like that creates one. That sweep looks only inside the base,
 * never follows a link (lstat), and removes only real folders owned by us.
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, type Stats } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { WriteError } from '../errors.js'

/** `sops-like-<kind>-<pid>-<pid namespace>-<6 random hex digits>`. */
const NAME = /^sops-like-[a-z]+-(\d+)-(\d+)-[A-Za-z0-9]{6}$/

const uidOf = (): number | undefined => process.getuid?.()

/** This process's PID namespace (its inode number on Linux), '0' where unknown. */
function pidNamespace(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0'
  } catch {
    return '0'
  }
}

/** Why `st` is not a private folder of ours (undefined when it is). */
function notPrivate(st: Stats, uid: number | undefined, badBits: number): string | undefined {
  if (st.isSymbolicLink()) return 'it is a symbolic link'
  if (!st.isDirectory()) return 'it is not a folder'
  if (uid === undefined) return undefined // no owners or POSIX modes (Windows)
  if (st.uid !== uid) return `it is owned by uid ${st.uid}, not by you (uid ${uid})`
  if (st.mode & badBits) return `its mode ${(st.mode & 0o777).toString(8).padStart(4, '0')} lets other users in`
  return undefined
}

/** XDG_RUNTIME_DIR when it is usable: absolute, a real folder of ours that group and others cannot write. */
function runtimeDir(env: NodeJS.ProcessEnv): string | undefined {
  const x = env.XDG_RUNTIME_DIR
  if (!x || !isAbsolute(x)) return undefined
  try {
    return notPrivate(lstatSync(x), uidOf(), 0o022) === undefined ? x : undefined
  } catch {
    return undefined
  }
}

/** The per-user folder private temp folders go in (not created here; see module doc). */
export function privateTempBase(env: NodeJS.ProcessEnv): string {
  const x = runtimeDir(env)
  if (x) return join(x, 'sops-like')
  const uid = uidOf()
  return join(env.TMPDIR || tmpdir(), uid === undefined ? 'sops-like' : `sops-like-${uid}`)
}

/** Creates the base folder (0700) if missing and checks it is ours and private; WriteError otherwise. */
export function ensurePrivateBase(base: string): string {
  try {
    mkdirSync(base, { mode: 0o700 })
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code !== 'EEXIST') throw new WriteError(`cannot create the private temporary folder ${base}${code ? ` (${code})` : ''}`, { hint: 'set TMPDIR to a folder you can write' })
  }
  let why: string | undefined
  try {
    why = notPrivate(lstatSync(base), uidOf(), 0o077)
  } catch (e) {
    why = `it cannot be checked (${(e as NodeJS.ErrnoException).code ?? 'error'})`
  }
  if (why) {
    throw new WriteError(`refusing to use ${base} for decrypted data: ${why}`, {
      hint: 'another user may have created it: remove it, or set TMPDIR to a private folder, and try again',
    })
  }
  return base
}

/** Whether a process with this PID exists (on this machine). */
export const processExists = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' // exists, not ours to signal
  }
}

/**
 * Removes our own private folders in `base` whose creating process no longer exists (same
 * PID namespace only: a PID from another namespace says nothing here). Entries are checked
 * with lstat: symlinks, files and folders of other users are left alone. Never throws.
 */
export function removeStalePrivateDirs(base: string): void {
  let names: string[]
  try { names = readdirSync(base) } catch { return }
  const uid = uidOf()
  const ns = pidNamespace()
  for (const name of names) {
    const m = NAME.exec(name)
    if (!m || m[2] !== ns || Number(m[1]) === process.pid || processExists(Number(m[1]))) continue
    const path = join(base, name)
    try {
      // only we can rename entries of our 0700 base, so the folder checked is the folder removed;
      // rmSync unlinks symlinks found inside instead of following them
      if (notPrivate(lstatSync(path), uid, 0) === undefined) rmSync(path, { recursive: true, force: true })
    } catch { /* raced with another cleaner */ }
  }
}

/**
 * Creates a 0700 folder `<base>/sops-like-<kind>-<pid>-<ns>-<random>` after sweeping stale
 * ones; WriteError when it cannot. `beforeCreate` gets the path first (to start a watcher
 * that removes it, so that no moment exists where the folder is there and unwatched).
 */
export function makePrivateDir(env: NodeJS.ProcessEnv, kind: string, beforeCreate?: (dir: string) => void): string {
  const base = ensurePrivateBase(privateTempBase(env))
  removeStalePrivateDirs(base)
  const dir = join(base, `sops-like-${kind}-${process.pid}-${pidNamespace()}-${randomBytes(3).toString('hex')}`)
  beforeCreate?.(dir)
  try {
    mkdirSync(dir, { mode: 0o700 }) // fails if it exists: only we write in the base
    chmodSync(dir, 0o700) // whatever the umask
    return dir
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new WriteError(`cannot create a private temporary folder in ${base}${code ? ` (${code})` : ''}`)
  }
}
