/**
 * import-dotenvx against the real peer: each file here is encrypted by dotenvx itself (the
 * @dotenvx/dotenvx dev dependency's CLI), then imported, and the result compared with what
 * dotenvx decrypts. Also: where the private key comes from, wrong/missing keys, a tampered
 * value, and `run` refusing a dotenvx file instead of injecting its ciphertext.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { importDotenvx } from '../../../src/ops/crypt/import-dotenvx.js'
import { looksLikeDotenvx, parseDotenvx, privateKeyName } from '../../../src/ops/crypt/dotenvx.js'
import { loadEnv } from '../../../src/ops/run/load-env.js'
import { isolatedEnv, runCli } from '../../helpers/cli.js'
import { CANARY } from '../../helpers/fixtures.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'

const DOTENVX = join(dirname(createRequire(import.meta.url).resolve('@dotenvx/dotenvx/package.json')), 'src/cli/dotenvx.js')
const t = tempDir('sops-like-dotenvx-')
let k: TestKey

/** The plaintext we give dotenvx: plain, quoted, multi-line, a comment, an = in a value, a canary. */
const PLAIN = [
  '# the app',
  'HELLO=World',
  `SECRET="${CANARY}"`,
  "SINGLE='a b c'",
  'MULTI="line1\\nline2"',
  'URL=postgres://u:p@h/db?x=1 # inline comment',
  'export EXPORTED=yes',
  '',
].join('\n')
const EXPECTED = { HELLO: 'World', SECRET: CANARY, SINGLE: 'a b c', MULTI: 'line1\nline2', URL: 'postgres://u:p@h/db?x=1', EXPORTED: 'yes' }

