/**
 * Azure Key Vault keys end to end through the CLI as a real process, the official
 * @azure/keyvault-keys CryptographyClient and @azure/identity's DefaultAzureCredential (a service
 * principal from AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET) as the clients, talking
 * to their real host names through an HTTPS proxy that leads to a local Key Vault + Entra ID
 * (test/helpers/azure-kv-server.ts, real RSA-OAEP-256, TLS trusted via NODE_EXTRA_CA_CERTS: the
 * reason these tests spawn the CLI). Also the mixed file: age + GCP KMS + Azure Key Vault
 * in two key groups with threshold 2, opened by any two.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Decrypter, armor } from 'age-encryption'
import { isolatedEnv, TSX_IMPORT, type CliResult } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'
import { startFakeAzure, type FakeAzure } from '../helpers/azure-kv-server.js'
import { startFakeGcpKms, type FakeGcpKms } from '../helpers/gcp-kms-server.js'
import { azureKvUrl, parseAzureKvUrl, vaultAllowed } from '../../src/keys/azure-kv.js'

const execFileP = promisify(execFile)
const ENTRY = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url))
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const CLIENT_ID = '0b3c4d5e-1111-2222-3333-444455556666'
const SECRET = 'azure-test-client-secret~0123456789'
const GCP_KEY = 'projects/sops-like-test/locations/global/keyRings/sops/cryptoKeys/main'
const GCP_TOKEN = 'ya29.mixed-test-token'
const PLAIN = `db:\n    password: ${CANARY}\nname: app\n`
const t = tempDir('sops-like-azure-')
let az: FakeAzure
let gcp: FakeGcpKms
let a: TestKey

/** The CLI from source in a child process (asynchronous: the servers answer from this process). */
async function cli(args: string[], env: NodeJS.ProcessEnv, cwd = t.dir): Promise<CliResult> {
  try {
    const r = await execFileP(process.execPath, ['--import', TSX_IMPORT, ENTRY, ...args], { cwd, env: { ...env, PATH: process.env.PATH ?? '' }, encoding: 'utf8' })
    return { code: 0, stdout: r.stdout, stderr: r.stderr, stdoutBytes: Buffer.from(r.stdout) }
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '', stdoutBytes: Buffer.from(x.stdout ?? '') }
  }
}

const envWith = (o: { azure?: boolean | string; gcp?: boolean; age?: boolean } = {}): NodeJS.ProcessEnv => isolatedEnv({
  // the proxy and the CA are always there: without a service principal the credential chain finds nothing
  HTTPS_PROXY: az.env.HTTPS_PROXY, NO_PROXY: '', NODE_EXTRA_CA_CERTS: az.env.NODE_EXTRA_CA_CERTS,
  ...(o.azure ? { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: typeof o.azure === 'string' ? o.azure : SECRET } : {}),
  ...(o.gcp ? { SOPS_GCP_KMS_ENDPOINT: gcp.endpoint, GOOGLE_OAUTH_ACCESS_TOKEN: GCP_TOKEN } : {}),
  ...(o.age ? { SOPS_AGE_KEY: a.identity } : {}),
})

test.before(async () => {
  az = await startFakeAzure({ dir: t.dir, tenant: TENANT, clientId: CLIENT_ID, clientSecret: SECRET, keys: ['sops', 'backup'] })
  gcp = await startFakeGcpKms({ token: GCP_TOKEN, keys: [GCP_KEY] })
  a = await makeAgeKey(t.dir, 'a')
  writeFileSync(join(t.dir, 'plain.yaml'), PLAIN)
})
test.after(async () => { await az.close(); await gcp.close(); t.cleanup() })

test('key URLs parse as sops parses them (version optional, https only); other strings are refused with exit 30', () => {
  assert.equal(parseAzureKvUrl(' https://v.vault.azure.net/keys/k/0123abcd '), { vaultUrl: 'https://v.vault.azure.net', name: 'k', version: '0123abcd' })
  assert.equal(parseAzureKvUrl('https://v.vault.azure.net/keys/k'), { vaultUrl: 'https://v.vault.azure.net', name: 'k', version: '' })
  assert.is(azureKvUrl(parseAzureKvUrl('https://v.vault.azure.net/keys/k/1')), 'https://v.vault.azure.net/keys/k/1')
  for (const bad of ['http://v.vault.azure.net/keys/k/1', 'https://v.vault.azure.net/secrets/k/1', 'https://v.vault.azure.net/keys/k/1/extra', 'v.vault.azure.net/keys/k']) {
    assert.throws(() => parseAzureKvUrl(bad), (e: Error & { exitCode?: number }) => e.exitCode === 30, bad)
  }
})

