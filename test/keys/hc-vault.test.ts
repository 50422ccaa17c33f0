/**
 * HashiCorp Vault Transit keys end to end through the CLI, against a local server speaking
 * Transit's JSON API (test/helpers/vault-server.ts): age + Vault in key groups with a Shamir
 * threshold, a file whose hc_vault entry is written by hand in sops' layout, rotate and
 * offboard of a Vault key, clear errors that never carry the token, and no Vault code loaded
 * for an age-only file.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isolatedEnv, runCli, TSX_IMPORT } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'
import { startFakeVault, type FakeVault } from '../helpers/vault-server.js'
import { moduleLogHook } from '../helpers/module-log.js'
import { parseVaultUri, vaultUri } from '../../src/keys/hc-vault.js'
import { Decrypter, armor } from 'age-encryption'
import { fileURLToPath } from 'node:url'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const execFileP = promisify(execFile)

const TOKEN = 'hvs.test-token-0123456789'
const NS = 'team-a'
const PLAIN = `db:\n    password: ${CANARY}\n    port: 5432\nname: app\n`
const t = tempDir('sops-like-vault-')
let vault: FakeVault
let a: TestKey, b: TestKey

/** Environment with the named age keys and, with `vault`, a good (or the given) Vault token. */
const envWith = (ages: TestKey[], token: string | null = TOKEN, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => isolatedEnv({
  PATH: '/nonexistent',
  ...(ages.length ? { SOPS_AGE_KEY: ages.map((k) => k.identity).join('\n') } : {}),
  ...(token !== null ? { VAULT_TOKEN: token } : {}),
  VAULT_NAMESPACE: NS,
  VAULT_ADDR: vault.address,
  ...extra,
})

test.before(async () => {
  vault = await startFakeVault({ token: TOKEN, namespace: NS })
  ;[a, b] = [await makeAgeKey(t.dir, 'a'), await makeAgeKey(t.dir, 'b')]
  writeFileSync(join(t.dir, 'plain.yaml'), PLAIN)
})
test.after(async () => { await vault.close(); t.cleanup() })

test('Vault URIs parse as sops parses them (engine path may have several segments; a URL prefix is refused)', () => {
  assert.equal(parseVaultUri('https://vault.example.com:8200/v1/transit/keys/keyName'), { address: 'https://vault.example.com:8200', enginePath: 'transit', keyName: 'keyName' })
  assert.equal(parseVaultUri('http://127.0.0.1:8200/v1/team/transit/keys/k1'), { address: 'http://127.0.0.1:8200', enginePath: 'team/transit', keyName: 'k1' })
  assert.is(vaultUri(parseVaultUri('https://v:8200/v1/sops/keys/k')), 'https://v:8200/v1/sops/keys/k')
  for (const bad of ['vault.example.com/v1/transit/keys/k', 'https://v:8200/transit/keys/k', 'https://v:8200/prefix/v1/transit/keys/k', 'https://v:8200/v1/transit']) {
    assert.throws(() => parseVaultUri(bad), (e: Error & { exitCode?: number }) => e.exitCode === 30, bad)
  }
})

test('two key groups (age, Vault, age) with threshold 2: any two groups open the file, one does not', async () => {
  writeFileSync(join(t.dir, '.sops-like.yaml'), `creation_rules:
  - path_regex: groups\\.
    shamir_threshold: 2
    key_groups:
      - age: [${a.recipient}]
      - hc_vault: [${vault.uri()}]
      - age: [${b.recipient}]
`)
  writeFileSync(join(t.dir, 'groups.yaml'), PLAIN)
  const enc = await runCli(['encrypt', '-i', 'groups.yaml'], { cwd: t.dir, env: envWith([]) })
  assert.is(enc.code, 0, enc.stderr)
  const text = readFileSync(join(t.dir, 'groups.yaml'), 'utf8')
  // the entry as sops 3.13 writes it: fields sorted, the address without the path, enc the vault ciphertext
  assert.match(text, new RegExp(`\\n          hc_vault:\\n            - created_at: "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"\\n              enc: vault:v1:[A-Za-z0-9+/=]+\\n              engine_path: transit\\n              key_name: sops\\n              vault_address: ${vault.address.replace(/\./g, '\\.')}\\n`))
  assert.ok(vault.requests.every((r) => r.namespace === NS), 'VAULT_NAMESPACE sent')
  for (const [who, env] of [['a + vault', envWith([a])], ['b + vault', envWith([b])], ['a + b', envWith([a, b], null)]] as const) {
    const dec = await runCli(['decrypt', 'groups.yaml'], { cwd: t.dir, env })
    assert.is(dec.code, 0, `${who}: ${dec.stderr}`)
    assert.is(dec.stdout, PLAIN, who)
  }
  const one = await runCli(['decrypt', 'groups.yaml'], { cwd: t.dir, env: envWith([a], 'hvs.wrong') })
  assert.is(one.code, 128)
  assert.match(one.stderr, /permission denied/)
  assert.match(one.stderr, vault.uri())
  assert.not.match(one.stderr, /hvs\./)
})

test('a file whose hc_vault entry is written by hand in sops\' layout opens with the Vault key alone', async () => {
  // an age-encrypted file; its data key is unwrapped here and given to Vault the way sops does (base64 plaintext)
  const r = await runCli(['encrypt', '--age', a.recipient, 'plain.yaml'], { cwd: t.dir, env: envWith([]) })
  assert.is(r.code, 0, r.stderr)
  const ageEnc = /enc: \|\n((?: {12}.*\n)+)/.exec(r.stdout)![1]!.replace(/^ {12}/gm, '')
  const d = new Decrypter()
  d.addIdentity(a.identity)
  const dataKey = await d.decrypt(armor.decode(ageEnc))
  assert.is(dataKey.length, 32)
  const entry = `    hc_vault:
        - vault_address: ${vault.address}
          engine_path: transit
          key_name: sops
          created_at: "2024-03-01T10:00:00Z"
          enc: ${vault.encrypt(dataKey)}
`
  const handMade = r.stdout.replace(/    age:\n(?:        .*\n)+/, entry)
  assert.ok(handMade.includes('hc_vault') && !handMade.includes('recipient:'))
  writeFileSync(join(t.dir, 'hand.enc.yaml'), handMade)
  const dec = await runCli(['decrypt', 'hand.enc.yaml'], { cwd: t.dir, env: envWith([]) })
  assert.is(dec.code, 0, dec.stderr)
  assert.is(dec.stdout, PLAIN)
})

test('rotate keeps the Vault entry (new enc, same created_at); --rm/--add-hc-vault-transit edit it; offboard by URI removes it', async () => {
  const dir = join(t.dir, 'rot')
  spawnSync('mkdir', ['-p', dir])
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: \\.yaml$\n    age: ${a.recipient}\n    hc_vault_transit_uri: ${vault.uri()}\n`)
  writeFileSync(join(dir, 's.yaml'), PLAIN)
  assert.is((await runCli(['encrypt', '-i', 's.yaml'], { cwd: dir, env: envWith([]) })).code, 0)
  const field = (name: string): string => new RegExp(`${name}: "?([^"\\n]+)`).exec(readFileSync(join(dir, 's.yaml'), 'utf8'))?.[1] ?? ''
  const vaultEnc = (): string => /enc: (vault:v1:\S+)/.exec(readFileSync(join(dir, 's.yaml'), 'utf8'))?.[1] ?? ''
  const [enc0, created0] = [vaultEnc(), field('created_at')]
  assert.ok(enc0)
  assert.ok(created0)
  const rot = await runCli(['rotate', 's.yaml'], { cwd: dir, env: envWith([]) })
  assert.is(rot.code, 0, rot.stderr)
  assert.is.not(vaultEnc(), enc0)
  assert.ok(vaultEnc())
  assert.is(field('created_at'), created0)
  // the Vault key alone opens the rotated file
  const byVault = await runCli(['decrypt', 's.yaml'], { cwd: dir, env: envWith([]) })
  assert.is(byVault.code, 0, byVault.stderr)

  const rm = await runCli(['rotate', '--rm-hc-vault-transit', vault.uri(), '--keep-unlisted', 's.yaml'], { cwd: dir, env: envWith([a]) })
  assert.is(rm.code, 0, rm.stderr)
  assert.not.match(readFileSync(join(dir, 's.yaml'), 'utf8'), /hc_vault|vault_address/)
  const add = await runCli(['rotate', '--add-hc-vault-transit', vault.uri(), 's.yaml'], { cwd: dir, env: envWith([a]) })
  assert.is(add.code, 0, add.stderr)
  assert.match(readFileSync(join(dir, 's.yaml'), 'utf8'), /vault_address/)

  const off = await runCli(['offboard', vault.uri()], { cwd: dir, env: envWith([a]) })
  assert.is(off.code, 0, off.stderr)
  assert.not.match(readFileSync(join(dir, 's.yaml'), 'utf8'), /vault_address/, off.stderr)
  // and from the creation rule (it used to stay there, reported as "does not list this recipient")
  assert.is(readFileSync(join(dir, '.sops-like.yaml'), 'utf8'), `creation_rules:\n  - path_regex: \\.yaml$\n    age: ${a.recipient}\n`)
  assert.match(off.stdout, /Config \.sops-like\.yaml: removed from 1 place/)
  const left = await runCli(['decrypt', 's.yaml'], { cwd: dir, env: envWith([a], null) })
  assert.is(left.stdout, PLAIN, left.stderr)
})

test('errors name the service, key and cause, never the token: wrong token (30 on encrypt), unknown engine, no token, network, allowlist', async () => {
  const enc = (env: NodeJS.ProcessEnv, uri = vault.uri()) => runCli(['encrypt', '--hc-vault-transit', uri, 'plain.yaml'], { cwd: t.dir, env })
  const wrong = await enc(envWith([], 'hvs.wrong-secret-token'))
  assert.is(wrong.code, 30)
  assert.match(wrong.stderr, `cannot encrypt to Vault Transit key ${vault.uri()}: permission denied`)
  assert.not.match(wrong.stderr, /wrong-secret-token/)
  assert.is(wrong.stderr.trim().split('\n').length, 1)
  const noNs = await enc(envWith([], TOKEN, { VAULT_NAMESPACE: '' }))
  assert.is(noNs.code, 30)
  const engine = await enc(envWith([]), vault.uri('sops', 'nope'))
  assert.is(engine.code, 30)
  assert.match(engine.stderr, /not found/)
  const none = await enc(envWith([], null))
  assert.is(none.code, 30)
  assert.match(none.stderr, /no Vault token: set VAULT_TOKEN/)
  const down = await enc(envWith([], TOKEN, { VAULT_ADDR: 'http://127.0.0.1:1' }), 'http://127.0.0.1:1/v1/transit/keys/sops')
  assert.is(down.code, 30)
  assert.match(down.stderr, /connection refused/)
  const listed = await enc(envWith([], TOKEN, { VAULT_ADDR: 'https://vault.internal:8200', SOPS_HC_VAULT_ALLOWLIST: vault.address }))
  assert.is(listed.code, 0, listed.stderr)
})

test('token exfiltration by a file naming its own Vault server: the token goes only to VAULT_ADDR or SOPS_HC_VAULT_ALLOWLIST', async () => {
  const seen = vault.requests.length
  // the attacker's file names a server that is not ours (here: the test server while VAULT_ADDR points elsewhere)
  const file = readFileSync(join(t.dir, 'hand.enc.yaml'), 'utf8')
  for (const extra of [{ VAULT_ADDR: 'https://vault.internal:8200' }, { VAULT_ADDR: '' }]) {
    const r = await runCli(['decrypt', 'hand.enc.yaml'], { cwd: t.dir, env: envWith([], TOKEN, extra) })
    assert.is(r.code, 128)
    assert.match(r.stderr, `the Vault token is not sent to ${vault.address}`)
  }
  assert.is(vault.requests.length, seen, 'no request reached the server named by the file')
  assert.ok(file.includes(vault.address))
  const enc = await runCli(['encrypt', '--hc-vault-transit', vault.uri(), 'plain.yaml'], { cwd: t.dir, env: envWith([], TOKEN, { VAULT_ADDR: '' }) })
  assert.is(enc.code, 30)
  assert.match(enc.stderr, /neither VAULT_ADDR nor SOPS_HC_VAULT_ALLOWLIST names it/)
})

test('token from ~/.vault-token when VAULT_TOKEN is unset', async () => {
  const home = join(t.dir, 'home')
  spawnSync('mkdir', ['-p', home])
  writeFileSync(join(home, '.vault-token'), TOKEN + '\n', { mode: 0o600 })
  const r = await runCli(['encrypt', '--hc-vault-transit', vault.uri(), 'plain.yaml'], { cwd: t.dir, env: envWith([], null, { HOME: home }) })
  assert.is(r.code, 0, r.stderr)
})

test('decrypting an age-only file never loads the Vault module; a Vault file does', async () => {
  const log = join(t.dir, 'modules.log')
  const hooks = ['./hc-vault.js', '../keys/hc-vault.js'].map((p) => moduleLogHook(t.dir, p, log))
  const entry = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url))
  writeFileSync(join(t.dir, 'age-only.yaml'), (await runCli(['encrypt', '--age', a.recipient, 'plain.yaml'], { cwd: t.dir, env: envWith([]) })).stdout)
  // asynchronous: the fake Vault answers from this process
  const run = async (file: string): Promise<string> => {
    writeFileSync(log, '')
    const r = await execFileP(process.execPath, ['--import', TSX_IMPORT, ...hooks.flatMap((h) => ['--import', h]), entry, 'decrypt', file], { cwd: t.dir, env: { ...envWith([a]), PATH: process.env.PATH ?? '' }, encoding: 'utf8' }).catch((e: { code?: number; stderr?: string }) => { assert.unreachable(`exit ${e.code}: ${e.stderr}`); throw e })
    assert.ok(r.stdout.includes(CANARY))
    return readFileSync(log, 'utf8')
  }
  assert.is(await run('age-only.yaml'), '')
  assert.ok((await run('groups.yaml')).includes('hc-vault.js'), 'positive control: the hook sees the module')
})

test.run()
