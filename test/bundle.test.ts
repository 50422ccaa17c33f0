/**
 * The bundled CLI (scripts/bundle.mjs) as users run it, through bin/sops-like.cjs: it works,
 * starts no ES module loader, loads each vendored package only when the file needs it
 * (Node's own module log, NODE_DEBUG=module,esm, says what was loaded), and its V8 code
 * cache is used when valid and harmless when not.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeAgeKey, tempDir, type TestKey } from './helpers/keys.js'
import { PGP_TEST_KEY, fixturePath } from './helpers/fixtures.js'

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
  assert.equal(r.files, ['bin/sops-like.cjs'])
  assert.not.ok(r.esm, 'the ES module loader started')
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

test('the code cache is the one V8 accepts for this main.cjs under this Node', () => {
  const { compileCached } = createRequire(import.meta.url)('../bin/sops-like.cjs') as { compileCached(file: string): { cachedDataRejected?: boolean } }
  assert.ok(existsSync(join(ROOT, 'dist/cli/main.cjs.cache')))
  assert.is(compileCached(join(ROOT, 'dist/cli/main.cjs')).cachedDataRejected, false)
})

test('a corrupt or missing code cache only costs time', () => {
  const copy = join(tmp.dir, 'pkg')
  mkdirSync(join(copy, 'dist'), { recursive: true })
  cpSync(join(ROOT, 'bin'), join(copy, 'bin'), { recursive: true })
  cpSync(join(ROOT, 'dist/cli'), join(copy, 'dist/cli'), { recursive: true })
  writeFileSync(join(tmp.dir, 'c.yaml'), 'k: v\n')
  const enc = cli(['encrypt', '--age', key.recipient, 'c.yaml'])
  writeFileSync(join(tmp.dir, 'c.enc.yaml'), enc.stdout)
  const cache = join(copy, 'dist/cli/main.cjs.cache')
  for (const damage of [() => writeFileSync(cache, Buffer.alloc(4096, 7)), () => rmSync(cache)]) {
    damage()
    const r = cli(['decrypt', 'c.enc.yaml'], {}, join(copy, 'bin/sops-like.cjs'))
    assert.is(r.code, 0, r.stderr)
    assert.is(r.stdout, 'k: v\n')
  }
})

test('errors keep their exit code and one line through the bundle', () => {
  const r = cli(['decrypt', 'missing.yaml'])
  assert.is.not(r.code, 0)
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, /^sops-like: /)
})

test.run()
