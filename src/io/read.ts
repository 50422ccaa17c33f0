/** Reads an input file (or stdin for `-`) with typed errors and no content in messages. */
import { readFileSync, statSync } from 'node:fs'
import { FileNotFoundError, ReadError } from '../errors.js'

/** Inputs above this size are refused (a sops file is small; this bounds memory). */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024

export function readInput(path: string): Buffer {
  if (path === '-') {
    try {
      return readFileSync(0)
    } catch {
      throw new ReadError('cannot read standard input')
    }
  }
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
  try {
    return readFileSync(path)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new ReadError(`cannot read ${path}${code ? ` (${code})` : ''}`)
  }
}
