/**
 * The published package: `npm pack`, install the tarball into a fresh project without
 * the network, then use it as a user would — the `sops-like` bin through npx (version,
 * keygen, an encrypt/decrypt round trip) and the library from an ESM script
 * (`sops-like`, `sops-like/config`). Needs dist/ (`npm test` builds it first).
 *
 * Installing offline: npm needs the registry's package documents to resolve the
 * tarball's dependency ranges, and `npm ci` caches only tarballs. So when a plain
 * `npm install --offline` fails, the project is first seeded with copies of this
 * repository's installed runtime packages (the non-dev entries of package-lock.json)
 * and installed `--offline` again; `--prefer-offline` (network allowed) is the last resort.
 *
 * Then the README's "Install" section, its commands run literally in a copy of this repository
 * that has no dist/ and no node_modules (as a fresh clone), with npm's global prefix in a
 * temporary folder: the `prepare` script builds, and the tarball gives a working CLI.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tempDir } from './helpers/keys.js'
import { CANARY } from './helpers/fixtures.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string }

let t: ReturnType<typeof tempDir>
let project: string
let packed: string[] = []
/** How the tarball was installed (printed, for the record). */
let method = ''

/**
 * The children see no key variables of the developer, and none of the `npm_*` variables
 * that `npm test` sets (`npm_config_local_prefix` would make npm install into this
 * repository); npm keeps its cache (the real one).
 */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!/^SOPS_/.test(k) && !/^npm_/.test(k)) env[k] = v
  return {
    ...env,
    npm_config_cache: process.env.npm_config_cache ?? join(homedir(), '.npm'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  }
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = baseEnv(), input = ''): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.is(r.status, 0, `${what} failed (exit ${r.status}): ${r.error?.message ?? ''}${r.stderr.slice(-2000)}`)
  return r.stdout
}

/** A fresh project folder for the install. */
function freshProject(): string {
  const dir = join(t.dir, 'project')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'packaging-check', version: '1.0.0', private: true, type: 'module' }, null, 2))
  return dir
}

/** Copies this repository's installed runtime packages (package-lock.json entries not marked dev) into `dir`. */
function seedRuntimePackages(dir: string): void {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean; link?: boolean }> }
  for (const [path, meta] of Object.entries(lock.packages)) {
    if (!path.startsWith('node_modules/') || meta.dev || meta.devOptional || meta.link) continue
    const from = join(ROOT, path)
    if (existsSync(from)) cpSync(from, join(dir, path), { recursive: true })
  }
}