test('--azure-kv writes the entry as sops 3.13 does (sorted fields, unpadded base64url enc, the version the vault used) and opens with Azure alone', async () => {
  const seen = az.requests.length
  // no version in the URL: the vault's latest is used and written, as sops does
  const r = await cli(['encrypt', '--azure-kv', `${az.vaultUrl}/keys/sops`, 'plain.yaml', '-o', 'z.enc.yaml'], envWith({ azure: true }))
  assert.is(r.code, 0, r.stderr)
  const text = readFileSync(join(t.dir, 'z.enc.yaml'), 'utf8')
  const version = az.keyUrl('sops').split('/').pop()!
  assert.match(text, new RegExp(`\\n    azure_kv:\\n        - created_at: "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"\\n          enc: [A-Za-z0-9_-]{342}\\n          name: sops\\n          vault_url: https://sopslike-test\\.vault\\.azure\\.net\\n          version: ${version}\\n    lastmodified: `))
  const calls = az.requests.slice(seen)
  assert.ok(calls.some((q) => q.host === 'login.microsoftonline.com' && q.path.endsWith('/oauth2/v2.0/token')), 'a token was fetched with the client secret')
  assert.ok(calls.some((q) => q.method === 'POST' && q.path === `/keys/sops/${version}/encrypt` && q.authorized), 'the vault encrypted with the bearer token, naming the version')
  assert.ok(az.tunnels.every((x) => /^(sopslike-test\.vault\.azure\.net|login\.microsoftonline\.com):443$/.test(x)), az.tunnels.join(' '))
  const d = await cli(['decrypt', 'z.enc.yaml'], envWith({ azure: true }))
  assert.is(d.code, 0, d.stderr)
  assert.is(d.stdout, PLAIN)
  assert.ok(az.requests.some((q) => q.path === `/keys/sops/${version}/decrypt`), 'decrypt names the version from the entry')
})

test('an azure_kv entry written by hand to the sops spec (§8.6; older struct order vault_url, name, version, created_at, enc) opens', async () => {
  // no sops-made Azure fixture exists: this entry is made by hand from the spec, its enc by the test vault's RSA key
  const r = await cli(['encrypt', '--age', a.recipient, 'plain.yaml'], envWith())
  assert.is(r.code, 0, r.stderr)
  const ageEnc = /enc: \|\n((?: {12}.*\n)+)/.exec(r.stdout)![1]!.replace(/^ {12}/gm, '')
  const dec = new Decrypter()
  dec.addIdentity(a.identity)
  const dataKey = await dec.decrypt(armor.decode(ageEnc))
  const version = az.keyUrl('backup').split('/').pop()!
  const entry = `    azure_kv:
        - vault_url: ${az.vaultUrl}
          name: backup
          version: ${version}
          created_at: "2024-03-01T10:00:00Z"
          enc: ${az.encrypt('backup', dataKey)}
`
  writeFileSync(join(t.dir, 'hand.enc.yaml'), r.stdout.replace(/    age:\n(?:        .*\n)+/, entry))
  const d = await cli(['decrypt', 'hand.enc.yaml'], envWith({ azure: true }))
  assert.is(d.code, 0, d.stderr)
  assert.is(d.stdout, PLAIN)
})

