/** runWithEnv / spawnCommand: the child's environment, exit codes, signals, 126/127. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { planRun, runWithEnv } from '../../../src/ops/run/run.js'
import { resolveCommand, signalExitCode, spawnCommand } from '../../../src/ops/run/spawn.js'
import { KEY_ENV_VARS } from '../../../src/ops/run/env.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { dumpEnvCommand, readEnvDump, writeEncrypted } from '../../helpers/run.js'
import { CANARY } from '../../helpers/fixtures.js'

let t: ReturnType<typeof tempDir>
let k: TestKey
test.before(async () => {
  t = tempDir()
  k = await makeAgeKey(t.dir, 'a')
  await writeEncrypted(t.dir, 's.enc.json', `{"db": {"password": "${CANARY}"}, "SHARED": "file", "n": 1.0, "ok": true}`, 'json', k.recipient)
})
test.after(() => t.cleanup())

const parentEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', SHARED: 'env', OTHER: 'o' }
  for (const v of KEY_ENV_VARS) env[v] = `key-${v}`
  env.SOPS_AGE_KEY_FILE = k.file
  delete env.SOPS_AGE_KEY // a bogus SOPS_AGE_KEY would break decryption
  delete env.SOPS_AGE_KEY_CMD
  delete env.SOPS_AGE_SSH_PRIVATE_KEY_FILE
  return env
}

test('the child sees the parent env + the files, minus the key variables; the environment wins', async () => {
  const out = join(t.dir, 'env1.json')
  const code = await runWithEnv(dumpEnvCommand(out), { files: ['s.enc.json'], cwd: t.dir, env: parentEnv() })
  assert.is(code, 0)
  const env = readEnvDump(out)
  assert.equal(env, { PATH: process.env.PATH ?? '', SHARED: 'env', OTHER: 'o', db_password: CANARY, n: '1.0', ok: 'true' })
  for (const v of KEY_ENV_VARS) assert.is(env[v], undefined, v)
})

test('--override and --pristine', async () => {
  const out = join(t.dir, 'env2.json')
  await runWithEnv(dumpEnvCommand(out), { files: ['s.enc.json'], cwd: t.dir, env: parentEnv(), override: true })
  assert.is(readEnvDump(out).SHARED, 'file')
  await runWithEnv(dumpEnvCommand(out), { files: ['s.enc.json'], cwd: t.dir, env: parentEnv(), pristine: true })
  assert.equal(readEnvDump(out), { db_password: CANARY, SHARED: 'file', n: '1.0', ok: 'true' })
})

test('--keep-key-env keeps the key variables', async () => {
  const out = join(t.dir, 'env3.json')
  await runWithEnv(dumpEnvCommand(out), { files: ['s.enc.json'], cwd: t.dir, env: parentEnv(), keepKeyEnv: true })
  assert.is(readEnvDump(out).SOPS_AGE_KEY_FILE, k.file)
})

test('planRun reports names, files and which the environment shadows (no values)', async () => {
  const plan = await planRun({ files: ['s.enc.json'], cwd: t.dir, env: parentEnv() })
  assert.equal(plan.vars, [
    { name: 'db_password', file: 's.enc.json', shadowed: false },
    { name: 'SHARED', file: 's.enc.json', shadowed: true },
    { name: 'n', file: 's.enc.json', shadowed: false },
    { name: 'ok', file: 's.enc.json', shadowed: false },
  ])
})

test('exit codes pass through; death by signal is 128+N', async () => {
  const env = { PATH: process.env.PATH ?? '' }
  assert.is(await spawnCommand([process.execPath, '-e', 'process.exit(42)'], { env }), 42)
  assert.is(await spawnCommand([process.execPath, '-e', 'process.kill(process.pid, "SIGKILL")'], { env }), 137)
  assert.is(await spawnCommand([process.execPath, '-e', 'process.kill(process.pid, "SIGTERM")'], { env }), 143)
  assert.is(signalExitCode('SIGINT'), 130)
})

test('127 not found, 126 not executable; one-line errors; nothing runs', async () => {
  const bin = join(t.dir, 'bin')
  mkdirSync(bin)
  writeFileSync(join(bin, 'noexec'), '#!/bin/sh\nexit 0\n')
  chmodSync(join(bin, 'noexec'), 0o644)
  writeFileSync(join(bin, 'ok'), '#!/bin/sh\nexit 5\n')
  chmodSync(join(bin, 'ok'), 0o755)
  const code = (fn: () => unknown): number => {
    try {
      fn()
    } catch (e) {
      return (e as { exitCode: number }).exitCode
    }
    return 0
  }
  assert.is(code(() => resolveCommand('definitely-not-a-command-xyz', { pathEnv: bin })), 127)
  assert.is(code(() => resolveCommand('./nope', { cwd: t.dir })), 127)
  assert.is(code(() => resolveCommand('noexec', { pathEnv: bin })), 126)
  assert.is(code(() => resolveCommand(bin, {})), 126) // a folder
  assert.is(resolveCommand('ok', { pathEnv: `/nonexistent:${bin}` }), join(bin, 'ok'))
  assert.is(await spawnCommand(['ok'], { env: {}, pathEnv: bin }), 5) // found on the parent's PATH, child env empty
  try {
    await runWithEnv(['definitely-not-a-command-xyz'], { files: ['s.enc.json'], cwd: t.dir, env: parentEnv() })
    assert.unreachable()
  } catch (e) {
    assert.is((e as { exitCode: number }).exitCode, 127)
    assert.not.match((e as Error).message, /\n/)
  }
})

test('signals reaching run are forwarded to the child while it runs, and the handlers are removed after', async () => {
  const before = process.listenerCount('SIGUSR2')
  const marker = join(t.dir, 'usr2')
  const ready = join(t.dir, 'ready')
  const child = spawnCommand([process.execPath, '-e', `
    const fs = require('fs')
    process.on('SIGUSR2', () => { fs.writeFileSync(${JSON.stringify(marker)}, 'x'); process.exit(9) })
    fs.writeFileSync(${JSON.stringify(ready)}, '')
    setInterval(() => {}, 1000)`], { env: { PATH: process.env.PATH ?? '' } })
  const { waitForFile } = await import('../../helpers/run.js')
  await waitForFile(ready)
  assert.is(process.listenerCount('SIGUSR2'), before + 1)
  process.kill(process.pid, 'SIGUSR2')
  assert.is(await child, 9)
  await waitForFile(marker)
  assert.is(process.listenerCount('SIGUSR2'), before)
})

test.run()
