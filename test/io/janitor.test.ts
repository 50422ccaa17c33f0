/**
 * The watcher of src/io/janitor.ts: a private folder is removed when the process that made
 * it dies with no handler running (SIGKILL stands in for the out-of-memory killer), and the
 * watcher never keeps that process alive.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { TSX_IMPORT } from '../helpers/cli.js'
import { tempDir } from '../helpers/keys.js'

const t = tempDir('sops-like-janitor-')
test.after(() => t.cleanup())
const MODULE = pathToFileURL(fileURLToPath(new URL('../../src/io/janitor.ts', import.meta.url))).href
let n = 0

/** Runs `tail` in a child after starting a watcher on a fresh folder holding a file; returns the folder and the child's end. */
function child(tail: string): { dir: string; status: number | null; signal: string | null } {
  const dir = join(t.dir, `private-${n}`)
  mkdirSync(dir, { mode: 0o700 })
  writeFileSync(join(dir, 'secrets.yaml'), 'password: decrypted\n', { mode: 0o600 })
  const script = join(t.dir, `child-${n++}.mts`)
  writeFileSync(script, `import { removeWhenProcessDies } from ${JSON.stringify(MODULE)}\nremoveWhenProcessDies(${JSON.stringify(dir)})\n${tail}\n`)
  const r = spawnSync(process.execPath, ['--import', TSX_IMPORT, script], { encoding: 'utf8', timeout: 60000 })
  return { dir, status: r.status, signal: r.signal }
}

async function gone(dir: string): Promise<boolean> {
  for (let i = 0; i < 400 && existsSync(dir); i++) await new Promise((r) => setTimeout(r, 50)) // up to 20 s on a loaded machine
  return !existsSync(dir)
}

test('process killed outright (SIGKILL, as by the out-of-memory killer) holding decrypted data: the watcher removes its folder', async () => {
  const r = child("setTimeout(() => process.kill(process.pid, 'SIGKILL'), 300)")
  assert.is(r.signal, 'SIGKILL')
  assert.ok(await gone(r.dir), 'the folder outlived the killed process')
})

test('the watcher does not keep its process alive; a normal end also removes the folder', async () => {
  const r = child('')
  assert.is(r.status, 0)
  assert.ok(await gone(r.dir))
})

test.run()
