/**
 * Alias fan-out through the CLI, in real processes: a ~1 MB YAML file whose 300 aliases of one
 * 1 MB value stood for ~300 MB of tree took ~2.8 GB and crashed V8 in encrypt, decrypt and
 * textconv. Now encrypt and decrypt stop with LimitExceededError (exit 15) and textconv keeps
 * its contract (exit 0, the bytes passed through unchanged).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isolatedEnv, TSX_IMPORT } from '../../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'

const ENTRY = fileURLToPath(new URL('../../helpers/cli-entry.ts', import.meta.url))
let t: ReturnType<typeof tempDir>
let k: TestKey
test.before(async () => {
  t = tempDir('sops-like-alias-')
  k = await makeAgeKey(t.dir)
})
test.after(() => t.cleanup())

/** The CLI from source; a V8 out-of-memory crash would show as a signal or exit 134. */
function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', TSX_IMPORT, ENTRY, ...args], {
    cwd: t.dir, env: isolatedEnv({ SOPS_AGE_KEY_FILE: k.file }), timeout: 120_000, killSignal: 'SIGKILL', maxBuffer: 64 << 20,
  })
  assert.is(r.signal, null, `${args[0]} was killed`)
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString('utf8') }
}

const FAN_OUT = `big: &v ${'x'.repeat(1_000_000)}\ncopies:\n${'    - *v\n'.repeat(300)}`

test('alias fan-out: 300 aliases of one 1 MB value — encrypt and decrypt exit 15 (LimitExceededError), textconv passes the file through', () => {
  writeFileSync(join(t.dir, 'fan.yaml'), FAN_OUT)
  const enc = cli(['encrypt', '--age', k.recipient, 'fan.yaml'])
  assert.is(enc.code, 15, enc.stderr)
  assert.match(enc.stderr, /YAML aliases expand to too much data .* at line \d+, column \d+/)
  assert.is(enc.stderr.trim().split('\n').length, 1)
  assert.not.ok(enc.stderr.includes('xxxx'), 'no file content in the message')

  // an encrypted file with the fan-out added by hand (no key needed for that)
  writeFileSync(join(t.dir, 'small.yaml'), 'k: v\n')
  const small = cli(['encrypt', '--age', k.recipient, 'small.yaml'])
  assert.is(small.code, 0, small.stderr)
  const hostile = FAN_OUT + small.stdout.toString('utf8')
  writeFileSync(join(t.dir, 'fan.enc.yaml'), hostile)
  const dec = cli(['decrypt', 'fan.enc.yaml'])
  assert.is(dec.code, 15, dec.stderr)
  assert.match(dec.stderr, /YAML aliases expand to too much data/)

  const tc = cli(['textconv', 'fan.enc.yaml'])
  assert.is(tc.code, 0, tc.stderr)
  assert.ok(tc.stdout.equals(readFileSync(join(t.dir, 'fan.enc.yaml'))), 'textconv shows the bytes unchanged')
})

test.run()
