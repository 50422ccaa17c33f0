/**
 * Issue #21's "done when", end to end through the CLI against the local protocol servers
 * (test/helpers/vault-server.ts, test/helpers/kms-server.ts, the real AWS SDK as client): a file
 * with age + Vault + AWS KMS entries in TWO key groups, threshold 2, is created from a creation
 * rule, decrypted with any two of the three services, shown by `status` entry by entry, rotated,
 * and offboarded — the KMS key by its ARN, then one Vault key by its URI — from the file AND the
 * config's creation rule (no --keep-unlisted needed, the config no longer lists them).
 * Two groups and three services: to need two services for every pair, one service must be in
 * both groups (a Vault key per group here), so the Vault alone opens it too (pigeonhole).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isolatedEnv, runCli } from '../../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { CANARY } from '../../helpers/fixtures.js'
import { startFakeKms, type FakeKms } from '../../helpers/kms-server.js'
import { startFakeVault, type FakeVault } from '../../helpers/vault-server.js'

const ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'
const AKID = 'AKIDDONEWHENKEY00001'
const SECRET = 'done/when/secret+0123456789abcdefghij'
const TOKEN = 'hvs.done-when-token'
const PLAIN = `db:\n    password: ${CANARY}\nname: app\n`
const t = tempDir('sops-like-done-when-')
const dir = join(t.dir, 'repo')
let kms: FakeKms
let vault: FakeVault
let a: TestKey

type Who = 'age' | 'vault' | 'kms'
const env = (...who: Who[]): NodeJS.ProcessEnv => isolatedEnv({
  AWS_ENDPOINT_URL_KMS: kms.endpoint, AWS_EC2_METADATA_DISABLED: 'true', VAULT_ADDR: vault.address,
  ...(who.includes('age') ? { SOPS_AGE_KEY: a.identity } : {}),
  ...(who.includes('kms') ? { AWS_ACCESS_KEY_ID: AKID, AWS_SECRET_ACCESS_KEY: SECRET } : {}),
  ...(who.includes('vault') ? { VAULT_TOKEN: TOKEN } : {}),
})
const cli = (args: string[], ...who: Who[]) => runCli(args, { cwd: dir, env: env(...who) })
const file = (): string => readFileSync(join(dir, 's.yaml'), 'utf8')
const config = (): string => readFileSync(join(dir, '.sops-like.yaml'), 'utf8')

test.before(async () => {
  kms = await startFakeKms({ accessKeyId: AKID, secretAccessKey: SECRET, keys: [ARN] })
  vault = await startFakeVault({ token: TOKEN })
  a = await makeAgeKey(t.dir, 'a')
  mkdirSync(dir)
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:
  - path_regex: \\.yaml$
    shamir_threshold: 2
    key_groups:
      - age: [${a.recipient}]
        hc_vault: [${vault.uri('g0')}]
      - kms:
          - arn: ${ARN}
            context: {app: web}
        hc_vault:
          - ${vault.uri('g1')}
`)
  writeFileSync(join(dir, 's.yaml'), PLAIN)
})
test.after(async () => { await kms.close(); await vault.close(); t.cleanup() })

test('created from the rule: two key groups, threshold 2, all three kinds of entry', async () => {
  const e = await cli(['encrypt', '-i', 's.yaml'], 'vault', 'kms')
  assert.is(e.code, 0, e.stderr)
  const text = file()
  assert.match(text, /shamir_threshold: 2/)
  assert.match(text, /key_groups:\n\s+- /)
  assert.match(text, `arn: ${ARN}`)
  assert.match(text, /recipient: age1/)
})

test('any two of age, Vault and KMS open it; age alone or KMS alone does not (exit 128)', async () => {
  for (const pair of [['age', 'vault'], ['age', 'kms'], ['vault', 'kms']] as Who[][]) {
    const d = await cli(['decrypt', 's.yaml'], ...pair)
    assert.is(d.code, 0, `${pair.join('+')}: ${d.stderr}`)
    assert.is(d.stdout, PLAIN)
  }
  for (const one of ['age', 'kms'] as Who[]) {
    const d = await cli(['decrypt', 's.yaml'], one)
    assert.is(d.code, 128, one)
    assert.match(d.stderr, /1 of 2 groups opened, 2 needed/)
  }
})

test('status lists every entry by type and id, per key group', async () => {
  const s = await cli(['status', 's.yaml'])
  assert.is(s.code, 0, s.stderr)
  assert.match(s.stdout, /key group 0 \(shamir threshold 2\):\n/)
  assert.match(s.stdout, `    hc_vault ${vault.uri('g0')}`)
  assert.match(s.stdout, `    hc_vault ${vault.uri('g1')}`)
  assert.match(s.stdout, /    age age1/)
  assert.match(s.stdout, /    kms arn:aws:kms:eu-west-1:111122223333:key\//)
  assert.match(s.stdout, 'creation rule: matches')
})

test('rotate re-wraps every entry (new ciphertexts, KMS context kept) and any two still open it', async () => {
  const before = [...file().matchAll(/enc: (\S{40,})/g)].map((m) => m[1])
  const r = await cli(['rotate', 's.yaml'], 'age', 'vault', 'kms')
  assert.is(r.code, 0, r.stderr)
  const after = file()
  for (const enc of before) assert.not.ok(after.includes(enc!), 'entry re-wrapped')
  assert.match(after, /context:\n\s+app: web\n/)
  assert.is((await cli(['decrypt', 's.yaml'], 'age', 'kms')).stdout, PLAIN)
})

test('offboard ARN: gone from the file and from the creation rule (the rest of the config kept); offboard a Vault URI likewise', async () => {
  const off = await cli(['offboard', ARN], 'age', 'vault', 'kms')
  assert.is(off.code, 0, off.stdout + off.stderr)
  assert.match(off.stdout, /Config \.sops-like\.yaml: removed from 1 place/)
  assert.not.match(file(), /arn:aws:kms/)
  assert.not.match(config(), /arn:aws:kms|context|app: web/)
  assert.match(config(), new RegExp(`      - hc_vault:\\n          - ${vault.uri('g1').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\n`), 'the group keeps its Vault key')
  assert.is((await cli(['decrypt', 's.yaml'], 'age', 'vault')).stdout, PLAIN)
  const check = await cli(['status', 's.yaml'])
  assert.match(check.stdout, 'creation rule: matches')

  const offVault = await cli(['offboard', vault.uri('g0')], 'age', 'vault')
  assert.is(offVault.code, 0, offVault.stdout + offVault.stderr)
  assert.not.ok(file().includes('key_name: g0'))
  assert.not.ok(config().includes(vault.uri('g0')))
  assert.ok(config().includes(a.recipient))
  assert.is((await cli(['decrypt', 's.yaml'], 'age', 'vault')).stdout, PLAIN)
  assert.is((await cli(['decrypt', 's.yaml'], 'vault')).code, 128, 'the Vault alone opens only group 1 now')
})

test.run()
