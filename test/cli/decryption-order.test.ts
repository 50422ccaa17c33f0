/**
 * --decryption-order / SOPS_DECRYPTION_ORDER through every decrypting command: a file with an
 * age and a Vault Transit entry in ONE key group, both keys at hand; the local Vault server
 * (test/helpers/vault-server.ts) counts the decrypt requests, so the order is seen from outside:
 * age first by default (Vault never asked), the Vault first when the order says so.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isolatedEnv, runCli } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'
import { startFakeVault, type FakeVault } from '../helpers/vault-server.js'

const TOKEN = 'hvs.order-test-token'
const PLAIN = `db:\n    password: ${CANARY}\n`
const t = tempDir('sops-like-order-')
let vault: FakeVault
let a: TestKey

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => isolatedEnv({ SOPS_AGE_KEY: a.identity, VAULT_TOKEN: TOKEN, VAULT_ADDR: vault.address, ...extra })
/** Vault decrypt requests made while `f` runs. */
async function vaultAsks(f: () => Promise<{ code: number; stderr: string }>, code = 0): Promise<number> {
  const before = vault.requests.filter((r) => r.path.includes('/decrypt/')).length
  const r = await f()
  assert.is(r.code, code, r.stderr)
  return vault.requests.filter((r) => r.path.includes('/decrypt/')).length - before
}

test.before(async () => {
  vault = await startFakeVault({ token: TOKEN })
  a = await makeAgeKey(t.dir, 'a')
  writeFileSync(join(t.dir, 'plain.yaml'), PLAIN)
  const e = await runCli(['encrypt', '--age', a.recipient, '--hc-vault-transit', vault.uri(), 'plain.yaml', '-o', 's.yaml'], { cwd: t.dir, env: env() })
  assert.is(e.code, 0, e.stderr)
  // both entries in one key group: which one is asked is the order's choice
  assert.match(readFileSync(join(t.dir, 's.yaml'), 'utf8'), /key_groups|hc_vault:/)
})
test.after(async () => { await vault.close(); t.cleanup() })

const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => () => runCli(args, { cwd: t.dir, env: env(extra) })

test('decrypt: age first by default (Vault not asked); --decryption-order hc_vault,age asks the Vault once; SOPS_DECRYPTION_ORDER likewise; the flag wins', async () => {
  assert.is(await vaultAsks(run(['decrypt', 's.yaml'])), 0)
  assert.is(await vaultAsks(run(['decrypt', '--decryption-order', 'hc_vault,age', 's.yaml'])), 1)
  assert.is(await vaultAsks(run(['decrypt', 's.yaml'], { SOPS_DECRYPTION_ORDER: 'hc_vault' })), 1)
  assert.is(await vaultAsks(run(['decrypt', '--decryption-order', 'age', 's.yaml'], { SOPS_DECRYPTION_ORDER: 'hc_vault' })), 0)
  assert.is(await vaultAsks(run(['-d', '--decryption-order', 'hc_vault', 's.yaml'])), 1, "sops' -d form")
  const d = await runCli(['decrypt', '--decryption-order', 'hc_vault', 's.yaml'], { cwd: t.dir, env: env() })
  assert.is(d.stdout, PLAIN)
})

test('the Vault refusing is not fatal: age is tried next', async () => {
  assert.is(await vaultAsks(run(['decrypt', '--decryption-order', 'hc_vault', 's.yaml'], { VAULT_TOKEN: 'wrong' })), 1)
})

test('run, exec-env, exec-file, set, rotate, updatekeys honour the order', async () => {
  assert.is(await vaultAsks(run(['run', '-f', 's.yaml', '--decryption-order', 'hc_vault', '--', 'true'])), 1, 'run')
  assert.is(await vaultAsks(run(['run', '-f', 's.yaml', '--', 'true'])), 0, 'run default')
  assert.is(await vaultAsks(run(['run', '-f', 's.yaml', '--', 'true'], { SOPS_DECRYPTION_ORDER: 'hc_vault,age' })), 1, 'run env')
  assert.is(await vaultAsks(run(['exec-env', '--decryption-order', 'hc_vault', 's.yaml', 'true'])), 1, 'exec-env')
  assert.is(await vaultAsks(run(['exec-file', '--decryption-order', 'hc_vault', 's.yaml', 'cat {} >/dev/null'])), 1, 'exec-file')
  assert.is(await vaultAsks(run(['set', '--decryption-order', 'hc_vault', 's.yaml', '["db"]["user"]', '"app"'])), 1, 'set')
  assert.is(await vaultAsks(run(['rotate', '--decryption-order', 'hc_vault', '--keep-unlisted', 's.yaml'])), 1, 'rotate')
  assert.is(await vaultAsks(run(['rotate', '--keep-unlisted', 's.yaml'])), 0, 'rotate default')
  assert.is(await vaultAsks(run(['-r', '--decryption-order', 'hc_vault', 's.yaml'])), 1, "sops' -r form")
  // updatekeys opens the file when the rule adds a recipient
  const b = await makeAgeKey(t.dir, 'b')
  mkdirSync(join(t.dir, 'upd'))
  writeFileSync(join(t.dir, 'upd', '.sops-like.yaml'), `creation_rules:\n  - age: ${a.recipient},${b.recipient}\n    hc_vault_transit_uri: ${vault.uri()}\n`)
  writeFileSync(join(t.dir, 'upd', 's.yaml'), readFileSync(join(t.dir, 's.yaml')))
  assert.is(await vaultAsks(() => runCli(['updatekeys', '-y', '--decryption-order', 'hc_vault', 's.yaml'], { cwd: join(t.dir, 'upd'), env: env() })), 1, 'updatekeys')
  assert.match(readFileSync(join(t.dir, 'upd', 's.yaml'), 'utf8'), b.recipient)
})

test('an unknown or repeated type is a usage error (exit 1) before any key is asked', async () => {
  for (const [args, extra, re] of [
    [['decrypt', '--decryption-order', 'vault,age', 's.yaml'], {}, /--decryption-order: "vault" is not a key type/],
    [['run', '-f', 's.yaml', '--', 'true'], { SOPS_DECRYPTION_ORDER: 'aws_kms' }, /SOPS_DECRYPTION_ORDER: "aws_kms" is not a key type/],
    [['rotate', '--decryption-order', 'age,age', 's.yaml'], {}, /age is listed twice/],
  ] as const) {
    const before = vault.requests.length
    const r = await runCli([...args], { cwd: t.dir, env: env(extra) })
    assert.is(r.code, 1, r.stderr)
    assert.match(r.stderr, re)
    assert.is(vault.requests.length, before)
  }
})

test.run()
