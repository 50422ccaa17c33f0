/** keygen appends to a keys file; one that group or others can read gets a warning (as age-keygen gives), printed by the CLI. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { keygenToFile } from '../../../src/ops/keys/keygen.js'
import { isolatedEnv, runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/keys.js'

const t = tempDir('sops-like-keygen-')
test.after(() => t.cleanup())

test('new keys file: mode 0600, no warning', async () => {
  const p = join(t.dir, 'new', 'keys.txt')
  const id = await keygenToFile(p)
  assert.equal(id.warnings, [])
  assert.is(statSync(p).mode & 0o777, 0o600)
  assert.ok(readFileSync(p, 'utf8').includes(id.identity))
})

test('secret key appended to a world- or group-readable keys.txt: a warning naming the file and the fix, never the key', async () => {
  for (const [mode, who] of [[0o644, 'world'], [0o640, 'group']] as const) {
    const p = join(t.dir, `keys-${mode.toString(8)}.txt`)
    writeFileSync(p, '# old key\n')
    chmodSync(p, mode)
    const id = await keygenToFile(p)
    assert.is(id.warnings.length, 1)
    assert.match(id.warnings[0]!, new RegExp(`${who}-readable`))
    assert.ok(id.warnings[0]!.includes(p) && id.warnings[0]!.includes('chmod 600'), id.warnings[0])
    assert.not.ok(id.warnings[0]!.includes('AGE-SECRET-KEY'))
    assert.is(statSync(p).mode & 0o777, mode, 'the mode is the user\'s: only warned about')
  }
  const p = join(t.dir, 'keys-cli.txt')
  writeFileSync(p, '')
  chmodSync(p, 0o644)
  const r = await runCli(['keygen', '-o', p], { cwd: t.dir, env: isolatedEnv() })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /^sops-like: warning: .*world-readable.*chmod 600/m)
  assert.not.ok(r.stderr.includes('AGE-SECRET-KEY'))
  assert.match(r.stdout, /^age1/)
})

test.run()
