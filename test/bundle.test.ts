/**
 * The bundled CLI (scripts/bundle.mjs) as users run it, through bin/sops-like.cjs: it works,
 * starts no ES module loader, loads each vendored package only when the file needs it
 * (Node's own module log, NODE_DEBUG=module,esm, says what was loaded), runs strict, and
 * its per-user V8 code cache (bin/load-bundle.cjs) is used only when its HMAC, under a per-user
 * key kept outside the cache folder, says it was made by this user for the exact bundle (a cache
 * is code: V8 only compares the source's length), and is off in CI.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeAgeKey, tempDir, type TestKey } from './helpers/keys.js'
import { CANARY, PGP_TEST_KEY, fixturePath, needsFixtures } from './helpers/fixtures.js'
import { VERSION } from '../src/version.js'
import { startFakeGcpKms } from './helpers/gcp-kms-server.js'
import { startFakeAzure } from './helpers/azure-kv-server.js'

const fixtureTest = needsFixtures(test, import.meta.url)

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BIN = join(ROOT, 'bin/sops-like.cjs')
const GCP_VENDOR = '@google-cloud/kms/build/src/v1/key_management_service_client.js'
const VENDOR = ['yaml', 'age-encryption', 'openpgp', 'toml-eslint-parser', 're2js', '@noble/curves/ed25519.js', '@noble/curves/secp256k1.js', '@aws-sdk/client-kms', '@aws-sdk/nested-clients/sts', GCP_VENDOR, '@azure/keyvault-keys', '@azure/identity']

const tmp = tempDir('sops-like-bundle-')
let key: TestKey

interface Loaded { code: number; stdout: string; stderr: string; files: string[]; esm: boolean }

/** Runs the installed-style bin with Node's module log; returns what it loaded from disk. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}, bin = BIN): Loaded {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: tmp.dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: join(tmp.dir, 'empty-home'), SOPS_AGE_KEY_FILE: key.file, NODE_DEBUG: 'module,esm', ...env },
  })
  const log = r.stderr.split('\n')
  const files = log.flatMap((l) => /^MODULE \d+: load "([^"]+)"/.exec(l)?.[1] ?? []).map((f) => f.slice(ROOT.length))
  const stderr = log.filter((l) => !/^(MODULE|ESM) \d+:/.test(l) && !/^\s/.test(l)).join('\n')
  return { code: r.status ?? -1, stdout: r.stdout, stderr, files, esm: log.some((l) => l.startsWith('ESM ')) }
}

const vendorsIn = (files: string[]) => VENDOR.filter((v) => files.includes(`dist/cli/vendor/${v}.cjs`))

/** cli() without blocking this process (for key services whose test servers answer from here). */
async function cliAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Loaded> {
  const r = await promisify(execFile)(process.execPath, [BIN, ...args], {
    cwd: tmp.dir, encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: join(tmp.dir, 'empty-home'), SOPS_AGE_KEY_FILE: key.file, NODE_DEBUG: 'module,esm', ...env },
  }).catch((e: { code?: number; stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: e.code }))
  const log = r.stderr.split('\n')
  const files = log.flatMap((l) => /^MODULE \d+: load "([^"]+)"/.exec(l)?.[1] ?? []).map((f) => f.slice(ROOT.length))
  const stderr = log.filter((l) => !/^(MODULE|ESM) \d+:/.test(l) && !/^\s/.test(l)).join('\n')
  return { code: typeof (r as { code?: number }).code === 'number' ? (r as { code: number }).code : 0, stdout: r.stdout, stderr, files, esm: log.some((l) => l.startsWith('ESM ')) }
}

test.before(async () => {
  assert.ok(existsSync(join(ROOT, 'dist/cli/main.cjs')), 'build first (npm run build)')
  key = await makeAgeKey(tmp.dir)
  mkdirSync(join(tmp.dir, 'empty-home'))
})
test.after(() => tmp.cleanup())

test('every vendored package has its file; the main bundle does not contain them', () => {
  for (const v of VENDOR) assert.ok(existsSync(join(ROOT, `dist/cli/vendor/${v}.cjs`)), v)
})

