/** `keygen [-o FILE] [--pq]`: a new age identity; prints the public recipient. */
import { resolve } from 'node:path'
import { defaultKeygenPath, generateAgeIdentity, keygenToFile } from '../../ops/keys/keygen.js'
import type { CliIo } from '../io.js'
import { defined } from '../../defined.js'

export async function runKeygen(f: { output?: string; pq?: boolean }, io: CliIo): Promise<number> {
  const opts = defined({ pq: f.pq })
  if (f.output === '-') {
    const id = await generateAgeIdentity(new Date(), opts)
    io.stdout.write(id.text)
    return 0
  }
  const path = f.output ? resolve(io.cwd, f.output) : defaultKeygenPath(io.env)
  const id = await keygenToFile(path, opts)
  io.stderr.write(`sops-like: wrote a new ${f.pq ? 'post-quantum (ML-KEM-768 + X25519) ' : ''}age identity to ${path}\n`)
  for (const w of id.warnings) io.stderr.write(`sops-like: warning: ${w}\n`)
  io.stdout.write(`${id.recipient}\n`)
  return 0
}
