/** examples/: the app gets its settings from `sops-like run` (names shown, never values); the CI workflow is well-formed. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { encryptBytes } from '../src/ops/crypt/encrypt.js'
import { createAgeRecipient } from '../src/keys/age.js'
import { isolatedEnv, runCli, spawnCli } from './helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from './helpers/keys.js'

const EXAMPLES = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'examples')
const APP = join(EXAMPLES, 'app')

let t: ReturnType<typeof tempDir>
let k: TestKey
let enc: string
test.before(async () => {
  t = tempDir()
  k = await makeAgeKey(t.dir)
  enc = join(t.dir, 'secrets.enc.yaml')
  writeFileSync(enc, await encryptBytes(readFileSync(join(EXAMPLES, 'secrets.yaml')), { inputFormat: 'yaml', groups: [[createAgeRecipient(k.recipient)]] }))
})
test.after(() => t.cleanup())

/** The secret values of examples/secrets.yaml: none may appear in any output. */
const VALUES = ['s3cr3t-Pa55', 'sk_test_51HxExampleOnly', 'db.internal']

test('app: run gives it every setting; it prints names only', () => {
  const r = spawnCli(['run', '-f', enc, '--', process.execPath, 'server.mjs'], { env: isolatedEnv({ SOPS_AGE_KEY_FILE: k.file }), cwd: APP })
  assert.is(r.code, 0, r.stderr)
  for (const name of ['db_host', 'db_user', 'db_password', 'api_key']) assert.match(r.stdout, new RegExp(`^ok +${name}$`, 'm'))
  for (const v of VALUES) assert.not.ok(r.stdout.includes(v) || r.stderr.includes(v), 'a value was printed')
})

test('app: --upper names work too', () => {
  const r = spawnCli(['run', '--upper', '-f', enc, '--', process.execPath, 'server.mjs'], { env: isolatedEnv({ SOPS_AGE_KEY_FILE: k.file }), cwd: APP })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /^ok +db_password$/m)
})

test('app: without run it reports the missing settings and exits 1', () => {
  const r = spawnSync(process.execPath, ['server.mjs'], { cwd: APP, env: isolatedEnv(), encoding: 'utf8' })
  assert.is(r.status, 1)
  assert.match(r.stdout, /^MISSING db_password$/m)
  assert.match(r.stderr, /missing settings: db_host, db_user, db_password, api_key/)
})

test('github-actions.yml: runs the tests through sops-like run with SOPS_AGE_KEY from the secrets', () => {
  const wf = parse(readFileSync(join(EXAMPLES, 'github-actions.yml'), 'utf8')) as { jobs: Record<string, { steps: Array<{ run?: string; env?: Record<string, string> }> }> }
  const steps = Object.values(wf.jobs).flatMap((j) => j.steps)
  const runStep = steps.find((s) => /sops-like run .*-- npm test/.test(s.run ?? ''))
  assert.ok(runStep, 'no `sops-like run … -- npm test` step')
  assert.is(runStep.env?.SOPS_AGE_KEY, '${{ secrets.SOPS_AGE_KEY }}')
  assert.ok(steps.some((s) => /npm (install|i) .*sops-like/.test(s.run ?? '')), 'sops-like is not installed')
})

test('the repository config covers encrypted names only: check passes on every example file, a plaintext *.enc.* copy fails', async () => {
  const root = resolve(EXAMPLES, '..')
  const files = readdirSync(EXAMPLES, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath ?? d.path, d.name))
  const ok = await runCli(['check', ...files], { cwd: root })
  assert.is(ok.code, 0, ok.stderr)
  // the same rules, applied to a plaintext file under an encrypted name (in a copy: examples/ stays as it is)
  const copy = join(t.dir, 'repo')
  spawnSync('mkdir', ['-p', join(copy, 'examples')])
  writeFileSync(join(copy, '.sops-like.yaml'), readFileSync(join(root, '.sops-like.yaml')))
  writeFileSync(join(copy, 'examples', 'secrets.enc.yaml'), readFileSync(join(EXAMPLES, 'secrets.yaml')))
  const bad = await runCli(['check', 'examples/secrets.enc.yaml'], { cwd: copy })
  assert.is(bad.code, 40, bad.stderr)
})

test.run()