test.before(() => {
  assert.ok(existsSync(join(ROOT, 'dist/src/index.js')) && existsSync(join(ROOT, 'dist/cli/main.cjs')), 'dist/ is missing: run `npm run build` first (`npm test` does)')
  t = tempDir('sops-like-pack-')
  // dist/ is built (`npm test` did it): --ignore-scripts skips `prepare` rebuilding it
  const out = ok(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', t.dir], ROOT), 'npm pack')
  const info = JSON.parse(out.slice(out.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>
  packed = info[0]!.files.map((f) => f.path)
  const tgz = join(t.dir, info[0]!.filename)

  const attempts: Array<[string, (dir: string) => void, string[]]> = [
    ['npm install --offline', () => {}, ['--offline']],
    ['npm install --offline, after seeding the runtime packages from this repository', seedRuntimePackages, ['--offline']],
    ['npm install --prefer-offline, after seeding the runtime packages from this repository', seedRuntimePackages, ['--prefer-offline']],
  ]
  const errors: string[] = []
  for (const [name, seed, flags] of attempts) {
    project = freshProject()
    seed(project)
    const r = run('npm', ['install', ...flags, '--no-audit', '--no-fund', tgz], project)
    if (r.status === 0) { method = name; break }
    errors.push(`${name}: ${/npm error code (\w+)/.exec(r.stderr)?.[1] ?? `exit ${r.status}`}`)
  }
  assert.ok(method, `the tarball could not be installed: ${errors.join('; ')}`)
  console.log(`packaging: installed with ${method}${errors.length ? ` (before that: ${errors.join('; ')})` : ''}`)
})
test.after(() => t?.cleanup())

test('the tarball holds the build, not sources, tests, benchmarks or example keys', () => {
  assert.ok(packed.includes('package.json') && packed.includes('bin/sops-like.cjs') && packed.includes('dist/src/index.js') && packed.includes('dist/src/index.d.ts') && packed.includes('dist/src/engine.js') && packed.includes('dist/src/engine.d.ts'))
  const unwanted = packed.filter((p) =>
    /^(test|bench|examples|src|formats|scripts|dist-test)\//.test(p) || (p.endsWith('.ts') && !p.endsWith('.d.ts')) || /(^|\/)keys\/[^/]*\.txt$/.test(p))
  assert.equal(unwanted, [])
})

test('no age secret key is shipped', () => {
  const hits: string[] = []
  const walk = (dir: string): void => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, d.name)
      if (d.isDirectory()) walk(p)
      else if (/AGE-SECRET-KEY-1[0-9A-Z]{58}/.test(readFileSync(p, 'latin1'))) hits.push(p)
    }
  }
  walk(join(project, 'node_modules', PKG.name))
  assert.equal(hits, [])
})

test('npx sops-like --version prints the package version', () => {
  assert.is(ok(run('npx', ['--no', '--', 'sops-like', '--version'], project), 'sops-like --version').trim(), PKG.version)
})

test('the installed bin makes a key and round-trips a YAML file', () => {
  const recipient = ok(run('npx', ['--no', '--', 'sops-like', 'keygen', '-o', 'key.txt'], project), 'keygen').trim()
  assert.match(recipient, /^age1[0-9a-z]+$/)
  const plain = `db:\n    user: app\n    password: ${CANARY}\nport: 5432\n`
  writeFileSync(join(project, 'secrets.yaml'), plain)
  const enc = ok(run('npx', ['--no', '--', 'sops-like', 'encrypt', '--age', recipient, 'secrets.yaml'], project), 'encrypt')
  assert.not.ok(enc.includes(CANARY))
  assert.match(enc, /password: ENC\[AES256_GCM,/)
  writeFileSync(join(project, 'secrets.enc.yaml'), enc)
  const env = { ...baseEnv(), SOPS_AGE_KEY_FILE: join(project, 'key.txt') }
  assert.is(ok(run('npx', ['--no', '--', 'sops-like', 'decrypt', 'secrets.enc.yaml'], project, env), 'decrypt'), plain)
})

test('the library works from an ESM script: sops-like, sops-like/engine and sops-like/config', () => {
  writeFileSync(join(project, 'lib.mjs'), [
    "import { readFileSync } from 'node:fs'",
    "import { encryptBytes, decryptBytes, createAgeRecipient, VERSION } from 'sops-like'",
    "import { parseTreePath } from 'sops-like/engine'",
    "const recipient = readFileSync('key.txt', 'utf8').match(/public key: (age1\\w+)/)[1]",
    "const plain = Buffer.from('{\"token\": \"t0k3n\"}')",
    "const enc = await encryptBytes(plain, { inputFormat: 'json', groups: [[createAgeRecipient(recipient)]] })",
    "const dec = await decryptBytes(enc, { inputFormat: 'json', env: { SOPS_AGE_KEY_FILE: 'key.txt' } })",
    'console.log(JSON.stringify({ version: VERSION, sealed: !Buffer.from(enc).includes("t0k3n"), token: JSON.parse(Buffer.from(dec).toString()).token, config: import.meta.resolve("sops-like/config"), path: parseTreePath(\'["db"]["password"]\') }))',
  ].join('\n'))
  const r = JSON.parse(ok(run(process.execPath, ['lib.mjs'], project), 'the ESM script')) as { version: string; sealed: boolean; token: string; config: string; path: unknown }
  assert.equal({ version: r.version, sealed: r.sealed, token: r.token, path: r.path }, { version: PKG.version, sealed: true, token: 't0k3n', path: ['db', 'password'] })
  assert.ok(r.config.endsWith('/node_modules/sops-like/dist/src/config-env.js'), r.config)

  // importing it loads the named file into process.env (secrets.enc.yaml comes from the previous test)
  writeFileSync(join(project, 'config.mjs'), "import { loaded } from 'sops-like/config'\nconsole.log(JSON.stringify({ loaded, user: process.env.db_user }))\n")
  const env = { ...baseEnv(), SOPS_AGE_KEY_FILE: join(project, 'key.txt'), SOPS_LIKE_FILES: 'secrets.enc.yaml' }
  const c = JSON.parse(ok(run(process.execPath, ['config.mjs'], project, env), 'import sops-like/config')) as { loaded: string[]; user: string }
  assert.equal({ loaded: [...c.loaded].sort(), user: c.user }, { loaded: ['db_password', 'db_user', 'port'], user: 'app' })
})

/** The shell blocks of the README's "Install" section, in order. */
function installBlocks(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = /^## Install\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? ''
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!)
}

/** This repository's files as a clone has them (tracked, plus new files not ignored): no dist/, no node_modules. */
function copyRepository(to: string): void {
  const r = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ROOT)
  const files = r.status === 0 ? r.stdout.split('\0').filter(Boolean) : []
  if (files.length) {
    for (const f of files) if (existsSync(join(ROOT, f))) cpSync(join(ROOT, f), join(to, f), { recursive: true })
  } else {
    cpSync(ROOT, to, { recursive: true, filter: (src) => !/[\\/](node_modules|dist|\.git)$/.test(src) })
  }
}

