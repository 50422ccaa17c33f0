/** encryptFile picks the creation rule by the encrypted file's name: `-o NAME`, `--filename-override`; on stdout the error says how to name it. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli, isolatedEnv } from '../../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { encryptFile } from '../../../src/ops/crypt/files.js'

let t: ReturnType<typeof tempDir>
let team: TestKey
let prod: TestKey
const env = () => isolatedEnv()

test.before(async () => {
  t = tempDir('sops-like-files-')
  team = await makeAgeKey(t.dir, 'team')
  prod = await makeAgeKey(t.dir, 'prod')
  writeFileSync(join(t.dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: \\.prod\\.enc\\.\n    age: ${prod.recipient}\n  - path_regex: \\.enc\\.\n    age: ${team.recipient}\n`)
  writeFileSync(join(t.dir, 'secrets.yaml'), 'password: p\n')
})
test.after(() => t.cleanup())

const recipientsOf = (file: string) => readFileSync(join(t.dir, file), 'utf8')

test('encrypt secrets.yaml -o secrets.enc.yaml: the rule of the output name (was: exit 12, no rule matches secrets.yaml)', async () => {
  const r = await runCli(['encrypt', 'secrets.yaml', '-o', 'secrets.enc.yaml'], { cwd: t.dir, env: env() })
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, '')
  assert.ok(recipientsOf('secrets.enc.yaml').includes(team.recipient))
  await encryptFile('secrets.yaml', { cwd: t.dir, env: env(), output: 'app.prod.enc.yaml' })
  assert.ok(recipientsOf('app.prod.enc.yaml').includes(prod.recipient))
  assert.not.ok(recipientsOf('app.prod.enc.yaml').includes(team.recipient))
})

test('encrypt -o NAME falls back to the input name when no rule matches NAME; neither: the error names NAME', async () => {
  writeFileSync(join(t.dir, 'db.enc.yaml.in'), 'a: 1\n') // the input name matches \.enc\.
  await encryptFile('db.enc.yaml.in', { cwd: t.dir, env: env(), output: 'out.yaml', inputType: 'yaml' })
  assert.ok(recipientsOf('out.yaml').includes(team.recipient))
  const r = await runCli(['encrypt', 'secrets.yaml', '-o', 'plain-name.yaml'], { cwd: t.dir, env: env() })
  assert.is(r.code, 12)
  assert.match(r.stderr, /matches plain-name\.yaml/)
  assert.not.ok(existsSync(join(t.dir, 'plain-name.yaml')))
})

test('encrypt to stdout with no rule for the input name: exit 12, nothing on stdout, the error names --filename-override and -o', async () => {
  const r = await runCli(['encrypt', 'secrets.yaml'], { cwd: t.dir, env: env() })
  assert.is(r.code, 12)
  assert.is(r.stdout, '')
  assert.match(r.stderr, /no creation rule .* matches secrets\.yaml .*-o NAME.*--filename-override NAME/)
  assert.is(r.stderr.trim().split('\n').length, 1)
  const o = await runCli(['encrypt', '--filename-override', 'x.enc.yaml', 'secrets.yaml'], { cwd: t.dir, env: env() })
  assert.is(o.code, 0, o.stderr)
  assert.ok(o.stdout.includes(team.recipient))
})

test.run()
