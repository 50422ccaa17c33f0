/**
 * Reads a secret (passphrase) from the controlling terminal without echo.
 * Returns undefined when there is no TTY (CI, pipes): callers then skip or fail.
 */
import { InterruptedError } from '../errors.js'
import { withTerminal } from './terminal.js'

export async function promptSecret(question: string): Promise<string | undefined> {
  return withTerminal(async (input, output) => {
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
    }
  })
}
