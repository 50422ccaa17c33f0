/** example: keyless skeleton of an encrypted file (same keys, empty values, plain comments only, no metadata). */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { exampleBytes, exampleFile } from '../../../src/ops/run/example.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { writeEncrypted } from '../../helpers/run.js'
import { CANARY } from '../../helpers/fixtures.js'

let t: ReturnType<typeof tempDir>
let k: TestKey
test.before(async () => {
  t = tempDir()
  k = await makeAgeKey(t.dir, 'a')
})
test.after(() => t.cleanup())

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8')

test('json: same structure, every value an empty string, no sops block', async () => {
  await writeEncrypted(t.dir, 'a.enc.json', `{"db": {"password": "${CANARY}", "port": 5432}, "hosts": ["a", "b"], "on": true, "nil": null, "note_unencrypted": "${CANARY}"}`, 'json', k.recipient)
  const out = text(await exampleFile('a.enc.json', { cwd: t.dir }))
  assert.equal(JSON.parse(out), { db: { password: '', port: '' }, hosts: ['', ''], on: '', nil: '', note_unencrypted: '' })
  assert.not.ok(out.includes('sops'))
  assert.not.ok(out.includes(CANARY))
})

test('dotenv: encrypted comments dropped, clear comments kept', async () => {
  const p = await writeEncrypted(t.dir, 'b.enc.env', `# secret note ${CANARY}\nA=${CANARY}\nB_unencrypted=visible\n`, 'dotenv', k.recipient)
  // a clear comment, as files written with older tools or edited by hand may hold
  writeFileSync(p, `# clear comment\n${readFileSync(p, 'utf8')}`)
  const out = text(await exampleFile(p))
  assert.is(out, '# clear comment\nA=\nB_unencrypted=\n')
})

test('toml keeps its tables', async () => {
  await writeEncrypted(t.dir, 'c.enc.toml', `a = 1\n\n[server]\nhost = "${CANARY}"\nports = [1, 2]\n`, 'toml', k.recipient)
  const out = text(await exampleFile('c.enc.toml', { cwd: t.dir }))
  assert.match(out, /^a = ""/m)
  assert.match(out, /^\[server\]$/m)
  assert.match(out, /^host = ""$/m)
  assert.not.ok(out.includes('sops'))
  assert.not.ok(out.includes(CANARY))
})

test('a plaintext file is refused (11)', async () => {
  try {
    await exampleBytes(Buffer.from(`{"a": "${CANARY}"}`), 'json')
    assert.unreachable()
  } catch (e) {
    assert.is((e as { exitCode: number }).exitCode, 11)
    assert.not.ok((e as Error).message.includes(CANARY))
  }
})

test('needs no key at all', async () => {
  const p = join(t.dir, 'a.enc.json')
  assert.ok((await exampleFile(p, { inputType: 'json' })).length > 0)
})

test.run()
