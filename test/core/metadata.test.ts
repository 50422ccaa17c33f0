import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { flatten, unflatten } from '../../src/core/flatten.js'
import { MAX_KEY_ENTRIES, macAad, metadataFromNode, metadataToNode, type Metadata } from '../../src/core/metadata.js'
import { LimitExceededError, MetadataError } from '../../src/errors.js'

const md: Metadata = {
  keyGroups: [[
    { type: 'pgp', fields: { fp: 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4', created_at: '2026-05-22T20:15:26Z', enc: '-----BEGIN PGP MESSAGE-----\n\nabc\n-----END PGP MESSAGE-----' } },
    { type: 'age', fields: { recipient: 'age1x', enc: '-----BEGIN AGE ENCRYPTED FILE-----\nx\n-----END AGE ENCRYPTED FILE-----\n' } },
  ]],
  lastmodified: '2026-05-22T20:15:29Z',
  mac: 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]',
  version: '3.13.2',
  selectors: { unencrypted_suffix: '_unencrypted' },
  extra: [],
}

test('metadata keys are sorted byte-wise at every level', () => {
  const n = metadataToNode(md)
  const keys = n.entries.map((e) => (e.kind === 'pair' ? e.key : ''))
  assert.equal(keys, ['age', 'lastmodified', 'mac', 'pgp', 'unencrypted_suffix', 'version'])
  const flat = flatten(n).map(([k]) => k)
  assert.equal(flat, [
    'age__list_0__map_enc', 'age__list_0__map_recipient', 'lastmodified', 'mac',
    'pgp__list_0__map_created_at', 'pgp__list_0__map_enc', 'pgp__list_0__map_fp', 'unencrypted_suffix', 'version',
  ])
})

test('flatten/unflatten round-trips and reads back the same metadata', () => {
  const n = metadataToNode(md)
  const back = metadataFromNode(unflatten(flatten(n)))
  assert.equal(back.keyGroups[0]!.map((e) => e.type).sort(), ['age', 'pgp'])
  assert.is(back.lastmodified, md.lastmodified)
  assert.equal(back.selectors, md.selectors)
})

test('key groups: age and hc_vault always present in each group', () => {
  const two: Metadata = { ...md, keyGroups: [[md.keyGroups[0]![0]!], [md.keyGroups[0]![1]!]], shamirThreshold: 2 }
  const n = metadataToNode(two)
  const kg = n.entries.find((e) => e.kind === 'pair' && e.key === 'key_groups')
  assert.ok(kg)
  const g0 = (kg as any).value.items[0].entries.map((e: any) => e.key)
  assert.equal(g0, ['age', 'hc_vault', 'pgp'])
  const back = metadataFromNode(n)
  assert.is(back.keyGroups.length, 2)
  assert.is(back.shamirThreshold, 2)
})

test('unknown master-key kinds are kept', () => {
  const n = metadataToNode({ ...md, keyGroups: [[...md.keyGroups[0]!, { type: 'kms', fields: { arn: 'arn:aws:kms:x', aws_profile: '', created_at: '2026-01-01T00:00:00Z', enc: 'QUJD' } }]] })
  const back = metadataFromNode(n)
  assert.ok(back.keyGroups[0]!.some((e) => e.type === 'kms' && e.fields.arn === 'arn:aws:kms:x'))
})

test('lastmodified must be RFC3339; MAC AAD drops fractions', () => {
  const n = metadataToNode({ ...md, lastmodified: 'yesterday' })
  assert.throws(() => metadataFromNode(n), (e: unknown) => e instanceof MetadataError)
  assert.is(macAad('2026-05-22T20:16:23.123456Z'), '2026-05-22T20:16:23Z')
  assert.is(macAad('2026-05-22T20:16:23+00:00'), '2026-05-22T20:16:23Z')
  assert.is(macAad('2026-05-22T20:16:23+02:00'), '2026-05-22T20:16:23+02:00')
})

test('unflatten rejects type mismatches and incomplete lists', () => {
  assert.throws(() => unflatten([['a__list_1__map_x', 'v']]), (e: unknown) => e instanceof MetadataError)
  assert.throws(() => unflatten([['a', 'v'], ['a__map_b', 'w']]), (e: unknown) => e instanceof MetadataError)
})

test('150,000 foreign key entries in the metadata are refused (LimitExceededError, 15) before any is tried; 1,000 are read', () => {
  const many = (n: number): Metadata => ({ ...md, keyGroups: [Array.from({ length: n }, (_, i) => ({ type: 'age', fields: { recipient: `age1x${i}`, enc: 'x' } }))] })
  assert.is(metadataFromNode(metadataToNode(many(MAX_KEY_ENTRIES))).keyGroups[0]!.length, 1000)
  for (const n of [MAX_KEY_ENTRIES + 1, 150_000]) {
    const node = metadataToNode(many(n))
    assert.throws(() => metadataFromNode(node), (e: unknown) => e instanceof LimitExceededError && e.exitCode === 15 && /more than 1000 key entries/.test((e as Error).message))
  }
  // across Shamir groups too
  const groups: Metadata = { ...md, keyGroups: [many(600).keyGroups[0]!, many(600).keyGroups[0]!], shamirThreshold: 2 }
  assert.throws(() => metadataFromNode(metadataToNode(groups)), (e: unknown) => e instanceof LimitExceededError)
})

test.run()
