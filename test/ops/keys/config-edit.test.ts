/**
 * Removing key-service keys (AWS KMS, Vault Transit, GCP KMS, Azure Key Vault) from a config's
 * text: every place sops lets a rule or key group name them (comma strings, block lists, `- arn:`
 * mappings with a context, flat `hc_vault_transit_uri`), the rest of the text kept byte for byte.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { removeRecipientsFromConfig } from '../../../src/ops/keys/config-edit.js'
import { parseRecipientArg } from '../../../src/ops/keys/recipient-diff.js'
import { SERVICE_ID_KINDS } from '../../../src/ops/keys/service-ids.js'
import { entryId } from '../../../src/keys/key-source.js'

const ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'
const ARN2 = 'arn:aws:kms:us-east-1:111122223333:key/ffffffff-12ab-34cd-56ef-1234567890ab'
const ROLE = 'arn:aws:iam::111122223333:role/sops'
const VAULT = 'https://vault.example.com:8200/v1/transit/keys/app'
const VAULT2 = 'https://vault.example.com:8200/v1/transit/keys/other'
const AGE = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'

test('offboard target strings are recognised by kind: KMS ARN (role dropped), Vault URI (normalised), GCP resource id, Azure key URL', async () => {
  assert.equal(await parseRecipientArg(`${ARN}+${ROLE}`), { type: 'kms', id: ARN })
  assert.equal(await parseRecipientArg('https://vault.example.com:8200/v1/transit/keys/app/'), { type: 'hc_vault', id: VAULT })
  assert.equal(await parseRecipientArg('projects/p/locations/global/keyRings/r/cryptoKeys/k'), { type: 'gcp_kms', id: 'projects/p/locations/global/keyRings/r/cryptoKeys/k' })
  assert.equal(await parseRecipientArg('https://team.vault.azure.net/keys/sops/0123abcd'), { type: 'azure_kv', id: 'https://team.vault.azure.net/keys/sops/0123abcd' })
  assert.is((await parseRecipientArg(AGE)).type, 'age')
  // the Vault id from the command line is the one entryId gives the file's entry
  assert.is(entryId({ type: 'hc_vault', fields: { vault_address: 'https://vault.example.com:8200', engine_path: 'transit', key_name: 'app', enc: 'x' } }), VAULT)
  assert.ok(SERVICE_ID_KINDS.every((k) => k.configFields.length > 0), 'every service says where a config lists it')
})

test('a KMS key goes from a flat rule string (arn+role form), a key group list of mappings with context, and a merge list', () => {
  const text = `# keys
creation_rules:
  - path_regex: flat\\.yaml$
    kms: "${ARN}+${ROLE},${ARN2}"
    age: ${AGE}
  - path_regex: groups\\.yaml$
    shamir_threshold: 2
    key_groups:
      - age: [${AGE}]
      - kms:
          - arn: ${ARN}
            context:
              app: web
          - arn: ${ARN2}
        hc_vault:
          - ${VAULT}
  - path_regex: merged\\.yaml$
    key_groups:
      - merge:
          - kms: [${ARN}, ${ARN2}]
`
  const r = removeRecipientsFromConfig(text, [{ type: 'kms', id: ARN }], 'cfg', 'kms')
  assert.is(r.refused, undefined)
  assert.is(r.removed, 3)
  assert.is(r.text, `# keys
creation_rules:
  - path_regex: flat\\.yaml$
    kms: "${ARN2}"
    age: ${AGE}
  - path_regex: groups\\.yaml$
    shamir_threshold: 2
    key_groups:
      - age: [${AGE}]
      - kms:
          - arn: ${ARN2}
        hc_vault:
          - ${VAULT}
  - path_regex: merged\\.yaml$
    key_groups:
      - merge:
          - kms: [${ARN2}]
`)
})

test('a Vault key goes from hc_vault_transit_uri and hc_vault lists, spelled with a trailing slash or not; the last key of a group is refused', () => {
  const text = `creation_rules:
  - path_regex: a$
    hc_vault_transit_uri: "${VAULT}/,${VAULT2}"
  - path_regex: b$
    key_groups:
      - hc_vault:
          - ${VAULT}
          - ${VAULT2}
        age: ${AGE}
`
  const r = removeRecipientsFromConfig(text, [{ type: 'hc_vault', id: VAULT }], 'cfg', 'vault')
  assert.is(r.removed, 2)
  assert.is(r.text, `creation_rules:
  - path_regex: a$
    hc_vault_transit_uri: "${VAULT2}"
  - path_regex: b$
    key_groups:
      - hc_vault:
          - ${VAULT2}
        age: ${AGE}
`)
  const last = removeRecipientsFromConfig(`creation_rules:\n  - key_groups:\n      - hc_vault: [${VAULT}]\n      - age: [${AGE}]\n`, [{ type: 'hc_vault', id: VAULT }], 'cfg', 'vault')
  assert.is(last.removed, 0)
  assert.match(last.refused ?? '', /would have no recipients left/)
})

test('a config that does not list the key is left as it is (removed 0, not refused)', () => {
  const text = `creation_rules:\n  - kms: ${ARN2}\n    hc_vault_transit_uri: ${VAULT2}\n`
  for (const who of [{ type: 'kms', id: ARN }, { type: 'hc_vault', id: VAULT }]) {
    const r = removeRecipientsFromConfig(text, [who], 'cfg', who.type)
    assert.equal(r, { text, removed: 0 })
  }
})

test.run()