test('run on a sops-written YAML file requires no module but the launcher (which compiles main.cjs itself), and no ES module loader', () => {
  writeFileSync(join(tmp.dir, 'plain.yaml'), Array.from({ length: 20 }, (_, i) => `key_${i}: value-${i}`).join('\n') + '\n')
  const enc = cli(['encrypt', '--age', key.recipient, 'plain.yaml'])
  assert.is(enc.code, 0, enc.stderr)
  writeFileSync(join(tmp.dir, 'secrets.enc.yaml'), enc.stdout)

  const r = cli(['run', '-f', 'secrets.enc.yaml', '--', process.execPath, '-e', 'process.stdout.write(process.env.key_7)'])
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, 'value-7')
  assert.equal(r.files, ['bin/sops-like.cjs', 'bin/load-bundle.cjs'])
  assert.not.ok(r.esm, 'the ES module loader started')
})

test('run on a file for a post-quantum age key (age1pq1) loads age-encryption for ML-KEM and nothing else; the X25519 file above loaded nothing', () => {
  const k = cli(['keygen', '--pq', '-o', 'pq-keys.txt'])
  assert.is(k.code, 0, k.stderr)
  writeFileSync(join(tmp.dir, 'pq.env'), `TOKEN=${CANARY}\n`)
  const enc = cli(['encrypt', '--age', k.stdout.trim(), 'pq.env'])
  assert.is(enc.code, 0, enc.stderr)
  writeFileSync(join(tmp.dir, 'pq.enc.env'), enc.stdout)
  const r = cli(['run', '-f', 'pq.enc.env', '--', process.execPath, '-e', 'process.stdout.write(process.env.TOKEN)'], { SOPS_AGE_KEY_FILE: join(tmp.dir, 'pq-keys.txt') })
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, CANARY)
  assert.equal(vendorsIn(r.files), ['age-encryption'])
  assert.not.ok(r.esm)
})

