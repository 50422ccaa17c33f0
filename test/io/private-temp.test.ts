/**
 * Private temp folders: 0700, named with the creating PID, and folders left by a process
 * that no longer exists (killed with SIGKILL mid-`edit`) are swept by the next one.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makePrivateDir, privateTempBase } from '../../src/io/private-temp.js'
import { tempDir } from '../helpers/keys.js'

const t = tempDir('sops-like-private-')
test.after(() => t.cleanup())

test('makePrivateDir: under XDG_RUNTIME_DIR, mode 0700, the PID in its name; else the OS temp folder', () => {
  const dir = makePrivateDir({ XDG_RUNTIME_DIR: t.dir }, 'edit')
  assert.ok(dir.startsWith(join(t.dir, `sops-like-edit-${process.pid}-`)), dir)
  assert.is(statSync(dir).mode & 0o777, 0o700)
  assert.is.not(privateTempBase({ XDG_RUNTIME_DIR: join(t.dir, 'missing') }), join(t.dir, 'missing'))
})

test('folders of processes that are gone are swept; live ones, ours and foreign names are kept', () => {
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout
  const stale = join(t.dir, `sops-like-edit-${dead}-abc123`)
  mkdirSync(stale)
  writeFileSync(join(stale, 'secrets.yaml'), 'password: plaintext left by a killed edit\n', { mode: 0o600 })
  const staleRun = join(t.dir, `sops-like-run-${dead}-def456`)
  mkdirSync(staleRun)
  const live = join(t.dir, `sops-like-edit-${process.ppid}-xyz`)
  mkdirSync(live)
  const foreign = join(t.dir, 'sops-like-notes')
  mkdirSync(foreign)
  makePrivateDir({ XDG_RUNTIME_DIR: t.dir }, 'run')
  assert.not.ok(existsSync(stale), 'stale edit folder removed')
  assert.not.ok(existsSync(staleRun), 'stale run folder removed')
  assert.ok(existsSync(live), 'a live process keeps its folder')
  assert.ok(existsSync(foreign), 'names not ours are left alone')
})

test.run()
