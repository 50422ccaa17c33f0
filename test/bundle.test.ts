/**
 * The bundled CLI (scripts/bundle.mjs) as users run it, through bin/sops-like.cjs: it works,
 * starts no ES module loader, loads each vendored package only when the file needs it
 * (Node's own module log, NODE_DEBUG=module,esm, says what was loaded), runs strict, and
 * its per-user V8 code cache (bin/load-bundle.cjs) is used only for the exact bundle it was
 * made for.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeAgeKey, tempDir, type TestKey } from './helpers/keys.js'
import { CANARY, PGP_TEST_KEY, fixturePath } from './helpers/fixtures.js'
import { VERSION } from '../src/version.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BIN = join(ROOT, 'bin/sops-like.cjs')
const VENDOR = ['yaml', 'age-encryption', 'openpgp', 'toml-eslint-parser']

const tmp = tempDir('sops-like-bundle-')
let key: TestKey

interface Loaded { code: number; stdout: string; stderr: string; files: string[]; esm: boolean }

/** Runs the installed-style bin with Node's module log; returns what it loaded from disk. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}, bin = BIN): Loaded {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: tmp.dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent-home', SOPS_AGE_KEY_FILE: key.file, NODE_DEBUG: 'module,esm', ...env },
  })
  const log = r.stderr.split('\n')
  const files = log.flatMap((l) => /^MODULE \d+: load "([^"]+)"/.exec(l)?.[1] ?? []).map((f) => f.slice(ROOT.length))
  const stderr = log.filter((l) => !/^(MODULE|ESM) \d+:/.test(l) && !/^\s/.test(l)).join('\n')
  return { code: r.status ?? -1, stdout: r.stdout, stderr, files, esm: log.some((l) => l.startsWith('ESM ')) }
}

const vendorsIn = (files: string[]) => VENDOR.filter((v) => files.includes(`dist/cli/vendor/${v}.cjs`))

test.before(async () => {
  assert.ok(existsSync(join(ROOT, 'dist/cli/main.cjs')), 'build first (npm run build)')
  key = await makeAgeKey(tmp.dir)
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

test('a PGP file loads openpgp; a TOML file loads the TOML parser', () => {
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

interface Compiled { used: boolean; cacheFile: string | undefined }
const LOADER = join(ROOT, 'bin/load-bundle.cjs')

/** compileBundle in a fresh process (within one process V8 reuses what it compiled and ignores the cache). */
function compileBundle(file: string, env: NodeJS.ProcessEnv): Compiled {
  const code = `const r = require(${JSON.stringify(LOADER)}).compileBundle(${JSON.stringify(file)}, ${JSON.stringify(env)}); process.stdout.write(JSON.stringify({ used: r.used, cacheFile: r.cacheFile }))`
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' })
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

test('code cache: written by the first start (0600 in a 0700 folder), used by the next', () => {
  const env = { XDG_CACHE_HOME: join(tmp.dir, 'xdg-cache') }
  const main = join(ROOT, 'dist/cli/main.cjs')
  const first = compileBundle(main, env)
  assert.not.ok(first.used)
  assert.ok(first.cacheFile?.startsWith(join(tmp.dir, 'xdg-cache', 'sops-like', 'main-')), first.cacheFile)
  assert.is(statSync(first.cacheFile!).mode & 0o777, 0o600)
  assert.is(statSync(join(tmp.dir, 'xdg-cache', 'sops-like')).mode & 0o777, 0o700)
  const second = compileBundle(main, env)
  assert.ok(second.used)
  assert.is(second.cacheFile, first.cacheFile)
  // HOME/.cache when XDG_CACHE_HOME is unset; none at all when turned off or without a home
  assert.ok(compileBundle(main, { HOME: join(tmp.dir, 'home') }).cacheFile?.startsWith(join(tmp.dir, 'home', '.cache', 'sops-like')))
  assert.is(compileBundle(main, { ...env, SOPS_LIKE_CODE_CACHE: '0' }).cacheFile, undefined)
  assert.is(compileBundle(main, {}).cacheFile, undefined)
})

test('code cache: one that others can write, or a damaged one, is not used (and is replaced)', () => {
  const env = { XDG_CACHE_HOME: join(tmp.dir, 'xdg-cache-2') }
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
  const env = { XDG_CACHE_HOME: join(tmp.dir, 'xdg-cache-3') }
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

test('code cache: the four newest caches are kept, older ones removed', () => {
  const folder = join(tmp.dir, 'xdg-cache-6', 'sops-like')
  mkdirSync(folder, { recursive: true, mode: 0o700 })
  const old = Array.from({ length: 5 }, (_, i) => join(folder, `main-${String(i).repeat(32)}.cache`))
  old.forEach((f, i) => {
    writeFileSync(f, 'x', { mode: 0o600 })
    utimesSync(f, new Date(2020, 0, i + 1), new Date(2020, 0, i + 1))
  })
  const { cacheFile } = compileBundle(join(ROOT, 'dist/cli/main.cjs'), { XDG_CACHE_HOME: join(tmp.dir, 'xdg-cache-6') })
  const left = readdirSync(folder).map((n) => join(folder, n)).sort()
  assert.equal(left, [cacheFile!, ...old.slice(2)].sort())
})

test('the code cache written by a run that decrypted a secret holds neither the secret nor the key', () => {
  const cacheHome = join(tmp.dir, 'xdg-cache-5')
  writeFileSync(join(tmp.dir, 'canary.yaml'), `secret: ${CANARY}\nother: plain-${CANARY}\n`)
  const enc = cli(['encrypt', '--age', key.recipient, 'canary.yaml'], { SOPS_LIKE_CODE_CACHE: '0' })
  writeFileSync(join(tmp.dir, 'canary.enc.yaml'), enc.stdout)
  const copy = packageCopy('pkg-canary') // a bundle of its own: this cache is written by this run
  const r = cli(['run', '-f', 'canary.enc.yaml', '--', process.execPath, '-e', 'process.stdout.write(process.env.secret)'], { XDG_CACHE_HOME: cacheHome }, join(copy, 'bin/sops-like.cjs'))
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
  const env = { XDG_CACHE_HOME: join(tmp.dir, 'xdg-cache-4') }
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
