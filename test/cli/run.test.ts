/** End to end: `run`, `run --as-file`, `example` and `sops-like/config` as a user runs them. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCli, isolatedEnv, type CliResult } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { dumpEnvCommand, readEnvDump, startCli, waitForFile, writeEncrypted } from '../helpers/run.js'
import { CANARY } from '../helpers/fixtures.js'
import { KEY_ENV_VARS } from '../../src/ops/run/env.js'
import { privateLeftovers } from '../helpers/private-temp.js'

let t: ReturnType<typeof tempDir>
let k: TestKey
let other: TestKey
let runtime: string
test.before(async () => {
  t = tempDir()
  k = await makeAgeKey(t.dir, 'a')
  other = await makeAgeKey(t.dir, 'b')
  runtime = join(t.dir, 'runtime')
  mkdirSync(runtime, { mode: 0o700 })
  await writeEncrypted(t.dir, 'base.enc.json', `{"db": {"password": "${CANARY}", "port": 5432}, "SHARED": "base", "ratio": 1.5, "on": true, "none": null, "hosts": ["a", "b"], "note_unencrypted": "visible"}`, 'json', k.recipient)
  await writeEncrypted(t.dir, 'prod.enc.env', `SHARED=prod\nEXTRA=${CANARY}\n`, 'dotenv', k.recipient)
  await writeEncrypted(t.dir, 'other.enc.json', `{"X": "${CANARY}"}`, 'json', other.recipient)
  await writeEncrypted(t.dir, 'clash.enc.json', `{"db_password": "${CANARY}", "db": {"password": "${CANARY}"}}`, 'json', k.recipient)
  await writeEncrypted(t.dir, 'badname.enc.json', `{"my-key": "${CANARY}"}`, 'json', k.recipient)
  writeFileSync(join(t.dir, 'plain.json'), `{"P": "${CANARY}"}`)
  const tampered = JSON.parse(readFileSync(join(t.dir, 'base.enc.json'), 'utf8'))
  tampered.note_unencrypted = 'changed' // an unencrypted value changed: only the MAC notices
  writeFileSync(join(t.dir, 'tampered.enc.json'), JSON.stringify(tampered))
})
test.after(() => t.cleanup())

/** The parent env: the key file and every other key variable (bogus values where they are not used). */
function keyEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return isolatedEnv({
    SOPS_AGE_KEY_FILE: k.file,
    SOPS_LIKE_PGP_KEY_FILE: '/nonexistent/pgp.asc',
    SOPS_LIKE_PGP_PASSPHRASE: 'pp',
    SOPS_LIKE_SSH_PASSPHRASE: 'pp',
    SOPS_LIKE_AGE_PASSPHRASE: 'pp',
    XDG_RUNTIME_DIR: runtime,
    ...extra,
  })
}
const run = (args: string[], env = keyEnv()) => runCli(args, { cwd: t.dir, env })

function assertNoLeak(r: { stdout: string; stderr: string }): void {
  assert.not.ok(r.stdout.includes(CANARY), 'canary in stdout')
  assert.not.ok(r.stderr.includes(CANARY), 'canary in stderr')
}
function assertOneLineError(r: CliResult, code: number): void {
  assert.is(r.code, code, r.stderr)
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, /^sops-like: /)
  assertNoLeak(r)
}

test('the child sees exactly the files\' variables with --pristine, and never the key variables', async () => {
  const out = join(t.dir, 'env-pristine.json')
  const r = await run(['run', '--pristine', '-f', 'base.enc.json', '-f', 'prod.enc.env', '--', ...dumpEnvCommand(out)])
  assert.is(r.code, 0, r.stderr)
  assertNoLeak(r)
  assert.equal(readEnvDump(out), { db_password: CANARY, db_port: '5432', SHARED: 'prod', ratio: '1.5', on: 'true', none: '', hosts: '["a","b"]', note_unencrypted: 'visible', EXTRA: CANARY })
})

test('by default: parent env minus key variables, plus the files; the environment wins', async () => {
  const out = join(t.dir, 'env-default.json')
  const r = await run(['run', '-f', 'base.enc.json', '--', ...dumpEnvCommand(out)], keyEnv({ SHARED: 'from-env' }))
  assert.is(r.code, 0, r.stderr)
  const env = readEnvDump(out)
  for (const v of KEY_ENV_VARS) assert.is(env[v], undefined, v)
  assert.is(env.SHARED, 'from-env')
  assert.is(env.db_password, CANARY)
  assert.is(env.HOME, '/nonexistent-home')
  assert.is(env.XDG_RUNTIME_DIR, runtime)
})

