/**
 * Private temporary folders for decrypted data (`edit`'s file, `run --as-file`'s FIFO): mode
 * 0700 under `$XDG_RUNTIME_DIR` when it is a folder (a per-user tmpfs on most Linux systems),
 * else the OS temp folder. Each folder's name carries the creating process's PID, so folders
 * left behind by a process that was killed outright (SIGKILL, power loss: no handler runs) are
 * removed by the next sops-like that creates one.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WriteError } from '../errors.js'

const STALE = /^sops-like-[a-z]*-?(\d+)-/

/** The folder private temp folders go in. */
export function privateTempBase(env: NodeJS.ProcessEnv): string {
  const x = env.XDG_RUNTIME_DIR
  if (x) {
    try {
      if (statSync(x).isDirectory()) return x
    } catch { /* missing: fall back */ }
  }
  return tmpdir()
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

/** Removes our own private folders whose creating process no longer exists. Never throws. */
export function removeStalePrivateDirs(base: string): void {
  let names: string[]
  try { names = readdirSync(base) } catch { return }
  const uid = process.getuid?.()
  for (const name of names) {
    const m = STALE.exec(name)
    if (!m || Number(m[1]) === process.pid || processExists(Number(m[1]))) continue
    try {
      const st = statSync(join(base, name))
      if (st.isDirectory() && (uid === undefined || st.uid === uid)) rmSync(join(base, name), { recursive: true, force: true })
    } catch { /* raced with another cleaner, or not ours */ }
  }
}

/** Creates a 0700 folder `<base>/sops-like-<kind>-<pid>-XXXXXX` after sweeping stale ones; WriteError when it cannot. */
export function makePrivateDir(env: NodeJS.ProcessEnv, kind: string): string {
  const base = privateTempBase(env)
  removeStalePrivateDirs(base)
  try {
    const dir = mkdtempSync(join(base, `sops-like-${kind}-${process.pid}-`))
    chmodSync(dir, 0o700)
    return dir
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new WriteError(`cannot create a private temporary folder${code ? ` (${code})` : ''}`)
  }
}
