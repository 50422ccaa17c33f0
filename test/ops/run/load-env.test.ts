/** loadEnv / resolveRunFiles: which files, later files win, plaintext refusal, typed errors without values. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadEnv, loadEnvEntries } from '../../../src/ops/run/load-env.js'
import { CONVENTIONAL_RUN_FILES, resolveRunFiles } from '../../../src/ops/run/files.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { isolatedEnv } from '../../helpers/cli.js'
import { writeEncrypted } from '../../helpers/run.js'
import { CANARY } from '../../helpers/fixtures.js'

let t: ReturnType<typeof tempDir>
let k: TestKey
let other: TestKey
test.before(async () => {
  t = tempDir()
  k = await makeAgeKey(t.dir, 'a')
  other = await makeAgeKey(t.dir, 'b')
  await writeEncrypted(t.dir, 'base.enc.json', JSON.stringify({ A: 'base', B: 'base', db: { password: CANARY } }), 'json', k.recipient)
  await writeEncrypted(t.dir, 'prod.enc.env', `# prod\nB=prod\nC=prod\n`, 'dotenv', k.recipient)
  await writeEncrypted(t.dir, 'other.enc.json', JSON.stringify({ X: CANARY }), 'json', other.recipient)
  writeFileSync(join(t.dir, 'plain.json'), JSON.stringify({ P: CANARY }))
})
test.after(() => t.cleanup())

const opts = (extra: Record<string, unknown> = {}) => ({ cwd: t.dir, env: isolatedEnv({ SOPS_AGE_KEY_FILE: k.file }), ...extra })

async function rejects(p: Promise<unknown>): Promise<Error & { exitCode: number; code: string }> {
  try {
    await p
  } catch (e) {
    return e as Error & { exitCode: number; code: string }
  }
  throw new Error('expected a rejection')
}

test('loads files in order; later files win; formats from the names', async () => {
  const vars = await loadEnv(['base.enc.json', 'prod.enc.env'], opts())
  assert.equal(vars, { A: 'base', db_password: CANARY, B: 'prod', C: 'prod' })
  const { entries, files } = await loadEnvEntries(['base.enc.json', 'prod.enc.env'], opts())
  assert.equal(files, [join(t.dir, 'base.enc.json'), join(t.dir, 'prod.enc.env')])
  assert.is(entries.get('B')!.file, 'prod.enc.env')
  assert.is(entries.get('A')!.file, 'base.enc.json')
})

test('--upper applies to all files', async () => {
  assert.equal(Object.keys(await loadEnv(['base.enc.json'], opts({ upper: true }))), ['A', 'B', 'DB_PASSWORD'])
})

test('a plaintext file is refused (11) unless allowPlaintext', async () => {
  const e = await rejects(loadEnv(['plain.json'], opts()))
  assert.is(e.exitCode, 11)
  assert.match(e.message, /plain\.json is not encrypted/)
  assert.not.ok(e.message.includes(CANARY))
  assert.equal(await loadEnv(['plain.json'], opts({ allowPlaintext: true })), { P: CANARY })
})

test('missing file, no key, MAC mismatch: typed errors that name the file, never a value', async () => {
  const missing = await rejects(loadEnv(['nope.enc.json'], opts()))
  assert.is(missing.exitCode, 100)
  const noKey = await rejects(loadEnv(['base.enc.json', 'other.enc.json'], opts()))
  assert.is(noKey.exitCode, 128)
  assert.match(noKey.message, /^other\.enc\.json: /)
  const tampered = JSON.parse(readFileSync(join(t.dir, 'base.enc.json'), 'utf8'))
  tampered.A = JSON.parse(readFileSync(join(t.dir, 'base.enc.json'), 'utf8')).B
  writeFileSync(join(t.dir, 'tampered.enc.json'), JSON.stringify(tampered))
  const mac = await rejects(loadEnv(['tampered.enc.json'], opts()))
  assert.ok(mac.exitCode === 51 || mac.exitCode === 25, String(mac.exitCode))
  for (const e of [missing, noKey, mac]) assert.not.ok(e.message.includes(CANARY))
})

test('default files: run.files from the config (relative to its folder), else conventional names', async () => {
  const proj = join(t.dir, 'proj')
  const sub = join(proj, 'sub')
  mkdirSync(sub, { recursive: true })
  // no config, no files: the error lists where it looked
  const none = await resolveRunFiles(undefined, { cwd: sub, env: isolatedEnv() }).then(() => null, (e) => e as Error & { exitCode: number })
  assert.ok(none)
  assert.is(none!.exitCode, 100)
  for (const n of CONVENTIONAL_RUN_FILES) assert.ok(none!.message.includes(n), n)
  assert.ok(none!.message.includes(sub))
  // conventional names that exist, in the listed order
  await writeEncrypted(sub, '.env.enc', 'A=dotenv\n', 'dotenv', k.recipient)
  await writeEncrypted(sub, 'secrets.enc.json', JSON.stringify({ A: 'json', J: 'j' }), 'json', k.recipient)
  assert.equal(await resolveRunFiles(undefined, { cwd: sub, env: isolatedEnv() }), { files: [join(sub, 'secrets.enc.json'), join(sub, '.env.enc')], source: 'conventional' })
  assert.equal(await loadEnv(undefined, opts({ cwd: sub })), { A: 'dotenv', J: 'j' })
  // a config with run.files wins over the conventional names
  writeFileSync(join(proj, '.sops-like.yaml'), 'run:\n  files:\n    - sub/secrets.enc.json\n')
  assert.equal((await resolveRunFiles(undefined, { cwd: sub, env: isolatedEnv() })).files, [join(sub, 'secrets.enc.json')])
  assert.equal(await loadEnv([], opts({ cwd: sub })), { A: 'json', J: 'j' })
  // given files win over both
  assert.equal(await resolveRunFiles(['x.enc.json'], { cwd: sub }), { files: [join(sub, 'x.enc.json')], source: 'given' })
})

test.run()