test('--override, --upper, --keep-key-env', async () => {
  const out = join(t.dir, 'env-flags.json')
  let r = await run(['run', '--override', '--upper', '-f', 'base.enc.json', '--', ...dumpEnvCommand(out)], keyEnv({ SHARED: 'from-env' }))
  assert.is(r.code, 0, r.stderr)
  let env = readEnvDump(out)
  assert.is(env.SHARED, 'base')
  assert.is(env.DB_PASSWORD, CANARY)
  assert.is(env.db_password, undefined)
  r = await run(['run', '--keep-key-env', '-f', 'base.enc.json', '--', ...dumpEnvCommand(out)])
  env = readEnvDump(out)
  assert.is(env.SOPS_AGE_KEY_FILE, k.file)
  assert.is(env.SOPS_LIKE_PGP_PASSPHRASE, 'pp')
})

test('files from .sops-like.yaml run.files, else the conventional names', async () => {
  const dir = join(t.dir, 'conv')
  mkdirSync(dir)
  const out = join(t.dir, 'env-conv.json')
  let r = await runCli(['run', '--', ...dumpEnvCommand(out)], { cwd: dir, env: keyEnv() })
  assertOneLineError(r, 100)
  assert.match(r.stderr, /secrets\.enc\.yaml, secrets\.enc\.yml, secrets\.enc\.json, secrets\.enc\.env, \.env\.enc, secrets\.enc\.toml/)
  await writeEncrypted(dir, 'secrets.enc.json', '{"FROM": "conventional"}', 'json', k.recipient)
  r = await runCli(['run', '--pristine', '--', ...dumpEnvCommand(out)], { cwd: dir, env: keyEnv() })
  assert.is(r.code, 0, r.stderr)
  assert.equal(readEnvDump(out), { FROM: 'conventional' })
  await writeEncrypted(dir, 'listed.enc.json', '{"FROM": "config"}', 'json', k.recipient)
  writeFileSync(join(dir, '.sops-like.yaml'), 'run:\n  files: [listed.enc.json]\n')
  r = await runCli(['run', '--pristine', '--', ...dumpEnvCommand(out)], { cwd: dir, env: keyEnv() })
  assert.is(r.code, 0, r.stderr)
  assert.equal(readEnvDump(out), { FROM: 'config' })
})

test('everything after -- is passed through untouched', async () => {
  const out = join(t.dir, 'argv.json')
  const r = await run(['run', '-f', 'base.enc.json', '--', process.execPath, '-e', 'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))', out, '--upper', '-f', 'x', '--', '{}', '$HOME', 'a b'])
  assert.is(r.code, 0, r.stderr)
  assert.equal(JSON.parse(readFileSync(out, 'utf8')), ['--upper', '-f', 'x', '--', '{}', '$HOME', 'a b'])
})

test('--dry-run prints names and files, never values, and runs nothing', async () => {
  const marker = join(t.dir, 'dry-marker')
  const r = await run(['run', '--dry-run', '-f', 'base.enc.json', '-f', 'prod.enc.env', '--', process.execPath, '-e', `require("fs").writeFileSync(${JSON.stringify(marker)}, "")`], keyEnv({ EXTRA: 'set' }))
  assert.is(r.code, 0, r.stderr)
  assertNoLeak(r)
  assert.not.ok(existsSync(marker))
  const lines = r.stdout.trim().split('\n')
  assert.ok(lines.includes('db_password\tbase.enc.json'), r.stdout)
  assert.ok(lines.includes('SHARED\tprod.enc.env'), r.stdout)
  assert.ok(lines.some((l) => l.startsWith('EXTRA\tprod.enc.env\t(already set')), r.stdout)
  assert.not.match(r.stdout, /5432|visible|true|1\.5/)
})

test('bad input: one line, the error\'s code, the command never starts, no value shown', async () => {
  const marker = join(t.dir, 'bad-marker')
  const cmd = ['--', process.execPath, '-e', `require("fs").writeFileSync(${JSON.stringify(marker)}, "")`]
  const cases: Array<[string[], number, NodeJS.ProcessEnv?]> = [
    [['-f', 'missing.enc.json'], 100],
    [['-f', 'plain.json'], 11],
    [['-f', 'tampered.enc.json'], 51],
    [['-f', 'base.enc.json', '-f', 'other.enc.json'], 128],
    [['-f', 'base.enc.json'], 128, isolatedEnv()],
    [['-f', 'clash.enc.json'], 13],
    [['-f', 'badname.enc.json'], 13],
    [['--as-file', 'plain.json'], 11],
    [['--as-file', 'other.enc.json'], 128],
  ]
  for (const [args, code, env] of cases) {
    const r = await run(['run', ...args, ...cmd], env ?? keyEnv())
    assertOneLineError(r, code)
    assert.not.ok(existsSync(marker), args.join(' '))
  }
  const clash = await run(['run', '-f', 'clash.enc.json', ...cmd])
  assert.match(clash.stderr, /\["db_password"\] and \["db"\]\["password"\]/)
  const bad = await run(['run', '-f', 'badname.enc.json', ...cmd])
  assert.match(bad.stderr, /\["my-key"\]/)
  const plain = await run(['run', '--allow-plaintext', '--pristine', '-f', 'plain.json', '--', ...dumpEnvCommand(join(t.dir, 'env-plain.json'))])
  assert.is(plain.code, 0, plain.stderr)
  assert.equal(readEnvDump(join(t.dir, 'env-plain.json')), { P: CANARY })
})