/** A folder with `.env.<name>` encrypted by dotenvx (and its .env.keys); returns the folder. */
function dotenvxFile(name: string, text = PLAIN): string {
  const dir = join(t.dir, name)
  mkdirSync(dir)
  writeFileSync(join(dir, `.env.${name}`), text)
  execFileSync(process.execPath, [DOTENVX, 'encrypt', '-f', `.env.${name}`], { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir }, stdio: 'pipe' })
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: .*\n    age: ${k.recipient}\n`)
  return dir
}

/** What dotenvx itself decrypts (its `get` prints every variable as JSON). */
function dotenvxDecrypts(dir: string, file: string): Record<string, string> {
  const out = execFileSync(process.execPath, [DOTENVX, 'get', '-f', file], { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir }, stdio: 'pipe' })
  const all = JSON.parse(out.toString('utf8')) as Record<string, string>
  for (const name of Object.keys(all)) if (name.startsWith('DOTENV_PUBLIC_KEY')) delete all[name]
  return all
}

const env = (extra: NodeJS.ProcessEnv = {}) => isolatedEnv({ SOPS_AGE_KEY_FILE: k.file, ...extra })

test.before(async () => {
  k = await makeAgeKey(t.dir)
})
test.after(() => t.cleanup())

test('a file dotenvx encrypted imports to the values dotenvx decrypts; the output holds no plaintext; the input is untouched', async () => {
  const dir = dotenvxFile('production')
  const before = readFileSync(join(dir, '.env.production'), 'utf8')
  assert.ok(before.includes('encrypted:'), 'dotenvx encrypted the file')
  assert.not.ok(before.includes(CANARY))
  const r = await importDotenvx('.env.production', { cwd: dir, env: env() })
  assert.is(r.output, join(dir, '.env.production.enc'))
  assert.is(r.decrypted, Object.keys(EXPECTED).length)
  const written = readFileSync(r.output, 'utf8')
  assert.not.ok(written.includes(CANARY))
  assert.not.ok(written.includes('DOTENV_PUBLIC_KEY'))
  assert.match((await runCli(['decrypt', r.output], { cwd: dir, env: env() })).stdout, /^# the app$/m)
  const ours = await loadEnv([r.output], { cwd: dir, env: env() })
  assert.equal(ours, dotenvxDecrypts(dir, '.env.production'))
  assert.equal(ours, EXPECTED)
  assert.is(readFileSync(join(dir, '.env.production'), 'utf8'), before)
})

test('the private key: from DOTENV_PRIVATE_KEY_<ENV> in the environment, or from --keys FILE; -o names the output', async () => {
  const dir = dotenvxFile('staging')
  const keys = readFileSync(join(dir, '.env.keys'), 'utf8')
  const hex = /^DOTENV_PRIVATE_KEY_STAGING=(\w+)$/m.exec(keys)![1]!
  renameSync(join(dir, '.env.keys'), join(dir, 'keys.env'))
  const fromEnv = await importDotenvx('.env.staging', { cwd: dir, env: env({ DOTENV_PRIVATE_KEY_STAGING: hex }), output: 'a.enc.env' })
  assert.equal(await loadEnv([fromEnv.output], { cwd: dir, env: env() }), EXPECTED)
  const fromFile = await importDotenvx('.env.staging', { cwd: dir, env: env(), keysFile: 'keys.env', output: 'b.enc.env' })
  assert.equal(await loadEnv([fromFile.output], { cwd: dir, env: env() }), EXPECTED)
})

test('no private key: exit 128, one line naming the variable and --keys; a wrong key: 128; neither shows a value or key', async () => {
  const dir = dotenvxFile('missing')
  renameSync(join(dir, '.env.keys'), join(dir, 'elsewhere'))
  const none = await runCli(['import-dotenvx', '.env.missing'], { cwd: dir, env: env() })
  assert.is(none.code, 128)
  assert.is(none.stderr.trim().split('\n').length, 1)
  assert.match(none.stderr, /no DOTENV_PRIVATE_KEY_MISSING in the environment/)
  assert.match(none.stderr, /--keys FILE/)
  const wrong = await runCli(['import-dotenvx', '.env.missing'], { cwd: dir, env: env({ DOTENV_PRIVATE_KEY_MISSING: '11'.repeat(32) }) })
  assert.is(wrong.code, 128)
  assert.match(wrong.stderr, /DOTENV_PRIVATE_KEY_MISSING does not decrypt it/)
  assert.not.ok((none.stderr + wrong.stderr).includes(CANARY))
  assert.not.ok(existsSync(join(dir, '.env.missing.enc')), 'nothing written')
})

test('a tampered encrypted: value: exit 25 naming the variable, nothing written', async () => {
  const dir = dotenvxFile('tampered')
  const file = join(dir, '.env.tampered')
  const text = readFileSync(file, 'utf8')
  writeFileSync(file, text.replace(/^(HELLO="?)encrypted:B/m, '$1encrypted:B!!'))
  const r = await runCli(['import-dotenvx', '.env.tampered'], { cwd: dir, env: env() })
  assert.is(r.code, 25)
  assert.match(r.stderr, /HELLO \(line \d+\): the encrypted: value is malformed/)
  assert.not.ok(existsSync(join(dir, '.env.tampered.enc')))
})

test('run on a dotenvx file: exit 16, says to run import-dotenvx, injects nothing (also with --allow-plaintext); run -f on the import works', async () => {
  const dir = dotenvxFile('run')
  const marker = join(dir, 'ran')
  const cmd = ['--', process.execPath, '-e', `require("fs").writeFileSync(${JSON.stringify(marker)}, "")`]
  for (const extra of [[], ['--allow-plaintext']]) {
    const r = await runCli(['run', '-f', '.env.run', ...extra, ...cmd], { cwd: dir, env: env() })
    assert.is(r.code, 16, r.stderr)
    assert.match(r.stderr, /\.env\.run is encrypted by dotenvx .*sops-like import-dotenvx \.env\.run/)
    assert.not.ok(existsSync(marker), 'the command ran')
  }
  assert.is((await runCli(['run', '--as-file', '.env.run', '--', 'true', '{}'], { cwd: dir, env: env() })).code, 16)
  assert.is((await runCli(['import-dotenvx', '.env.run'], { cwd: dir, env: env() })).code, 0)
  const ok = await runCli(['get', 'SECRET', '.env.run.enc'], { cwd: dir, env: env() })
  assert.is(ok.stdout, `${CANARY}\n`)
})

test('parseDotenvx / looksLikeDotenvx / privateKeyName: dotenv rules, no false alarm on a plain .env', () => {
  assert.equal(parseDotenvx(PLAIN).flatMap((l) => (l.kind === 'var' ? [[l.key, l.value]] : [])), Object.entries(EXPECTED))
  assert.not.ok(looksLikeDotenvx(Buffer.from(PLAIN)))
  assert.ok(looksLikeDotenvx(Buffer.from('A="encrypted:BAAA"\n')))
  assert.ok(looksLikeDotenvx(Buffer.from('DOTENV_PUBLIC_KEY="02ab"\nA=1\n')))
  assert.not.ok(looksLikeDotenvx(Buffer.from('NOTE=the word encrypted: appears mid-value\n')))
  assert.is(privateKeyName([], '.env.production').privateName, 'DOTENV_PRIVATE_KEY_PRODUCTION')
  assert.is(privateKeyName([], '.env').privateName, 'DOTENV_PRIVATE_KEY')
  assert.is(privateKeyName(parseDotenvx('DOTENV_PUBLIC_KEY_CI="02AB"\n'), '.env.x').privateName, 'DOTENV_PRIVATE_KEY_CI')
})

test.run()
