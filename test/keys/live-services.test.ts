/**
 * The same round trip against real services, when the environment names them (skipped with one
 * printed line otherwise): a Vault Transit key (SOPS_LIKE_TEST_VAULT_URI, with VAULT_ADDR and
 * VAULT_TOKEN, e.g. from `vault server -dev`) and an AWS KMS key (SOPS_LIKE_TEST_KMS_ARN, with
 * the usual AWS credentials: AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).
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

const services: Array<[string, string | undefined, string]> = [
  ['Vault Transit', process.env.SOPS_LIKE_TEST_VAULT_URI, '--hc-vault-transit'],
  ['AWS KMS', process.env.SOPS_LIKE_TEST_KMS_ARN, '--kms'],
]

for (const [name, key, flag] of services) {
  if (!key) {
    console.log(`skipped: live ${name} test (set ${flag === '--kms' ? 'SOPS_LIKE_TEST_KMS_ARN' : 'SOPS_LIKE_TEST_VAULT_URI'} to run it)`)
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