test('a command that cannot be started: 127 / 126 with one line', async () => {
  assertOneLineError(await run(['run', '-f', 'base.enc.json', '--', 'definitely-not-a-command-xyz']), 127)
  assertOneLineError(await run(['run', '-f', 'base.enc.json', '--', './plain.json']), 126)
  assertOneLineError(await run(['run', '-f', 'base.enc.json']), 1)
  assertOneLineError(await run(['run', '--as-file', 'base.enc.json', '-f', 'prod.enc.env', '--', 'true']), 8)
})

test('the child\'s exit code is run\'s', async () => {
  assert.is((await run(['run', '-f', 'base.enc.json', '--', process.execPath, '-e', 'process.exit(7)'])).code, 7)
  assert.is((await run(['run', '-f', 'base.enc.json', '--', process.execPath, '-e', 'process.kill(process.pid, "SIGKILL")'])).code, 137)
})

test('--as-file: the child reads the plaintext at {}; nothing is left after a normal or a failing exit', async () => {
  const out = join(t.dir, 'asfile.txt')
  let r = await run(['run', '--as-file', 'prod.enc.env', '--', process.execPath, '-e', 'const fs = require("fs"); fs.writeFileSync(process.argv[2], fs.readFileSync(process.argv[1]))', '{}', out])
  assert.is(r.code, 0, r.stderr)
  assertNoLeak(r)
  assert.is(readFileSync(out, 'utf8'), `SHARED=prod\nEXTRA=${CANARY}\n`)
  assert.equal(privateLeftovers(runtime), [])
  r = await run(['run', '--as-file', 'prod.enc.env', '--', process.execPath, '-e', 'process.exit(5)', '{}'])
  assert.is(r.code, 5)
  assert.equal(privateLeftovers(runtime), [])
  r = await run(['run', '--dry-run', '--as-file', 'prod.enc.env', '--', 'cat', '{}'])
  assert.is(r.code, 0, r.stderr)
  assertNoLeak(r)
  assert.match(r.stdout, /\{\} → prod\.env \(FIFO\)/)
})

test('example prints a keyless skeleton', async () => {
  const r = await runCli(['example', 'base.enc.json'], { cwd: t.dir, env: isolatedEnv() })
  assert.is(r.code, 0, r.stderr)
  assertNoLeak(r)
  assert.equal(JSON.parse(r.stdout), { db: { password: '', port: '' }, SHARED: '', ratio: '', on: '', none: '', hosts: ['', ''], note_unencrypted: '' })
  assertOneLineError(await runCli(['example', 'plain.json'], { cwd: t.dir, env: isolatedEnv() }), 11)
})


