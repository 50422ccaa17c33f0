/**
 * Upward searches (the config, run's conventional files) stop below a folder others can write:
 * a file planted in /tmp (or another user's folder) above the working folder must not be loaded.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isTrustedFolder } from '../../src/io/folder-trust.js'
import { findConfig } from '../../src/config/find.js'
import { resolveRunFiles } from '../../src/ops/run/files.js'
import { loadEnv } from '../../src/ops/run/load-env.js'
import { makeAgeKey, tempDir } from '../helpers/keys.js'
import { isolatedEnv } from '../helpers/cli.js'
import { writeEncrypted } from '../helpers/run.js'

const posix = typeof process.getuid === 'function'
let t: ReturnType<typeof tempDir>
/** `shared` plays /tmp: world-writable; `shared/work` is the victim's own folder inside it. */
let shared: string
let work: string
test.before(() => {
  t = tempDir()
  shared = join(t.dir, 'shared')
  work = join(shared, 'work')
  mkdirSync(work, { recursive: true })
  chmodSync(shared, 0o1777)
})
test.after(() => t.cleanup())

test('isTrustedFolder: our folder yes; a world-writable one, a missing one or a symlink no', () => {
  if (!posix) return void console.log('  (no uids on this platform: skipped)')
  assert.ok(isTrustedFolder(work))
  assert.not.ok(isTrustedFolder(shared))
  assert.not.ok(isTrustedFolder(join(t.dir, 'missing')))
  symlinkSync(work, join(t.dir, 'link'))
  assert.not.ok(isTrustedFolder(join(t.dir, 'link')))
})

test('secrets file planted in a world-writable parent (/tmp): run from a folder inside it does not load it', async () => {
  if (!posix) return void console.log('  (no uids on this platform: skipped)')
  // encrypted to the victim's PUBLIC key (anyone has it), so it decrypts and its MAC holds
  const victim = await makeAgeKey(t.dir, 'victim')
  await writeEncrypted(shared, 'secrets.enc.yaml', 'NODE_OPTIONS: --require /tmp/evil.js\n', 'yaml', victim.recipient)
  const env = isolatedEnv({ SOPS_AGE_KEY_FILE: victim.file })
  try {
    const r = await resolveRunFiles(undefined, { cwd: work, env })
    assert.unreachable(`loaded ${r.files.join(', ')}`)
  } catch (e) {
    assert.is((e as { code?: string }).code, 'NO_FILE', String(e))
  }
  // nor from the world-writable folder itself; the message says why
  try {
    await resolveRunFiles(undefined, { cwd: shared, env })
    assert.unreachable('loaded from the world-writable folder')
  } catch (e) {
    assert.is((e as { code?: string }).code, 'NO_FILE', String(e))
    assert.match(String((e as Error).message), `${shared} is writable by others or not yours, so no file there is loaded unless named`)
  }
  // the victim's own file in the working folder still loads
  await writeEncrypted(work, 'secrets.enc.yaml', 'A: mine\n', 'yaml', victim.recipient)
  assert.equal(await loadEnv(undefined, { cwd: work, env }), { A: 'mine' })
})

test('config planted in a world-writable parent (/tmp): its rules and run.files are not used from a folder inside it', () => {
  if (!posix) return void console.log('  (no uids on this platform: skipped)')
  writeFileSync(join(shared, '.sops-like.yaml'), 'creation_rules:\n  - age: age1attacker\nrun:\n  files: [evil.enc.yaml]\n')
  const sub = join(work, 'sub')
  mkdirSync(sub, { recursive: true })
  assert.equal(findConfig(sub, { env: isolatedEnv({}) }), { path: null, searched: [sub, work], untrusted: shared })
  // nor from the world-writable folder itself (encrypt /tmp/x.yaml with no flags would silently use the attacker's rule)
  assert.is(findConfig(shared, { env: isolatedEnv({}) }).path, null)
  // a folder that does not exist yet (an output's) is passed over, not a stop
  writeFileSync(join(work, '.sops-like.yaml'), 'creation_rules: []\n')
  assert.is(findConfig(join(work, 'not-yet'), { env: isolatedEnv({}) }).path, join(work, '.sops-like.yaml'))
  // an explicit config is used wherever it is
  assert.is(findConfig(sub, { explicit: join(shared, '.sops-like.yaml') }).path, join(shared, '.sops-like.yaml'))
})

test.run()
