/**
 * The checks before a file is rewritten in place (`encrypt -i`, `decrypt -i`, `set`,
 * `unset`, `edit`, `rotate`, `updatekeys`), done before it is even read:
 *
 * - it must be a regular file (a symlink to one is fine: the write goes through it). A FIFO
 *   would block the read forever, and a device or folder cannot be replaced by a file.
 * - when asked (`set`/`unset`/`edit`), it must be writable by its owner: the atomic rename
 *   needs only the folder's permission, so without this check a file made read-only
 *   (chmod a-w, mode 0444) on purpose would be silently replaced. `--force` skips it.
 *
 * A file that does not exist passes: the caller reports it (or creates it, like `edit`).
 */
import { statSync, type Stats } from 'node:fs'
import { NotRegularFileError, ReadOnlyFileError } from '../errors.js'

export interface InPlaceCheck {
  /** Refuse a file without owner write permission (ReadOnlyFileError); the CLI's `--force` turns this off. */
  refuseReadOnly?: boolean
}

const kindOf = (st: Stats): string =>
  st.isFIFO() ? 'a FIFO (named pipe)' : st.isDirectory() ? 'a folder' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'something else'

/** Throws NotRegularFileError or ReadOnlyFileError (see module doc); `path` is named in the message. */
export function assertInPlaceTarget(path: string, check: InPlaceCheck = {}): void {
  let st: Stats
  try {
    st = statSync(path)
  } catch {
    return // missing or unreadable: the read that follows says so
  }
  if (!st.isFile()) throw new NotRegularFileError(`${path} is ${kindOf(st)}, not a regular file: it cannot be rewritten in place`)
  if (check.refuseReadOnly && (st.mode & 0o200) === 0) {
    throw new ReadOnlyFileError(`${path} is read-only (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}): refusing to rewrite it`, { hint: 'make it writable with chmod u+w, or pass --force' })
  }
}