test('yaml (the conventional secrets.enc.yaml): nested keys flattened; example keeps keys and clear structure', async () => {
  const dir = join(t.dir, 'yaml')
  mkdirSync(dir)
  await writeEncrypted(dir, 'secrets.enc.yaml', `# a comment\ndb:\n    password: ${CANARY}\n    port: 5432\nhosts:\n    - a\n    - b\nflag: false\n`, 'yaml', k.recipient)
  const out = join(t.dir, 'env-yaml.json')
  const r = await runCli(['run', '--pristine', '--upper', '--', ...dumpEnvCommand(out)], { cwd: dir, env: keyEnv() })
  assert.is(r.code, 0, r.stderr)
  assert.equal(readEnvDump(out), { DB_PASSWORD: CANARY, DB_PORT: '5432', HOSTS: '["a","b"]', FLAG: 'false' })
  const ex = await runCli(['example', 'secrets.enc.yaml'], { cwd: dir, env: isolatedEnv() })
  assert.is(ex.code, 0, ex.stderr)
  assertNoLeak(ex)
  assert.not.match(ex.stdout, /sops:|ENC\[/)
  assert.match(ex.stdout, /^db:$/m)
  assert.match(ex.stdout, /password: ["']{2}/)
})

// ---- real processes: signals ----

const realEnv = (extra: NodeJS.ProcessEnv = {}) => ({ ...keyEnv(), PATH: process.env.PATH ?? '', ...extra })

test('SIGTERM sent to run reaches the child (which traps it and exits with its own code)', async () => {
  const ready = join(t.dir, 'term-ready')
  const marker = join(t.dir, 'term-marker')
  const { child, result } = startCli(['run', '-f', 'base.enc.json', '--', process.execPath, '-e', `
    const fs = require('fs')
    process.on('SIGTERM', () => { fs.writeFileSync(${JSON.stringify(marker)}, 'trapped'); process.exit(42) })
    fs.writeFileSync(${JSON.stringify(ready)}, '')
    setInterval(() => {}, 1000)`], { env: realEnv(), cwd: t.dir })
  await waitForFile(ready, child)
  child.kill('SIGTERM')
  const r = await result
  assert.is(r.code, 42, r.stderr)
  assert.is(readFileSync(marker, 'utf8'), 'trapped')
  assertNoLeak(r)
})

test('a child killed by a signal: run exits 128+N (SIGKILL → 137, SIGINT forwarded → 130)', async () => {
  let r = await startCli(['run', '-f', 'base.enc.json', '--', process.execPath, '-e', 'process.kill(process.pid, "SIGKILL")'], { env: realEnv(), cwd: t.dir }).result
  assert.is(r.code, 137, r.stderr)
  const ready = join(t.dir, 'int-ready')
  const p = startCli(['run', '-f', 'base.enc.json', '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000)`], { env: realEnv(), cwd: t.dir })
  await waitForFile(ready, p.child)
  p.child.kill('SIGINT')
  r = await p.result
  assert.is(r.code, 130, r.stderr)
})

test('--as-file leaves nothing behind when run is interrupted with SIGINT', async () => {
  const ready = join(t.dir, 'fifo-ready')
  const seen = join(t.dir, 'fifo-path')
  const { child, result } = startCli(['run', '--as-file', 'base.enc.json', '--', process.execPath, '-e', `
    const fs = require('fs')
    fs.writeFileSync(${JSON.stringify(seen)}, process.argv[1])
    fs.writeFileSync(${JSON.stringify(ready)}, '')
    setInterval(() => undefined, 1000)`, '{}'], { env: realEnv(), cwd: t.dir })
  await waitForFile(ready, child)
  assert.ok(existsSync(readFileSync(seen, 'utf8')))
  child.kill('SIGINT')
  const r = await result
  assert.is(r.code, 130, r.stderr)
  assert.not.ok(existsSync(readFileSync(seen, 'utf8')))
  assert.equal(privateLeftovers(runtime), [])
})

// ---- sops-like/config ----

const CONFIG_ENTRY = fileURLToPath(new URL('../../src/config-env.ts', import.meta.url))
const TSX_URL = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href

function importConfig(env: NodeJS.ProcessEnv, cwd: string): { code: number | null; env: Record<string, string>; stderr: string } {
  const out = join(t.dir, `config-env-${Math.random().toString(36).slice(2)}.json`)
  const code = `await import(${JSON.stringify(CONFIG_ENTRY)}); (await import('node:fs')).writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.env))`
  const r = spawnSync(process.execPath, ['--import', TSX_URL, '--input-type=module', '-e', code], { env, cwd })
  return { code: r.status, env: existsSync(out) ? readEnvDump(out) : {}, stderr: r.stderr.toString() }
}

test('import "sops-like/config" fills process.env (existing variables win)', () => {
  let r = importConfig(realEnv({ SOPS_LIKE_FILES: 'base.enc.json, prod.enc.env', SHARED: 'from-env' }), t.dir)
  assert.is(r.code, 0, r.stderr)
  assert.is(r.env.db_password, CANARY)
  assert.is(r.env.EXTRA, CANARY)
  assert.is(r.env.SHARED, 'from-env')
  // defaults: no file anywhere → nothing happens
  const empty = join(t.dir, 'empty')
  mkdirSync(empty)
  r = importConfig(realEnv(), empty)
  assert.is(r.code, 0, r.stderr)
  assert.is(r.env.db_password, undefined)
  // a named file that cannot be opened rejects the import, without a value
  r = importConfig(realEnv({ SOPS_LIKE_FILES: 'other.enc.json' }), t.dir)
  assert.is.not(r.code, 0)
  assert.not.ok(r.stderr.includes(CANARY))
})

test.run()