test('README "Install": its commands, run literally in an unbuilt copy of the repository, give a working sops-like on PATH', () => {
  const blocks = installBlocks()
  assert.ok(blocks.length >= 2, 'README.md has an "## Install" section with its sh blocks')
  const clone = join(t.dir, 'sops-like')
  copyRepository(clone)
  assert.not.ok(existsSync(join(clone, 'dist')) || existsSync(join(clone, 'node_modules')))
  const prefix = join(t.dir, 'prefix')
  const app = join(t.dir, 'my-app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'my-app', version: '1.0.0', private: true }, null, 2))
  // the global prefix is a temporary folder; the network is used only for what npm's cache lacks
  const env = { ...baseEnv(), npm_config_prefix: prefix, npm_config_prefer_offline: 'true', PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` }
  const outputs = blocks.map((block, i) => ok(run('sh', ['-ec', block], clone, env), `README Install block ${i + 1}`))
  assert.ok(outputs[0]!.trim().endsWith(PKG.version), outputs[0]!.slice(-500))
  assert.ok(outputs[1]!.trim().endsWith(PKG.version), outputs[1]!.slice(-500))
  assert.ok(existsSync(join(prefix, 'bin', 'sops-like')) && existsSync(join(app, 'node_modules', '.bin', 'sops-like')))

  // the global bin, from anywhere: a key and an encrypt/decrypt round trip
  const bin = join(prefix, 'bin', 'sops-like')
  const work = join(t.dir, 'work')
  mkdirSync(work)
  const recipient = ok(run(bin, ['keygen', '-o', 'key.txt'], work), 'keygen').trim()
  writeFileSync(join(work, 'app.env'), `TOKEN=${CANARY}\n`)
  const enc = ok(run(bin, ['encrypt', '--age', recipient, 'app.env'], work), 'encrypt')
  assert.not.ok(enc.includes(CANARY))
  writeFileSync(join(work, 'app.enc.env'), enc)
  assert.is(ok(run(bin, ['decrypt', 'app.enc.env'], work, { ...baseEnv(), SOPS_AGE_KEY_FILE: join(work, 'key.txt') }), 'decrypt'), `TOKEN=${CANARY}\n`)
})

test.run()
