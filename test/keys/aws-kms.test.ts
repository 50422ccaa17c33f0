/**
 * AWS KMS keys end to end through the CLI, the real @aws-sdk/client-kms as the client (endpoint
 * override, SigV4 signing on, checked by the server) against a local KMS speaking JSON 1.1
 * (test/helpers/kms-server.ts); and the "done when": a file with age + Vault + KMS in key
 * groups (threshold 2) opens with any two, rotates and offboards the KMS key.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Decrypter, armor } from 'age-encryption'
import { isolatedEnv, runCli } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'
import { startFakeKms, type FakeKms } from '../helpers/kms-server.js'
import { startFakeVault, type FakeVault } from '../helpers/vault-server.js'
import { parseKmsArn } from '../../src/keys/aws-kms.js'

const ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'
const OTHER = 'arn:aws:kms:us-east-1:111122223333:key/ffffffff-12ab-34cd-56ef-1234567890ab'
const AKID = 'AKIDTESTKEY000000001'
const SECRET = 'test/secret/key+0123456789abcdefghijklmnop'
const TOKEN = 'hvs.kms-test-token'
const PLAIN = `db:\n    password: ${CANARY}\nname: app\n`
const t = tempDir('sops-like-kms-')
let kms: FakeKms
let vault: FakeVault
let a: TestKey, b: TestKey

const envWith = (o: { age?: boolean; aws?: boolean | string; vault?: boolean } = {}): NodeJS.ProcessEnv => isolatedEnv({
  PATH: '/nonexistent',
  AWS_ENDPOINT_URL_KMS: kms.endpoint,
  AWS_EC2_METADATA_DISABLED: 'true',
  ...(o.age ? { SOPS_AGE_KEY: a.identity } : {}),
  ...(o.aws ? { AWS_ACCESS_KEY_ID: typeof o.aws === 'string' ? o.aws : AKID, AWS_SECRET_ACCESS_KEY: SECRET } : {}),
  ...(o.vault ? { VAULT_TOKEN: TOKEN, VAULT_ADDR: vault.address } : {}),
})

test.before(async () => {
  kms = await startFakeKms({ accessKeyId: AKID, secretAccessKey: SECRET, keys: [ARN, OTHER] })
  vault = await startFakeVault({ token: TOKEN })
  a = await makeAgeKey(t.dir, 'a')
  b = await makeAgeKey(t.dir, 'b')
  writeFileSync(join(t.dir, 'plain.yaml'), PLAIN)
})
test.after(async () => { await kms.close(); await vault.close(); t.cleanup() })

test('ARNs parse as sops takes them (arn+role); other strings are refused with exit 30', () => {
  assert.equal(parseKmsArn(`${ARN}+arn:aws:iam::111122223333:role/sops`), { arn: ARN, role: 'arn:aws:iam::111122223333:role/sops', profile: '' })
  for (const bad of ['arn:aws:s3:::bucket', 'alias/foo', `${ARN}+notarole`]) assert.throws(() => parseKmsArn(bad), (e: Error & { exitCode?: number }) => e.exitCode === 30, bad)
})

test('--kms with an encryption context writes the entry as sops does, signed requests, and opens with KMS alone', async () => {
  const r = await runCli(['encrypt', '--kms', ARN, '--encryption-context', 'app:web,env:prod', 'plain.yaml', '-o', 'k.enc.yaml'], { cwd: t.dir, env: envWith({ aws: true }) })
  assert.is(r.code, 0, r.stderr)
  const text = readFileSync(join(t.dir, 'k.enc.yaml'), 'utf8')
  assert.match(text, new RegExp(`\\n    kms:\\n        - arn: ${ARN.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')}\\n          aws_profile: ""\\n          context:\\n            app: web\\n            env: prod\\n          created_at: "[0-9TZ:-]+"\\n          enc: [A-Za-z0-9+/=]+\\n`))
  assert.ok(kms.requests.length && kms.requests.every((q) => q.signed), 'every request carries a valid SigV4 signature')
  const d = await runCli(['decrypt', 'k.enc.yaml'], { cwd: t.dir, env: envWith({ aws: true }) })
  assert.is(d.code, 0, d.stderr)
  assert.is(d.stdout, PLAIN)
})

test('a kms entry written by hand in sops\' layout (context, empty aws_profile) opens', async () => {
  const r = await runCli(['encrypt', '--age', a.recipient, 'plain.yaml'], { cwd: t.dir, env: envWith() })
  const ageEnc = /enc: \|\n((?: {12}.*\n)+)/.exec(r.stdout)![1]!.replace(/^ {12}/gm, '')
  const dec = new Decrypter()
  dec.addIdentity(a.identity)
  const dataKey = await dec.decrypt(armor.decode(ageEnc))
  const entry = `    kms:
        - arn: ${OTHER}
          created_at: "2024-03-01T10:00:00Z"
          enc: ${kms.encrypt(OTHER, dataKey, { team: 'ops' })}
          aws_profile: ""
          context:
              team: ops
`
  writeFileSync(join(t.dir, 'hand.enc.yaml'), r.stdout.replace(/    age:\n(?:        .*\n)+/, entry))
  const d = await runCli(['decrypt', 'hand.enc.yaml'], { cwd: t.dir, env: envWith({ aws: true }) })
  assert.is(d.code, 0, d.stderr)
  assert.is(d.stdout, PLAIN)
})

test('age + Vault + KMS in three key groups, threshold 2: any two open it; rotate; offboard of the KMS ARN', async () => {
  const dir = join(t.dir, 'mixed')
  mkdirSync(dir)
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:
  - path_regex: \\.yaml$
    shamir_threshold: 2
    key_groups:
      - age: [${a.recipient}]
      - hc_vault: [${vault.uri()}]
      - kms:
          - arn: ${ARN}
            context: {app: web}
        age: [${b.recipient}]
`)
  writeFileSync(join(dir, 's.yaml'), PLAIN)
  const e = await runCli(['encrypt', '-i', 's.yaml'], { cwd: dir, env: envWith({ aws: true, vault: true }) })
  assert.is(e.code, 0, e.stderr)
  for (const [who, o] of [['age + vault', { age: true, vault: true }], ['age + kms', { age: true, aws: true }], ['vault + kms', { vault: true, aws: true }]] as const) {
    const d = await runCli(['decrypt', 's.yaml'], { cwd: dir, env: envWith(o) })
    assert.is(d.code, 0, `${who}: ${d.stderr}`)
    assert.is(d.stdout, PLAIN, who)
  }
  const one = await runCli(['decrypt', 's.yaml'], { cwd: dir, env: envWith({ aws: 'AKIDWRONG00000000000' }) })
  assert.is(one.code, 128)
  assert.match(one.stderr, `cannot decrypt with AWS KMS key ${ARN}: credentials not recognized`)

  const enc0 = /enc: ([A-Za-z0-9+/=]{40,})\n/.exec(readFileSync(join(dir, 's.yaml'), 'utf8'))![1]
  const rot = await runCli(['rotate', 's.yaml'], { cwd: dir, env: envWith({ age: true, vault: true, aws: true }) })
  assert.is(rot.code, 0, rot.stderr)
  const after = readFileSync(join(dir, 's.yaml'), 'utf8')
  assert.not.ok(after.includes(enc0!), 'KMS entry re-wrapped')
  assert.match(after, /context:\n\s+app: web\n/, 'context kept')
  assert.is((await runCli(['decrypt', 's.yaml'], { cwd: dir, env: envWith({ vault: true, aws: true }) })).stdout, PLAIN)

  const off = await runCli(['offboard', ARN, '--keep-unlisted'], { cwd: dir, env: envWith({ age: true, vault: true, aws: true }) })
  assert.is(off.code, 0, off.stderr)
  const gone = readFileSync(join(dir, 's.yaml'), 'utf8')
  assert.not.match(gone, /arn: arn:aws:kms/)
  assert.is((await runCli(['decrypt', 's.yaml'], { cwd: dir, env: envWith({ age: true, vault: true }) })).stdout, PLAIN)
})

test('errors name the service, the key and the cause: access denied, unknown key, bad credentials (exit 30 on encrypt)', async () => {
  kms.denied.add(OTHER)
  try {
    const denied = await runCli(['encrypt', '--kms', OTHER, 'plain.yaml'], { cwd: t.dir, env: envWith({ aws: true }) })
    assert.is(denied.code, 30)
    assert.match(denied.stderr, `cannot encrypt to AWS KMS key ${OTHER}: permission denied`)
  } finally {
    kms.denied.delete(OTHER)
  }
  const missing = await runCli(['encrypt', '--kms', ARN.replace('1234abcd', '00000000'), 'plain.yaml'], { cwd: t.dir, env: envWith({ aws: true }) })
  assert.is(missing.code, 30)
  assert.match(missing.stderr, /key not found/)
  const creds = await runCli(['encrypt', '--kms', ARN, 'plain.yaml'], { cwd: t.dir, env: envWith({ aws: 'AKIDWRONG00000000000' }) })
  assert.is(creds.code, 30)
  assert.match(creds.stderr, /credentials not recognized/)
  assert.not.match(creds.stderr + missing.stderr, /test\/secret/)
})

test('rotate --rm-kms removes a KMS key from the file (data key rotated), --add-kms puts it back in group 0', async () => {
  const e = await runCli(['encrypt', '--kms', ARN, '--age', a.recipient, 'plain.yaml', '-o', 'rm.enc.yaml'], { cwd: t.dir, env: envWith({ aws: true }) })
  assert.is(e.code, 0, e.stderr)
  const rm = await runCli(['rotate', '--rm-kms', ARN, 'rm.enc.yaml'], { cwd: t.dir, env: envWith({ age: true }) })
  assert.is(rm.code, 0, rm.stderr)
  assert.not.match(readFileSync(join(t.dir, 'rm.enc.yaml'), 'utf8'), /arn:aws:kms/)
  const add = await runCli(['rotate', '--add-kms', ARN, 'rm.enc.yaml'], { cwd: t.dir, env: envWith({ age: true, aws: true }) })
  assert.is(add.code, 0, add.stderr)
  assert.match(readFileSync(join(t.dir, 'rm.enc.yaml'), 'utf8'), `arn: ${ARN}`)
  assert.is((await runCli(['decrypt', 'rm.enc.yaml'], { cwd: t.dir, env: envWith({ aws: true }) })).stdout, PLAIN)
})

test('SOPS_KMS_ARN is used when no recipient flag is given', async () => {
  const r = await runCli(['encrypt', 'plain.yaml'], { cwd: t.dir, env: { ...envWith({ aws: true }), SOPS_KMS_ARN: ARN } })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, `arn: ${ARN}`)
})

test.run()
