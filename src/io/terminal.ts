/**
 * The controlling terminal (/dev/tty), opened only while the CLI asks something: prompts read
 * it directly so that they work while stdin and stdout are files or pipes. Without a terminal
 * (CI, pipes) there is nothing to ask: callers get undefined and skip or fail.
 */
import { closeSync, openSync } from 'node:fs'
import type { ReadStream, WriteStream } from 'node:tty'

/** Runs `use` on the terminal's input and output streams and closes both after; undefined without a terminal. */
export async function withTerminal<T>(use: (input: ReadStream, output: WriteStream) => Promise<T>): Promise<T | undefined> {
  let fdIn: number
  let fdOut: number
  try {
    fdIn = openSync('/dev/tty', 'r')
  } catch {
    return undefined
  }
  try {
    fdOut = openSync('/dev/tty', 'w')
  } catch {
    closeSync(fdIn)
    return undefined
  }
  const tty = await import('node:tty') // only when a question is asked (start-up time)
  const input = new tty.ReadStream(fdIn)
  const output = new tty.WriteStream(fdOut)
  try {
    return await use(input, output)
  } finally {
    input.destroy()
    output.destroy()
    try { closeSync(fdIn) } catch { /* already closed */ }
    try { closeSync(fdOut) } catch { /* already closed */ }
  }
}

/** Asks one question, answer echoed; undefined without a terminal, or when the user interrupts (Ctrl-C) or ends input. */
export async function promptLine(question: string): Promise<string | undefined> {
  const { createInterface } = await import('node:readline')
  return withTerminal((input, output) => {
    const rl = createInterface({ input, output, terminal: true })
    return new Promise<string | undefined>((done) => {
      rl.once('SIGINT', () => done(undefined))
      rl.once('close', () => done(undefined))
      rl.question(question, done)
    }).finally(() => rl.close())
  })
}
