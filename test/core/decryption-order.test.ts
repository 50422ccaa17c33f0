/**
 * --decryption-order as sops reads it: a comma-separated list of key types (the flag over
 * SOPS_DECRYPTION_ORDER, default age,pgp), a stable sort of each key group's entries with
 * unlisted kinds last in file order; a type twice is refused, and (unlike sops) so is a type
 * that is not one, so a typo cannot silently change nothing.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decryptionOrderOf, parseDecryptionOrder } from '../../src/core/decryption-order.js'
import { unwrapDataKey } from '../../src/core/data-key.js'
import type { Identity, KeyEntry } from '../../src/keys/key-source.js'

const exit = (f: () => unknown, code: number, re: RegExp): void => assert.throws(f, (e: Error & { exitCode?: number }) => e.exitCode === code && re.test(e.message))

test('parse: types in order, spaces and empty items ignored, sops default when empty', () => {
  assert.equal(parseDecryptionOrder('hc_vault, age ,kms'), ['hc_vault', 'age', 'kms'])
  assert.equal(parseDecryptionOrder('age,pgp,hc_vault,kms,gcp_kms,azure_kv,hckms'), ['age', 'pgp', 'hc_vault', 'kms', 'gcp_kms', 'azure_kv', 'hckms'])
  assert.equal(parseDecryptionOrder(''), ['age', 'pgp'])
  assert.equal(parseDecryptionOrder('age,'), ['age'])
})

test('parse: an unknown type or a type given twice is a usage error naming the source', () => {
  exit(() => parseDecryptionOrder('age,vault'), 1, /^--decryption-order: "vault" is not a key type; use a comma-separated list of age, azure_kv, gcp_kms, hc_vault, hckms, kms, pgp/)
  exit(() => parseDecryptionOrder('age,pgp,age'), 1, /key type age is listed twice/)
  exit(() => decryptionOrderOf({ env: { SOPS_DECRYPTION_ORDER: 'aws' } }), 1, /^SOPS_DECRYPTION_ORDER: "aws"/)
})

test('the flag wins over SOPS_DECRYPTION_ORDER, which wins over the default', () => {
  assert.equal(decryptionOrderOf({ env: {} }), ['age', 'pgp'])
  assert.equal(decryptionOrderOf({ env: { SOPS_DECRYPTION_ORDER: 'kms,age' } }), ['kms', 'age'])
  assert.equal(decryptionOrderOf({ decryptionOrder: 'hc_vault', env: { SOPS_DECRYPTION_ORDER: 'kms,age' } }), ['hc_vault'])
  assert.equal(decryptionOrderOf({ decryptionOrder: ['pgp', 'age'] }), ['pgp', 'age'])
})

/** Identities that open every entry of their kind and record which entry they were asked about. */
function recorder(types: string[], asked: string[]): Identity[] {
  return types.map((type) => ({
    type: type as Identity['type'],
    label: type,
    unwrap: async (e: KeyEntry) => { asked.push(`${e.type}:${e.fields.id}`); return new Uint8Array(32).fill(1) },
  }))
}

test('each group is tried in the order given; unlisted kinds after, in file order (sops\' stable sort)', async () => {
  const group: KeyEntry[] = [
    { type: 'kms', fields: { id: '1' } }, { type: 'hc_vault', fields: { id: '2' } }, { type: 'pgp', fields: { id: '3' } }, { type: 'age', fields: { id: '4' } },
  ]
  const first = async (order?: string[]): Promise<string> => {
    const asked: string[] = []
    await unwrapDataKey([group], undefined, recorder(['age', 'pgp', 'hc_vault', 'kms'], asked), order)
    return asked[0]!
  }
  assert.is(await first(), 'age:4', 'default: age first')
  assert.is(await first(['hc_vault', 'age']), 'hc_vault:2')
  assert.is(await first(['kms']), 'kms:1')
  // pgp then the unlisted kinds in file order (kms before hc_vault)
  const asked: string[] = []
  const ids = recorder(['hc_vault', 'kms'], asked) // no age or pgp identity: the rest are tried in order
  await unwrapDataKey([group], undefined, ids, ['pgp'])
  assert.equal(asked, ['kms:1'])
})

test.run()
