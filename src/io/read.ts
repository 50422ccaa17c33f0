/** Reads an input file (or stdin for `-`) with typed errors and no content in messages. */
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { FileNotFoundError, ReadError } from '../errors.js'

/** Inputs above this size are refused (a sops file is small; this bounds memory). */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024

const PAUSE = new Int32Array(new SharedArrayBuffer(4))

/**
 * Reads from an open descriptor until EOF, refusing more than MAX_INPUT_BYTES: a device or
 * pipe has no size to check first (`/dev/zero`, `/dev/full` or an endless pipe would
 * otherwise grow the buffer until memory runs out).
 */
function readBounded(fd: number, what: string, sizeHint = 0): Buffer {
  const chunks: Buffer[] = []
  let total = 0
  let buf = Buffer.allocUnsafe(Math.min(Math.max(sizeHint + 1, 64 * 1024), MAX_INPUT_BYTES + 1))
  let used = 0
  for (;;) {
    if (used === buf.length) {
      chunks.push(buf)
      buf = Buffer.allocUnsafe(Math.min(Math.max(buf.length, 1 << 20), MAX_INPUT_BYTES + 1 - total))
      used = 0
      if (buf.length === 0) throw new ReadError(`${what} is larger than ${MAX_INPUT_BYTES} bytes`)
    }
    let n: number
    try {
      n = readSync(fd, buf, used, buf.length - used, null)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'EAGAIN') { Atomics.wait(PAUSE, 0, 0, 5); continue } // non-blocking stdin: wait for data
      if (code === 'EOF') break
      throw new ReadError(`cannot read ${what}${code ? ` (${code})` : ''}`)
    }
    if (n === 0) break
    used += n
    total += n
    if (total > MAX_INPUT_BYTES) throw new ReadError(`${what} is larger than ${MAX_INPUT_BYTES} bytes`)
  }
  chunks.push(buf.subarray(0, used))
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)
}

export function readInput(path: string): Buffer {
  if (path === '-') return readBounded(0, 'standard input')
  let size: number
  try {
    const st = statSync(path)
    if (st.isDirectory()) throw new ReadError(`${path} is a directory`)
    size = st.size
  } catch (e) {
    if (e instanceof ReadError) throw e
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new FileNotFoundError(`file ${path} does not exist`)
    throw new ReadError(`cannot read ${path}${code ? ` (${code})` : ''}`)
  }
  if (size > MAX_INPUT_BYTES) throw new ReadError(`${path} is larger than ${MAX_INPUT_BYTES} bytes`)
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new ReadError(`cannot read ${path}${code ? ` (${code})` : ''}`)
  }
  try {
    return readBounded(fd, path, size)
  } finally {
    closeSync(fd)
  }
}
