/** `keygen [-o FILE]`: a new age identity; prints the public recipient. */
import { resolve } from 'node:path'
import { defaultKeygenPath, generateAgeIdentity, keygenToFile } from '../../ops/keys/keygen.js'
import type { CliIo } from '../io.js'

export async function runKeygen(f: { output?: string }, io: CliIo): Promise<number> {
  if (f.output === '-') {
    const id = await generateAgeIdentity()
    io.stdout.write(id.text)
    return 0
  }
  const path = f.output ? resolve(io.cwd, f.output) : defaultKeygenPath(io.env)
  const id = await keygenToFile(path)
  io.stderr.write(`sops-like: wrote a new age identity to ${path}\n`)
  for (const w of id.warnings) io.stderr.write(`sops-like: warning: ${w}\n`)
  io.stdout.write(`${id.recipient}\n`)
  return 0
}