test('textconv with a config that names recipients loads no vendored package (the recipients: section is read without the YAML parser)', () => {
  mkdirSync(join(tmp.dir, 'names'), { recursive: true })
  writeFileSync(join(tmp.dir, 'names', '.sops-like.yaml'), `recipients:\n  ops-lead: ${key.recipient}\ncreation_rules:\n  - age: ops-lead\n`)
  writeFileSync(join(tmp.dir, 'names', 'plain.yaml'), 'a: 1\nb: two\n')
  const enc = cli(['encrypt', 'names/plain.yaml'])
  assert.is(enc.code, 0, enc.stderr)
  writeFileSync(join(tmp.dir, 'names', 's.enc.yaml'), enc.stdout)
  const r = cli(['textconv', 'names/s.enc.yaml'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /^# sops-like: recipients ops-lead; data key [0-9a-f]{12}\na: 1\nb: two\n$/)
  assert.equal(vendorsIn(r.files), [])
})

test('encrypting YAML the fast reader does not take loads yaml and age-encryption, never openpgp', () => {
  writeFileSync(join(tmp.dir, 'flow.yaml'), 'a: [1, 2]\nb: {c: d}\n')
  const r = cli(['encrypt', '--age', key.recipient, 'flow.yaml'])
  assert.is(r.code, 0, r.stderr)
  assert.equal(vendorsIn(r.files), ['yaml', 'age-encryption'])
  writeFileSync(join(tmp.dir, 'flow.enc.yaml'), r.stdout)
  const d = cli(['decrypt', 'flow.enc.yaml'])
  assert.is(d.stdout, 'a:\n    - 1\n    - 2\nb:\n    c: d\n')
  assert.equal(vendorsIn(d.files), [])
})

fixtureTest('a PGP file loads openpgp; a TOML file loads the TOML parser', () => {
  const pgp = cli(['decrypt', fixturePath('functional-tests/res/format.enc.yaml')], { SOPS_LIKE_PGP_KEY_FILE: PGP_TEST_KEY })
  assert.is(pgp.code, 0, pgp.stderr)
  assert.is(pgp.stdout, 'foo: bar\n')
  assert.ok(vendorsIn(pgp.files).includes('openpgp'))

  writeFileSync(join(tmp.dir, 'app.toml'), '# c\nport = 8080\n[db]\npassword = "pw" # inline\n')
  const enc = cli(['encrypt', '--age', key.recipient, 'app.toml'])
  assert.is(enc.code, 0, enc.stderr)
  assert.ok(vendorsIn(enc.files).includes('toml-eslint-parser'))
  assert.not.ok(vendorsIn(enc.files).includes('openpgp'))
  writeFileSync(join(tmp.dir, 'app.enc.toml'), enc.stdout)
  assert.is(cli(['decrypt', 'app.enc.toml']).stdout, '# c\nport = 8080\n[db]\npassword = "pw" # inline\n')
})

const hasSshKeygen = spawnSync('ssh-keygen', ['-?']).error === undefined
;(hasSshKeygen ? test : test.skip)('@noble/curves (Ed25519 → X25519) is loaded only when an ssh-ed25519 key is used, not merely found in ~/.ssh', () => {
  const home = join(tmp.dir, 'ssh-home')
  mkdirSync(join(home, '.ssh'), { recursive: true })
  const gen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bundle', '-f', join(home, '.ssh', 'id_ed25519')])
  assert.is(gen.status, 0, gen.stderr?.toString())
  const line = readFileSync(join(home, '.ssh', 'id_ed25519.pub'), 'utf8').trim()
  writeFileSync(join(tmp.dir, 'ssh.yaml'), 'token: abc\n')
  const enc = cli(['encrypt', '--age', line, 'ssh.yaml'])
  assert.is(enc.code, 0, enc.stderr)
  assert.ok(vendorsIn(enc.files).includes('@noble/curves/ed25519.js'))
  writeFileSync(join(tmp.dir, 'ssh.enc.yaml'), enc.stdout)
  const dec = cli(['decrypt', 'ssh.enc.yaml'], { HOME: home, SOPS_AGE_KEY_FILE: '' })
  assert.is(dec.code, 0, dec.stderr)
  assert.is(dec.stdout, 'token: abc\n')
  assert.ok(vendorsIn(dec.files).includes('@noble/curves/ed25519.js'))
  // with the same ~/.ssh/id_ed25519 present, a file the key file's age identity opens converts no SSH key
  const plain = cli(['decrypt', 'flow.enc.yaml'], { HOME: home })
  assert.is(plain.code, 0, plain.stderr)
  assert.equal(vendorsIn(plain.files), [])
})

test('GCP KMS and Azure Key Vault files load their own vendor files (the GCP one without gRPC) and open through them; age-only files load neither', async () => {
  const resource = 'projects/p/locations/global/keyRings/r/cryptoKeys/bundle'
  const gcp = await startFakeGcpKms({ token: 'ya29.bundle', keys: [resource] })
  const az = await startFakeAzure({ dir: tmp.dir, tenant: '3b1c5f0e-0000-4000-8000-000000000001', clientId: 'bundle-client', clientSecret: 'bundle-secret', keys: ['bundle'] })
  try {
    writeFileSync(join(tmp.dir, 'cloud.yaml'), 'token: abc\n')
    const env = { SOPS_GCP_KMS_ENDPOINT: gcp.endpoint, GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.bundle', ...az.env }
    const enc = await cliAsync(['encrypt', '--gcp-kms', resource, '--azure-kv', az.keyUrl('bundle'), 'cloud.yaml'], env)
    assert.is(enc.code, 0, enc.stderr)
    assert.equal(vendorsIn(enc.files).filter((v) => v.startsWith('@')), [GCP_VENDOR, '@azure/keyvault-keys', '@azure/identity'])
    assert.not.ok(enc.files.some((f) => f.includes('grpc')), 'gRPC loaded')
    writeFileSync(join(tmp.dir, 'cloud.enc.yaml'), enc.stdout)
    // each service alone opens the file, loading only its own client
    const byGcp = await cliAsync(['decrypt', 'cloud.enc.yaml'], { SOPS_GCP_KMS_ENDPOINT: gcp.endpoint, GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.bundle' })
    assert.is(byGcp.stdout, 'token: abc\n', byGcp.stderr)
    assert.ok(vendorsIn(byGcp.files).includes(GCP_VENDOR))
    const byAzure = await cliAsync(['decrypt', 'cloud.enc.yaml'], { ...az.env, SOPS_GCP_KMS_ENDPOINT: 'http://127.0.0.1:1' })
    assert.is(byAzure.stdout, 'token: abc\n', byAzure.stderr)
    assert.ok(vendorsIn(byAzure.files).includes('@azure/keyvault-keys'))
  } finally {
    await gcp.close()
    await az.close()
  }
  const plain = cli(['run', '-f', 'secrets.enc.yaml', '--', process.execPath, '-e', '0'])
  assert.is(plain.code, 0, plain.stderr)
  assert.equal(vendorsIn(plain.files), [])
})

test('re2js is loaded only for a file or rule that has a regular expression', () => {
  writeFileSync(join(tmp.dir, 'rx.yaml'), 'password: x\nname: y\n')
  const enc = cli(['encrypt', '--age', key.recipient, '--encrypted-regex', '^pass', 'rx.yaml'])
  assert.is(enc.code, 0, enc.stderr)
  assert.ok(vendorsIn(enc.files).includes('re2js'))
  writeFileSync(join(tmp.dir, 'rx.enc.yaml'), enc.stdout)
  const r = cli(['run', '-f', 'rx.enc.yaml', '--', process.execPath, '-e', 'process.stdout.write(process.env.password + process.env.name)'])
  assert.is(r.stdout, 'xy', r.stderr)
  assert.equal(vendorsIn(r.files), ['re2js'])
  const plain = cli(['decrypt', 'secrets.enc.yaml'])
  assert.is(plain.code, 0, plain.stderr)
  assert.equal(vendorsIn(plain.files), [])
})

test('secp256k1 is loaded only by import-dotenvx; run refuses a dotenvx file without loading any vendored package', () => {
  const dir = join(tmp.dir, 'dotenvx')
  mkdirSync(dir)
  writeFileSync(join(dir, '.env.production'), `TOKEN=${CANARY}\n`)
  const dotenvx = join(ROOT, 'node_modules/@dotenvx/dotenvx/src/cli/dotenvx.js')
  const made = spawnSync(process.execPath, [dotenvx, 'encrypt', '-f', '.env.production'], { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir }, encoding: 'utf8' })
  assert.is(made.status, 0, made.stderr)
  const refused = cli(['run', '-f', 'dotenvx/.env.production', '--', 'true'])
  assert.is(refused.code, 16, refused.stderr)
  assert.equal(vendorsIn(refused.files), [])
  const imported = cli(['import-dotenvx', 'dotenvx/.env.production', '--age', key.recipient])
  assert.is(imported.code, 0, imported.stderr)
  assert.ok(vendorsIn(imported.files).includes('@noble/curves/secp256k1.js'), imported.files.join(' '))
  assert.not.ok(vendorsIn(imported.files).includes('openpgp'))
  const plain = cli(['decrypt', 'secrets.enc.yaml'])
  assert.not.ok(vendorsIn(plain.files).includes('@noble/curves/secp256k1.js'))
})

interface Compiled { used: boolean; cacheFile: string | undefined; keyFile: string | undefined }
const LOADER = join(ROOT, 'bin/load-bundle.cjs')

/**
 * Runs `code` in a fresh process (within one process V8 reuses what it compiled and ignores the
 * cache) from a script file, not `node -e`: Node's flags are part of a cache's name and MAC, and
 * the CLI runs with none.
 */
function runFresh(name: string, code: string, args: string[]) {
  const script = join(tmp.dir, `${name}.cjs`)
  writeFileSync(script, code)
  return spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' })
}

/** compileBundle in a fresh process, as the CLI's launcher calls it. */
function compileBundle(file: string, env: NodeJS.ProcessEnv): Compiled {
  const code = `const r = require(${JSON.stringify(LOADER)}).compileBundle(${JSON.stringify(file)}, ${JSON.stringify(env)}); process.stdout.write(JSON.stringify({ used: r.used, cacheFile: r.cacheFile, keyFile: r.keyFile }))`
  const r = runFresh('compile', code, [])
  assert.is(r.status, 0, r.stderr)
  return JSON.parse(r.stdout) as Compiled
}

/** A copy of the package's runnable part (bin/ and dist/cli/) that a test may change. */
function packageCopy(name: string): string {
  const copy = join(tmp.dir, name)
  mkdirSync(join(copy, 'dist'), { recursive: true })
  cpSync(join(ROOT, 'bin'), join(copy, 'bin'), { recursive: true })
  cpSync(join(ROOT, 'dist/cli'), join(copy, 'dist/cli'), { recursive: true })
  return copy
}

test('every bundle file runs in strict mode', () => {
  for (const f of ['main.cjs', ...VENDOR.map((v) => `vendor/${v}.cjs`)]) {
    assert.ok(readFileSync(join(ROOT, 'dist/cli', f), 'utf8').startsWith('"use strict";'), f)
  }
})

/** Where a test's code cache and its key live (each test its own). */
const cacheEnv = (n: string) => ({ XDG_CACHE_HOME: join(tmp.dir, `xdg-cache-${n}`), XDG_STATE_HOME: join(tmp.dir, `xdg-state-${n}`) })

test('code cache: written by the first start (0600 in a 0700 folder, its key 0600 in a 0700 folder elsewhere), used by the next', () => {
  const env = cacheEnv('1')
  const main = join(ROOT, 'dist/cli/main.cjs')
  const first = compileBundle(main, env)
  assert.not.ok(first.used)
  assert.ok(first.cacheFile?.startsWith(join(tmp.dir, 'xdg-cache-1', 'sops-like', 'main-')), first.cacheFile)
  assert.is(statSync(first.cacheFile!).mode & 0o777, 0o600)
  assert.is(statSync(join(tmp.dir, 'xdg-cache-1', 'sops-like')).mode & 0o777, 0o700)
  assert.is(first.keyFile, join(tmp.dir, 'xdg-state-1', 'sops-like', 'code-cache.key'))
  assert.is(lstatSync(first.keyFile!).mode & 0o777, 0o600)
  assert.is(lstatSync(first.keyFile!).size, 32)
  assert.is(lstatSync(join(tmp.dir, 'xdg-state-1', 'sops-like')).mode & 0o777, 0o700)
  const second = compileBundle(main, env)
  assert.ok(second.used)
  assert.is(second.cacheFile, first.cacheFile)
  // HOME/.cache and HOME/.local/state when XDG_* are unset; none at all when turned off, without a home,
  // or with the key folder inside the cache folder
  const home = compileBundle(main, { HOME: join(tmp.dir, 'home') })
  assert.ok(home.cacheFile?.startsWith(join(tmp.dir, 'home', '.cache', 'sops-like')))
  assert.is(home.keyFile, join(tmp.dir, 'home', '.local', 'state', 'sops-like', 'code-cache.key'))
  assert.is(compileBundle(main, { ...env, SOPS_LIKE_CODE_CACHE: '0' }).cacheFile, undefined)
  assert.is(compileBundle(main, {}).cacheFile, undefined)
  assert.is(compileBundle(main, { XDG_CACHE_HOME: env.XDG_CACHE_HOME }).cacheFile, undefined)
  assert.is(compileBundle(main, { XDG_CACHE_HOME: env.XDG_CACHE_HOME, XDG_STATE_HOME: env.XDG_CACHE_HOME }).cacheFile, undefined)
})

test('code cache: one that others can write, or a damaged one, is not used (and is replaced)', () => {
  const env = cacheEnv('2')
  const main = join(ROOT, 'dist/cli/main.cjs')
  const { cacheFile } = compileBundle(main, env)
  chmodSync(cacheFile!, 0o666)
  assert.not.ok(compileBundle(main, env).used, 'a world-writable cache was used')
  assert.is(statSync(cacheFile!).mode & 0o777, 0o600)
  writeFileSync(cacheFile!, Buffer.alloc(4096, 7), { mode: 0o600 })
  assert.not.ok(compileBundle(main, env).used, 'a damaged cache was used')
  assert.ok(compileBundle(main, env).used)
})

test('code cache: a changed bundle of the same length runs its own code, not the cached one', () => {
  const copy = packageCopy('pkg-changed')
  const env = cacheEnv('3')
  const bin = join(copy, 'bin/sops-like.cjs')
  assert.is(cli(['--version'], env, bin).stdout.trim(), VERSION)
  assert.is(cli(['--version'], env, bin).stdout.trim(), VERSION) // now from the cache
  const main = join(copy, 'dist/cli/main.cjs')
  const text = readFileSync(main, 'utf8')
  const changed = VERSION.replace(/\d/g, '9')
  assert.is(changed.length, VERSION.length)
  writeFileSync(main, text.replace(`"${VERSION}"`, `"${changed}"`))
  assert.is(cli(['--version'], env, bin).stdout.trim(), changed)
  assert.equal(readdirSync(join(tmp.dir, 'xdg-cache-3', 'sops-like')).length, 2, 'one cache per build')
})

test('code cache: a key folder that is a link or that others can write is not used, and no key is written through it', () => {
  const main = join(ROOT, 'dist/cli/main.cjs')
  const env = cacheEnv('7')
  const elsewhere = join(tmp.dir, 'elsewhere-7')
  mkdirSync(elsewhere, { mode: 0o700 })
  mkdirSync(env.XDG_STATE_HOME)
  symlinkSync(elsewhere, join(env.XDG_STATE_HOME, 'sops-like'))
  compileBundle(main, env)
  assert.equal(readdirSync(elsewhere), [], 'a key was written through the link')
  assert.not.ok(compileBundle(main, env).used)
  rmSync(join(env.XDG_STATE_HOME, 'sops-like'))
  mkdirSync(join(env.XDG_STATE_HOME, 'sops-like'), { mode: 0o700 })
  chmodSync(join(env.XDG_STATE_HOME, 'sops-like'), 0o777)
  compileBundle(main, env)
  assert.not.ok(compileBundle(main, env).used, 'a key in a folder others can write was used')
  chmodSync(join(env.XDG_STATE_HOME, 'sops-like'), 0o700)
  compileBundle(main, env)
  assert.ok(compileBundle(main, env).used)
})

test('code cache: the four newest caches are kept, older ones removed', () => {
  const folder = join(tmp.dir, 'xdg-cache-6', 'sops-like')
  mkdirSync(folder, { recursive: true, mode: 0o700 })
  const old = Array.from({ length: 5 }, (_, i) => join(folder, `main-${String(i).repeat(32)}.cache`))
  old.forEach((f, i) => {
    writeFileSync(f, 'x', { mode: 0o600 })
    utimesSync(f, new Date(2020, 0, i + 1), new Date(2020, 0, i + 1))
  })
  const { cacheFile } = compileBundle(join(ROOT, 'dist/cli/main.cjs'), cacheEnv('6'))
  const left = readdirSync(folder).map((n) => join(folder, n)).sort()
  assert.equal(left, [cacheFile!, ...old.slice(2)].sort())
})

test('the code cache written by a run that decrypted a secret holds neither the secret nor the key', () => {
  const cacheHome = join(tmp.dir, 'xdg-cache-5')
  writeFileSync(join(tmp.dir, 'canary.yaml'), `secret: ${CANARY}\nother: plain-${CANARY}\n`)
  const enc = cli(['encrypt', '--age', key.recipient, 'canary.yaml'], { SOPS_LIKE_CODE_CACHE: '0' })
  writeFileSync(join(tmp.dir, 'canary.enc.yaml'), enc.stdout)
  const copy = packageCopy('pkg-canary') // a bundle of its own: this cache is written by this run
  const r = cli(['run', '-f', 'canary.enc.yaml', '--', process.execPath, '-e', 'process.stdout.write(process.env.secret)'], { ...cacheEnv('5') }, join(copy, 'bin/sops-like.cjs'))
  assert.is(r.stdout, CANARY)
  const [file] = readdirSync(join(cacheHome, 'sops-like'))
  const cache = readFileSync(join(cacheHome, 'sops-like', file!))
  assert.ok(cache.length > 10_000)
  for (const needle of [CANARY, key.identity, key.identity.toLowerCase()]) {
    for (const enc of ['utf8', 'utf16le', 'latin1'] as const) assert.is(cache.indexOf(Buffer.from(needle, enc)), -1, `${needle.slice(0, 12)}… (${enc}) in the code cache`)
  }
})

test('the CLI works with a damaged cache and without any', () => {
  const copy = packageCopy('pkg-damaged')
  const env = cacheEnv('4')
  const bin = join(copy, 'bin/sops-like.cjs')
  writeFileSync(join(tmp.dir, 'c.yaml'), 'k: v\n')
  const enc = cli(['encrypt', '--age', key.recipient, 'c.yaml'], env, bin)
  assert.is(enc.code, 0, enc.stderr)
  writeFileSync(join(tmp.dir, 'c.enc.yaml'), enc.stdout)
  const folder = join(tmp.dir, 'xdg-cache-4', 'sops-like')
  const [cache] = readdirSync(folder)
  for (const damage of [() => writeFileSync(join(folder, cache!), Buffer.alloc(4096, 7)), () => rmSync(folder, { recursive: true })]) {
    damage()
    const r = cli(['decrypt', 'c.enc.yaml'], env, bin)
    assert.is(r.code, 0, r.stderr)
    assert.is(r.stdout, 'k: v\n')
  }
})

const MARKER = 'INJECTED-CODE-RAN'

/**
 * What an attacker who can write the user's cache folder plants: the V8 cache of a bundle of the
 * same length whose code prints MARKER (V8 only compares lengths), at the genuine bundle's cache
 * name; raw, or sealed as load-bundle.cjs seals (HMAC-SHA256 over a domain string, the SHA-256
 * of Node version and bundle, and the cache) under `macKey`.
 */
function plantInjectedCache(main: string, cacheFile: string, mode: number, macKey?: Buffer): void {
  const code = `
    const fs = require('node:fs'), { Script } = require('node:vm'), { createHash, createHmac } = require('node:crypto')
    const [main, out, keyHex] = process.argv.slice(2)
    const bytes = fs.readFileSync(main), source = bytes.toString('utf8')
    const evil0 = '"use strict";process.stdout.write(${JSON.stringify(MARKER)});module.exports.main=Promise.resolve.bind(Promise,0);'
    const evil = evil0 + ' '.repeat(source.length - evil0.length)
    const script = new Script('(function (exports, require, module, __filename, __dirname) {' + evil + '\\n})', { filename: main })
    let data = script.createCachedData()
    if (keyHex) {
      const id = createHash('sha256').update(process.version + ' ' + process.platform + ' ' + process.arch + ' ' + process.execArgv.join(' ') + '\\n').update(bytes).digest()
      const mac = createHmac('sha256', Buffer.from(keyHex, 'hex')).update('sops-like code cache v1\\0').update(id).update(data).digest()
      data = Buffer.concat([mac, data])
    }
    fs.writeFileSync(out, data)`
  mkdirSync(join(cacheFile, '..'), { recursive: true, mode: 0o700 })
  rmSync(cacheFile, { force: true })
  const r = runFresh('plant', code, [main, cacheFile, macKey?.toString('hex') ?? ''])
  assert.is(r.status, 0, r.stderr)
  chmodSync(cacheFile, mode)
}

test('code cache injection: a same-length bundle\'s V8 cache planted as the user\'s cache file never runs, with or without a forged key', () => {
  const copy = packageCopy('pkg-inject')
  const bin = join(copy, 'bin/sops-like.cjs')
  const main = join(copy, 'dist/cli/main.cjs')
  const attackerKey = Buffer.alloc(32, 0x41)
  const genuineRan = (r: Loaded, what: string) => {
    assert.not.ok(r.stdout.includes(MARKER), `injected code ran: ${what}`)
    assert.is(r.code, 0, `${what}: ${r.stderr}`)
    assert.is(r.stdout.trim(), VERSION, what)
  }

  // the user's own cache and key exist (a start made them); the attacker does not know the key
  const env = cacheEnv('inject')
  const { cacheFile, keyFile } = compileBundle(main, env)
  for (const mode of [0o644, 0o600]) {
    plantInjectedCache(main, cacheFile!, mode)
    genuineRan(cli(['--version'], env, bin), `raw V8 cache, ${mode.toString(8)}`)
    plantInjectedCache(main, cacheFile!, mode, attackerKey)
    genuineRan(cli(['--version'], env, bin), `sealed under a key the attacker chose, ${mode.toString(8)}`)
  }
  assert.ok(compileBundle(main, env).used, 'the forged cache was replaced by a genuine one')
  assert.ok(existsSync(keyFile!))
  // the forgery is well made: sealed under the user's own key (which nobody else can read) V8 takes it
  plantInjectedCache(main, cacheFile!, 0o600, readFileSync(keyFile!))
  assert.ok(compileBundle(main, env).used, 'the test forges the cache format wrongly')

  // HOME points into a checkout that carries both a cache and a key (as git writes them: 0644 in 0755 folders)
  const checkout = join(tmp.dir, 'checkout')
  const homeEnv = { HOME: checkout }
  const home = compileBundle(main, homeEnv)
  rmSync(checkout, { recursive: true, force: true })
  const forgedKey = join(checkout, '.local/state/sops-like/code-cache.key')
  mkdirSync(join(forgedKey, '..'), { recursive: true, mode: 0o755 })
  chmodSync(join(forgedKey, '..'), 0o755)
  for (const mode of [0o644, 0o600]) {
    writeFileSync(forgedKey, attackerKey)
    chmodSync(forgedKey, 0o644)
    plantInjectedCache(main, home.cacheFile!, mode, attackerKey)
    chmodSync(join(home.cacheFile!, '..'), 0o755)
    genuineRan(cli(['--version'], homeEnv, bin), `forged 0644 key in a checkout, cache ${mode.toString(8)}`)
    // a link to a private file with the attacker's key is no key either
    rmSync(forgedKey)
    writeFileSync(join(checkout, 'k'), attackerKey, { mode: 0o600 })
    symlinkSync(join(checkout, 'k'), forgedKey)
    plantInjectedCache(main, home.cacheFile!, mode, attackerKey)
    genuineRan(cli(['--version'], homeEnv, bin), `key file a symlink, cache ${mode.toString(8)}`)
    rmSync(forgedKey)
  }
})

test('code cache: off by default when CI is set (nothing written), on with CI=false or SOPS_LIKE_CODE_CACHE=1', () => {
  const copy = packageCopy('pkg-ci')
  const bin = join(copy, 'bin/sops-like.cjs')
  const written = (n: string, extra: NodeJS.ProcessEnv) => {
    const env = cacheEnv(n)
    const r = cli(['--version'], { ...env, ...extra }, bin)
    assert.is(r.stdout.trim(), VERSION)
    return existsSync(join(env.XDG_CACHE_HOME, 'sops-like')) || existsSync(join(env.XDG_STATE_HOME, 'sops-like'))
  }
  assert.not.ok(written('ci-true', { CI: 'true' }), 'CI=true wrote a code cache')
  assert.not.ok(written('ci-1', { CI: '1' }), 'CI=1 wrote a code cache')
  assert.not.ok(written('ci-off', { CI: 'true', SOPS_LIKE_CODE_CACHE: '0' }))
  assert.not.ok(written('off', { SOPS_LIKE_CODE_CACHE: '0' }))
  assert.ok(written('ci-false', { CI: 'false' }))
  assert.ok(written('ci-empty', { CI: '' }))
  assert.ok(written('ci-on', { CI: 'true', SOPS_LIKE_CODE_CACHE: '1' }))
})

test('a missing vendor file is an internal error, not a verdict on the input', () => {
  const copy = packageCopy('pkg-no-yaml')
  rmSync(join(copy, 'dist/cli/vendor/yaml.cjs'))
  writeFileSync(join(tmp.dir, 'flow2.yaml'), 'a: [1, 2]\n')
  const r = cli(['encrypt', '--age', key.recipient, 'flow2.yaml'], { SOPS_LIKE_CODE_CACHE: '0' }, join(copy, 'bin/sops-like.cjs'))
  assert.is(r.code, 1, r.stderr)
  assert.match(r.stderr, /internal error/)
})

test('errors keep their exit code and one line through the bundle', () => {
  const r = cli(['decrypt', 'missing.yaml'])
  assert.is(r.code, 100) // FileNotFoundError
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, /^sops-like: /)
})

test.run()