test('token exfiltration by a file naming its own Key Vault host: decrypt and doctor contact no host outside Azure\'s Key Vault domains', async () => {
  const r = await cli(['encrypt', '--age', a.recipient, 'plain.yaml'], envWith())
  assert.is(r.code, 0, r.stderr)
  const evil = 'https://keys.attacker.example'
  const entry = `    azure_kv:
        - vault_url: ${evil}
          name: sops
          version: 0123abcd
          created_at: "2024-03-01T10:00:00Z"
          enc: ${az.encrypt('sops', new Uint8Array(32))}
`
  writeFileSync(join(t.dir, 'evil-host.enc.yaml'), r.stdout.replace(/    age:\n(?:        .*\n)+/, entry))
  const before = az.tunnels.length
  const d = await cli(['decrypt', 'evil-host.enc.yaml'], envWith({ azure: true }))
  assert.is.not(d.code, 0)
  assert.match(d.stderr, /not an Azure Key Vault host .*SOPS_AZURE_KV_ALLOWLIST/)
  const doc = await cli(['doctor', 'evil-host.enc.yaml'], envWith({ azure: true }))
  assert.match(doc.stdout + doc.stderr, /not an Azure Key Vault host/)
  assert.equal(az.tunnels.slice(before).filter((h) => h.includes('attacker')), [], 'the proxy was asked for the attacker\'s host')
  assert.not.match(d.stderr + doc.stdout + doc.stderr, SECRET)
})

test('vaultAllowed: Azure\'s Key Vault domains; look-alikes, ports, http and userinfo no; SOPS_AZURE_KV_ALLOWLIST adds origins', () => {
  const none = {}
  assert.ok(vaultAllowed('https://v.vault.azure.net', none))
  assert.ok(vaultAllowed('https://v.managedhsm.azure.net', none))
  assert.ok(vaultAllowed('https://v.vault.usgovcloudapi.net', none))
  for (const u of ['https://v.vault.azure.net.attacker.example', 'https://vault.azure.net', 'https://attackervault.azure.net', 'https://v.vault.azure.net:8443', 'http://v.vault.azure.net', 'https://u:p@v.vault.azure.net', 'https://keys.attacker.example']) {
    assert.not.ok(vaultAllowed(u, none), u)
  }
  assert.ok(vaultAllowed('https://kv.local.azurestack.external', { SOPS_AZURE_KV_ALLOWLIST: 'https://other.example, https://kv.local.azurestack.external/' }))
  assert.not.ok(vaultAllowed('https://kv2.local.azurestack.external', { SOPS_AZURE_KV_ALLOWLIST: 'https://kv.local.azurestack.external' }))
  assert.ok(vaultAllowed('https://anything.example', { SOPS_AZURE_KV_ALLOWLIST: 'all' }))
})

