/**
 * The same round trip against real services, when the environment names them (skipped with one
 * printed line otherwise): a Vault Transit key (SOPS_LIKE_TEST_VAULT_URI, with VAULT_ADDR and
 * VAULT_TOKEN, e.g. from `vault server -dev`) and an AWS KMS key (SOPS_LIKE_TEST_KMS_ARN, with
 * the usual AWS credentials: AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), a GCP KMS key
 * (SOPS_LIKE_TEST_GCP_KMS_RESOURCE_ID, with Application Default Credentials, GOOGLE_CREDENTIALS
 * or GOOGLE_OAUTH_ACCESS_TOKEN) and an Azure Key Vault key (SOPS_LIKE_TEST_AZURE_KV_URL, with
 * what DefaultAzureCredential finds: AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, a
 * managed identity or `az login`).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'

const t = tempDir('sops-like-live-')
const PLAIN = `token: ${CANARY}\n`
test.after(() => t.cleanup())

const services: Array<[name: string, variable: string, flag: string]> = [
  ['Vault Transit', 'SOPS_LIKE_TEST_VAULT_URI', '--hc-vault-transit'],
  ['AWS KMS', 'SOPS_LIKE_TEST_KMS_ARN', '--kms'],
  ['GCP KMS', 'SOPS_LIKE_TEST_GCP_KMS_RESOURCE_ID', '--gcp-kms'],
  ['Azure Key Vault', 'SOPS_LIKE_TEST_AZURE_KV_URL', '--azure-kv'],
]

for (const [name, variable, flag] of services) {
  const key = process.env[variable]
  if (!key) {
    console.log(`skipped: live ${name} test (set ${variable} to run it)`)
    continue
  }
  test(`live ${name}: encrypt to ${key}, decrypt with it alone`, async () => {
    writeFileSync(join(t.dir, 'plain.yaml'), PLAIN)
    const env = { ...process.env, SOPS_AGE_KEY: '', SOPS_AGE_KEY_FILE: '/nonexistent' }
    const e = await runCli(['encrypt', flag, key, 'plain.yaml', '-o', 'live.enc.yaml'], { cwd: t.dir, env })
    assert.is(e.code, 0, e.stderr)
    const d = await runCli(['decrypt', 'live.enc.yaml'], { cwd: t.dir, env })
    assert.is(d.code, 0, d.stderr)
    assert.is(d.stdout, PLAIN)
  })
}

test.run()
