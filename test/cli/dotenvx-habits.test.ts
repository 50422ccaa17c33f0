/**
 * A dotenvx user's habits on the CLI (issue 19): `run --overload`, `get`, `set FILE KEY VALUE` on a
 * dotenv file, `printf x | set --value-stdin`, and `run` from a subfolder finding the repository's
 * secrets (and naming them with --dry-run).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isolatedEnv, runCli, spawnCli } from '../helpers/cli.js'
import { CANARY } from '../helpers/fixtures.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { dumpEnvCommand, readEnvDump, writeEncrypted } from '../helpers/run.js'

const t = tempDir('sops-like-habits-')
let k: TestKey
const env = (extra: NodeJS.ProcessEnv = {}) => isolatedEnv({ SOPS_AGE_KEY_FILE: k.file, ...extra })
const cli = (args: string[], extra: NodeJS.ProcessEnv = {}, cwd = t.dir) => runCli(args, { cwd, env: env(extra) })

test.before(async () => {
  k = await makeAgeKey(t.dir)
  await writeEncrypted(t.dir, '.env.enc', `API_KEY=${CANARY}\nEXTRA=from-file\n`, 'dotenv', k.recipient)
  await writeEncrypted(t.dir, 'app.enc.yaml', `db:\n  password: ${CANARY}\n`, 'yaml', k.recipient)
})
test.after(() => t.cleanup())

test('run --overload is --override: the file wins over a variable already set; --help lists it as the same thing', async () => {
  const out = join(t.dir, 'env.json')
  for (const flag of ['--overload', '--override']) {
    const r = await cli(['run', flag, '-f', '.env.enc', '--', ...dumpEnvCommand(out)], { EXTRA: 'from-env' })
    assert.is(r.code, 0, r.stderr)
    assert.is(readEnvDump(out).EXTRA, 'from-file', flag)
  }
  const kept = await cli(['run', '-f', '.env.enc', '--', ...dumpEnvCommand(out)], { EXTRA: 'from-env' })
  assert.is(kept.code, 0)
  assert.is(readEnvDump(out).EXTRA, 'from-env')
  const help = await cli(['run', '--help'])
  assert.match(help.stdout, /--overload\s+the same as --override \(dotenvx's word for it\)/)
  assert.match(help.stdout, /a later -f wins over an earlier one \(dotenvx: the first wins unless --overload\)/)
  const clash = await cli(['run', '--overload', '--as-file', '.env.enc', '--', 'true'])
  assert.is(clash.code, 8)
  assert.match(clash.stderr, /--as-file cannot be combined with --overload/)
})

test('get KEY FILE prints the plain value; a dotted path; a missing key exits 1 in one line', async () => {
  assert.is((await cli(['get', 'API_KEY', '.env.enc'])).stdout, `${CANARY}\n`)
  assert.is((await cli(['get', 'db.password', 'app.enc.yaml'])).stdout, `${CANARY}\n`)
  assert.is((await cli(['get', '["db"]["password"]', 'app.enc.yaml'])).stdout, `${CANARY}\n`)
  assert.is((await cli(['get', 'db_password', '-f', 'app.enc.yaml'])).stdout, `${CANARY}\n`)
  const missing = await cli(['get', 'NOPE', '.env.enc'])
  assert.is(missing.code, 1)
  assert.equal(missing.stderr.trim().split('\n'), ['sops-like: NOPE not found in .env.enc (list the names with sops-like run --dry-run, or sops-like get --all)'])
  assert.is(missing.stdout, '')
})

test('get --all --format json|shell|eval; eval "$(…)" in sh sets the exact values', async () => {
  assert.equal(JSON.parse((await cli(['get', '--all', '.env.enc'])).stdout), { API_KEY: CANARY, EXTRA: 'from-file' })
  assert.is((await cli(['get', '--all', '--format', 'shell', '.env.enc'])).stdout, `API_KEY=${CANARY} EXTRA=from-file\n`)
  const tricky = join(t.dir, 'tricky.enc.env')
  await writeEncrypted(t.dir, 'tricky.enc.env', `Q=it's $(echo pwned) "x"\n`, 'dotenv', k.recipient)
  const ev = await cli(['get', '--all', '--format', 'eval', tricky])
  assert.is(ev.code, 0, ev.stderr)
  const shell = execFileSync('sh', ['-c', 'eval "$1"; printf %s "$Q"', 'sh', ev.stdout]).toString('utf8')
  assert.is(shell, `it's $(echo pwned) "x"`)
  assert.is((await cli(['get', 'API_KEY', '--format', 'json', '.env.enc'])).code, 1) // --format is for --all
})

test('set on a dotenv file: KEY VALUE as plain text; the sops form keeps working; printf x | set --value-stdin', async () => {
  const f = 'set.enc.env'
  await writeEncrypted(t.dir, f, 'A=1\n', 'dotenv', k.recipient)
  assert.is((await cli(['set', f, 'PLAIN', 'a "quoted" value, no JSON'])).code, 0)
  assert.is((await cli(['get', 'PLAIN', f])).stdout, 'a "quoted" value, no JSON\n')
  assert.is((await cli(['set', f, '["SOPS_FORM"]', '"json string"'])).code, 0)
  assert.is((await cli(['get', 'SOPS_FORM', f])).stdout, 'json string\n')
  const piped = spawnCli(['set', '--value-stdin', f, 'PIPED'], { cwd: t.dir, env: env(), input: 'x' })
  assert.is(piped.code, 0, piped.stderr)
  assert.is((await cli(['get', 'PIPED', f])).stdout, 'x\n')
  const json = spawnCli(['set', '--value-stdin', '--json', f, 'J'], { cwd: t.dir, env: env(), input: '"from json"' })
  assert.is(json.code, 0, json.stderr)
  assert.is((await cli(['get', 'J', f])).stdout, 'from json\n')
  // not dotenv: a bare name is still sops' malformed path (exit 7), as sops answers
  const yaml = await cli(['set', 'app.enc.yaml', 'db.password', 'x'])
  assert.is(yaml.code, 7)
  assert.match(yaml.stderr, /works in dotenv files only: in yaml write the tree path, e\.g\. '\["db"\]\["password"\]', and the value as JSON/)
})

test('run from a subfolder finds the repository root\'s secrets; --dry-run names them; the search stops at the root', async () => {
  const repo = join(t.dir, 'repo')
  mkdirSync(join(repo, '.git'), { recursive: true })
  mkdirSync(join(repo, 'src', 'deep'), { recursive: true })
  await writeEncrypted(repo, 'secrets.enc.yaml', `TOKEN: ${CANARY}\n`, 'yaml', k.recipient)
  const dry = await cli(['run', '--dry-run'], {}, join(repo, 'src', 'deep'))
  assert.is(dry.code, 0, dry.stderr)
  assert.match(dry.stderr, new RegExp(`files \\(found by name, later wins\\): ${join(repo, 'secrets.enc.yaml').replace(/[.]/g, '\\.')}`))
  assert.match(dry.stdout, /^TOKEN\t/m)
  assert.not.ok(dry.stdout.includes(CANARY))
  assert.is((await cli(['get', 'TOKEN'], {}, join(repo, 'src'))).stdout, `${CANARY}\n`)
  // another repository inside t.dir without secrets: t.dir's .env.enc (above its root) is not used
  const other = join(t.dir, 'other')
  mkdirSync(join(other, 'sub'), { recursive: true })
  writeFileSync(join(other, '.sops-like.yaml'), `creation_rules:\n  - age: ${k.recipient}\n`)
  const none = await cli(['run', '--dry-run'], {}, join(other, 'sub'))
  assert.is(none.code, 100)
  assert.match(none.stderr, new RegExp(`in ${join(other, 'sub')} and up to ${other}`))
})

test.run()
