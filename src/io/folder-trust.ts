/**
 * Whether a folder may supply a config or a secrets file that a command finds by itself (not one
 * it is given). Searching (the config, `run`'s conventional files) must not cross into a folder others
 * can write: in `/tmp` (world-writable) or a folder of another user, anyone could plant a
 * `.sops-like.yaml` whose rules add their recipient, or a `secrets.enc.yaml` encrypted to our
 * public key whose NODE_OPTIONS / LD_PRELOAD `run` would export. Like git's safe.directory, a
 * folder counts when we (or root) own it, and no one else can write it; root also trusts a
 * folder of another user that only its owner can write (a CI container's checkout).
 * Symlinks are not followed (lstat). On Windows (no uids) every folder counts.
 */
import { lstatSync } from 'node:fs'

/** True when `dir` is a real folder only we (or root) can write; false when in doubt. */
export function isTrustedFolder(dir: string): boolean {
  const me = typeof process.getuid === 'function' ? process.getuid() : undefined
  if (me === undefined) return true
  let st
  try {
    st = lstatSync(dir)
  } catch {
    return false
  }
  if (!st.isDirectory() || st.mode & 0o002) return false
  if (st.uid === me) return true
  return (st.uid === 0 || me === 0) && !(st.mode & 0o020)
}
