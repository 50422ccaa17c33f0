/**
 * Reads a secret (passphrase) from the controlling terminal without echo.
 * Returns undefined when there is no TTY (CI, pipes): callers then skip or fail.
 */
import { openSync, closeSync } from 'node:fs'
import { InterruptedError } from '../errors.js'

export async function promptSecret(question: string): Promise<string | undefined> {
  let fdIn: number
  let fdOut: number
  try {
    fdIn = openSync('/dev/tty', 'r')
    fdOut = openSync('/dev/tty', 'w')
  } catch {
    return undefined
  }
  const { ReadStream, WriteStream } = await import('node:tty') // only when a prompt is shown (start-up time)
  const input = new ReadStream(fdIn)
  const output = new WriteStream(fdOut)
  try {
    output.write(question)
    input.setRawMode(true)
    return await new Promise<string>((resolve, reject) => {
      let buf = ''
      input.on('data', (chunk: Buffer) => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') return resolve(buf)
          if (ch === '\u0003') return reject(new InterruptedError('interrupted at the passphrase prompt'))
          if (ch === '\u007f' || ch === '\b') buf = buf.slice(0, -1)
          else buf += ch
        }
      })
    })
  } finally {
    try { input.setRawMode(false) } catch { /* ignore */ }
    output.write('\n')
    input.destroy()
    output.destroy()
    try { closeSync(fdIn) } catch { /* already closed */ }
    try { closeSync(fdOut) } catch { /* already closed */ }
  }
}
