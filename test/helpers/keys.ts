/** Throwaway age keys for tests. */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateAgeIdentity } from '../../src/ops/keys/keygen.js'

export interface TestKey { identity: string; recipient: string; file: string }

export async function makeAgeKey(dir: string, name = 'key'): Promise<TestKey> {
  const id = await generateAgeIdentity()
  const file = join(dir, `${name}.txt`)
  writeFileSync(file, id.text, { mode: 0o600 })
  return { identity: id.identity, recipient: id.recipient, file }
}

export function tempDir(prefix = 'sops-like-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}