test('age + GCP KMS + Azure Key Vault in two key groups, threshold 2: any two open it; one does not (exit 128, each cause named)', async () => {
  const dir = join(t.dir, 'mixed')
  mkdirSync(dir)
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:
  - path_regex: \\.yaml$
    shamir_threshold: 2
    key_groups:
      - age: [${a.recipient}]
        gcp_kms:
          - resource_id: ${GCP_KEY}
      - azure_keyvault:
          - vaultUrl: ${az.vaultUrl}
            key: sops
            version: ${az.keyUrl('sops').split('/').pop()}
`)
  writeFileSync(join(dir, 's.yaml'), PLAIN)
  const e = await cli(['encrypt', '-i', 's.yaml'], envWith({ azure: true, gcp: true }), dir)
  assert.is(e.code, 0, e.stderr)
  const text = readFileSync(join(dir, 's.yaml'), 'utf8')
  assert.match(text, /key_groups:\n        - age:\n/)
  assert.match(text, /\n          gcp_kms:\n/)
  assert.match(text, /\n        - age: \[\]\n          azure_kv:\n/)
  for (const [who, o] of [['age + azure', { age: true, azure: true }], ['gcp + azure', { gcp: true, azure: true }]] as const) {
    const d = await cli(['decrypt', 's.yaml'], envWith(o), dir)
    assert.is(d.code, 0, `${who}: ${d.stderr}`)
    assert.is(d.stdout, PLAIN, who)
  }
  // age and GCP are in the same group: together they are one share of two
  const one = await cli(['decrypt', 's.yaml'], envWith({ age: true, gcp: true, azure: 'wrong-secret-value' }), dir)
  assert.is(one.code, 128)
  assert.match(one.stderr, `cannot decrypt with Azure Key Vault key ${az.keyUrl('sops')}: credentials not accepted`)
  assert.not.match(one.stderr, /wrong-secret-value|azure-test-client-secret/)

  // rotate re-wraps for every source
  const azEnc = (): string => /azure_kv:\n\s+- created_at: "[^"]+"\n\s+enc: (\S+)/.exec(readFileSync(join(dir, 's.yaml'), 'utf8'))?.[1] ?? ''
  const before = azEnc()
  const rot = await cli(['rotate', 's.yaml'], envWith({ age: true, gcp: true, azure: true }), dir)
  assert.is(rot.code, 0, rot.stderr)
  assert.ok(azEnc() && azEnc() !== before, 'the Azure entry was re-wrapped')
  assert.is((await cli(['decrypt', 's.yaml'], envWith({ gcp: true, azure: true }), dir)).stdout, PLAIN)
})

test('errors name the service, the key and the cause, on one line, never the secret: permission denied, key disabled, unknown key, network', async () => {
  const url = az.keyUrl('backup')
  az.denied.add('backup')
  try {
    const denied = await cli(['encrypt', '--azure-kv', url, 'plain.yaml'], envWith({ azure: true }))
    assert.is(denied.code, 30)
    assert.match(denied.stderr, `cannot encrypt to Azure Key Vault key ${url}: permission denied`)
    const dDenied = await cli(['decrypt', 'hand.enc.yaml'], envWith({ azure: true }))
    assert.is(dDenied.code, 128)
    assert.match(dDenied.stderr, `cannot decrypt with Azure Key Vault key ${url}: permission denied`)
  } finally {
    az.denied.delete('backup')
  }
  az.disabled.add('backup')
  try {
    const disabled = await cli(['decrypt', 'hand.enc.yaml'], envWith({ azure: true }))
    assert.is(disabled.code, 128)
    assert.match(disabled.stderr, `cannot decrypt with Azure Key Vault key ${url}: key disabled`)
  } finally {
    az.disabled.delete('backup')
  }
  const missing = await cli(['encrypt', '--azure-kv', `${az.vaultUrl}/keys/nope/0000`, 'plain.yaml'], envWith({ azure: true }))
  assert.is(missing.code, 30)
  assert.match(missing.stderr, /key not found/)
  // a vault the network cannot reach (the proxy refuses the tunnel, as a firewall would)
  const down = await cli(['encrypt', '--azure-kv', 'https://unreachable.vault.azure.net/keys/k/1', 'plain.yaml'], envWith({ azure: true }))
  assert.is(down.code, 30)
  assert.match(down.stderr, /cannot encrypt to Azure Key Vault key https:\/\/unreachable\.vault\.azure\.net\/keys\/k\/1: network/)
  const refused = await cli(['encrypt', '--azure-kv', url, 'plain.yaml'], { ...envWith({ azure: true }), HTTPS_PROXY: 'http://127.0.0.1:1' })
  assert.is(refused.code, 30)
  assert.match(refused.stderr, /: connection refused \(network\)/)
  for (const r of [missing, down, refused]) {
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.not.match(r.stderr, /azure-test-client-secret/)
  }
})

test('SOPS_AZURE_KEYVAULT_URLS is used when no recipient flag is given; rotate --rm/--add-azure-kv edit the entry', async () => {
  const dir = join(t.dir, 'env')
  mkdirSync(dir)
  writeFileSync(join(dir, 's.yaml'), PLAIN)
  const r = await cli(['encrypt', '-i', 's.yaml'], { ...envWith({ azure: true }), SOPS_AZURE_KEYVAULT_URLS: `${az.keyUrl('sops')},${az.keyUrl('backup')}` }, dir)
  assert.is(r.code, 0, r.stderr)
  assert.match(readFileSync(join(dir, 's.yaml'), 'utf8'), /name: backup[\s\S]*name: sops|name: sops[\s\S]*name: backup/)
  const rm = await cli(['rotate', '--rm-azure-kv', az.keyUrl('backup'), '--add-age', a.recipient, 's.yaml'], envWith({ azure: true }), dir)
  assert.is(rm.code, 0, rm.stderr)
  const after = readFileSync(join(dir, 's.yaml'), 'utf8')
  assert.not.match(after, /name: backup/)
  assert.match(after, /name: sops/)
  assert.is((await cli(['decrypt', 's.yaml'], envWith({ age: true }), dir)).stdout, PLAIN)
})

test.run()
