/**
 * `doctor` on a file with key-service entries (Vault Transit and AWS KMS, against the local
 * protocol servers): per entry, where credentials would come from (offline) and whether the key
 * answers; the data key and MAC are checked with what the services opened; a wrong token or a
 * dead server is a warning with its cause and never prints a token or secret; the GCP and Azure
 * credential checks read only variables and well-known files.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { doctor } from '../../../src/ops/doctor/index.js'
import { SERVICE_CREDENTIALS } from '../../../src/ops/doctor/service-credentials.js'
import { encryptBytes } from '../../../src/ops/crypt/encrypt.js'
import { createAgeRecipient } from '../../../src/keys/age.js'
import { createVaultRecipient } from '../../../src/keys/hc-vault.js'
import { createKmsRecipient, parseKmsArn } from '../../../src/keys/aws-kms.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { CANARY } from '../../helpers/fixtures.js'
import { runCli } from '../../helpers/cli.js'
import { startFakeVault, type FakeVault } from '../../helpers/vault-server.js'
import { startFakeKms, type FakeKms } from '../../helpers/kms-server.js'

const TOKEN = 'hvs.doctor-secret-token-42'
const ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'
const AKID = 'AKIDDOCTORKEY0000001'
const SECRET = 'doctor/secret/key+0123456789abcdefghij'
const t = tempDir('sops-like-doctor-svc-')
let vault: FakeVault
let kms: FakeKms
let a: TestKey
const home = join(t.dir, 'home')

const env = (o: { vault?: string | false; aws?: boolean; age?: boolean } = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: join(home, '.config'), SOPS_GPG_EXEC: join(t.dir, 'no-gpg'),
  VAULT_ADDR: vault.address, AWS_ENDPOINT_URL_KMS: kms.endpoint, AWS_EC2_METADATA_DISABLED: 'true',
  ...(o.vault !== false && o.vault !== undefined ? { VAULT_TOKEN: o.vault } : {}),
  ...(o.aws ? { AWS_ACCESS_KEY_ID: AKID, AWS_SECRET_ACCESS_KEY: SECRET } : {}),
  ...(o.age ? { SOPS_AGE_KEY: a.identity } : {}),
})

test.before(async () => {
  mkdirSync(home, { recursive: true })
  vault = await startFakeVault({ token: TOKEN })
  kms = await startFakeKms({ accessKeyId: AKID, secretAccessKey: SECRET, keys: [ARN] })
  a = await makeAgeKey(t.dir, 'a')
  const e = env({ vault: TOKEN, aws: true })
  // two groups, threshold 2: [Vault], [KMS, age]
  const groups = [[createVaultRecipient(vault.uri(), { env: e })], [createKmsRecipient(parseKmsArn(ARN), { env: e }), createAgeRecipient(a.recipient)]]
  writeFileSync(join(t.dir, 's.json'), await encryptBytes(Buffer.from(`{"password": "${CANARY}"}\n`), { inputFormat: 'json', groups, threshold: 2 }))
})
test.after(async () => { await vault.close(); await kms.close(); t.cleanup() })

test('both services answer: credentials found, each entry opened, data key and MAC verified without any local identity', async () => {
  const r = await doctor('s.json', { cwd: t.dir, env: env({ vault: TOKEN, aws: true }) })
  assert.equal(r.services?.map((s) => [s.type, s.answer, s.credentials?.found]), [['hc_vault', 'opened', true], ['kms', 'opened', true]])
  assert.is(r.services![0]!.id, vault.uri())
  assert.is(r.services![1]!.id, ARN)
  assert.is(r.file?.dataKey, 'unwrapped')
  assert.is(r.file?.mac, 'verified')
  assert.equal(r.file?.recipients.map((x) => `${x.type}:${x.service ?? '-'}`).sort(), ['age:-', 'hc_vault:opened', 'kms:opened'])
  assert.ok(r.ok, JSON.stringify(r.problems))
  const aws = r.services![1]!.credentials!.sources
  assert.is(aws.find((s) => s.name.startsWith('AWS_ACCESS_KEY_ID'))?.state, 'found')
  assert.match(aws.find((s) => s.name === 'EC2 instance metadata')?.detail ?? '', /disabled/)
})

test('a wrong Vault token and no AWS credentials: warnings with the cause; the file opens with age + nothing else fails; no token or secret in the report', async () => {
  const r = await doctor('s.json', { cwd: t.dir, env: { ...env({ vault: 'hvs.wrong-token-99', age: true }) } })
  const [v, k] = r.services!
  assert.is(v!.answer, 'failed')
  assert.match(v!.error ?? '', /permission denied/)
  assert.is(v!.credentials?.found, true, 'a token is there, it is just refused')
  assert.is(k!.credentials?.found, false)
  assert.is(k!.answer, 'failed')
  assert.is(r.file?.dataKey, 'failed', 'one group of two opened')
  const json = JSON.stringify(r)
  for (const secret of ['hvs.wrong-token-99', TOKEN, SECRET, a.identity]) assert.not.ok(json.includes(secret), 'no secret in the report')
})

test('no token anywhere; VAULT_ADDR naming another server is reported (the token would not be sent there)', async () => {
  const none = await doctor('s.json', { cwd: t.dir, env: env({ aws: true }) })
  const v = none.services![0]!
  assert.is(v.credentials?.found, false)
  assert.equal(v.credentials?.sources.slice(0, 2).map((s) => s.state), ['not-set', 'absent'])
  assert.match(v.error ?? '', /no Vault token/)
  const other = await doctor('s.json', { cwd: t.dir, env: { ...env({ vault: TOKEN, aws: true }), VAULT_ADDR: 'https://elsewhere.example:8200' } })
  assert.is(other.services![0]!.credentials?.found, false)
  assert.match(other.services![0]!.credentials!.sources.find((s) => s.name === 'VAULT_ADDR')?.detail ?? '', /not the entry's server/)
})

test('a key service that does not answer is reported within the short deadline (a server that accepts and stays silent)', async () => {
  const silent = createServer(() => { /* never answers */ })
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
  const port = (silent.address() as { port: number }).port
  try {
    const r = await doctor('s.json', { cwd: t.dir, serviceTimeoutMs: 300, env: { ...env({ vault: TOKEN, aws: true }), AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${port}` } })
    const k = r.services![1]!
    assert.ok(k.answer === 'failed' || k.answer === 'timeout', k.answer)
    assert.match(k.error ?? '', /timeout|timed out|no answer|within/i)
  } finally {
    silent.close()
  }
})

test('CLI: the Key services section names each entry, its credential sources and the answer; never the token', async () => {
  const r = await runCli(['doctor', 's.json'], { cwd: t.dir, env: env({ vault: TOKEN, aws: true }) })
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.match(r.stdout, /Key services\n  HashiCorp Vault http:\/\/127\.0\.0\.1:\d+\/v1\/transit\/keys\/sops \(group 0\)\n    ok    credentials found\n/)
  assert.match(r.stdout, /VAULT_TOKEN: found/)
  assert.match(r.stdout, `AWS KMS ${ARN} (group 1)`)
  assert.match(r.stdout, /ok    the key answered: entry opened/)
  assert.match(r.stdout, /recipient \(group 0\) hc_vault .*: opened by its key service/)
  assert.not.ok(r.stdout.includes(TOKEN) || r.stdout.includes(SECRET))
})

test('GCP and Azure credential checks: variables and well-known files only, named but never read out', () => {
  const gHome = join(t.dir, 'ghome')
  mkdirSync(join(gHome, '.config', 'gcloud'), { recursive: true })
  writeFileSync(join(gHome, '.config', 'gcloud', 'application_default_credentials.json'), '{"type":"authorized_user","refresh_token":"SECRET-REFRESH"}')
  const entry = { type: 'gcp_kms', fields: { resource_id: 'projects/p/locations/global/keyRings/r/cryptoKeys/k', enc: 'x' } }
  const g = SERVICE_CREDENTIALS.gcp_kms!.check({ env: { GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.SECRET' }, home: gHome, entry })
  assert.ok(g.found)
  assert.equal(g.sources.map((s) => s.state), ['found', 'not-set', 'found', 'info'])
  assert.not.ok(JSON.stringify(g).includes('SECRET'))
  const none = SERVICE_CREDENTIALS.gcp_kms!.check({ env: {}, home: join(t.dir, 'empty'), entry })
  assert.not.ok(none.found)
  const az = SERVICE_CREDENTIALS.azure_kv!.check({ env: { AZURE_TENANT_ID: 't', AZURE_CLIENT_ID: 'c', AZURE_CLIENT_SECRET: 'SECRET-AZ', PATH: '' }, home: gHome, entry: { type: 'azure_kv', fields: { vault_url: 'https://v.vault.azure.net', name: 'k', version: '1', enc: 'x' } } })
  assert.ok(az.found)
  assert.is(az.sources[0]!.detail, 'client secret')
  assert.not.ok(JSON.stringify(az).includes('SECRET'))
  const partial = SERVICE_CREDENTIALS.azure_kv!.check({ env: { AZURE_CLIENT_ID: 'c', PATH: '' }, home: join(t.dir, 'empty'), entry: { type: 'azure_kv', fields: {} } })
  assert.not.ok(partial.found)
  assert.is(partial.sources[0]!.state, 'warn')
})

test.run()
