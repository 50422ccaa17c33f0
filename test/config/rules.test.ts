/**
 * The config reader against sops' own config files (../shared/fixtures/sops/.sops.yaml and
 * functional-tests/.sops.yaml): folded fingerprint strings, key groups, rules with no keys,
 * `key_groups: []`, an empty group, destination_rules — and what using each rule gives.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfigFile, matchRule } from '../../src/config/rules.js'
import { resolveRecipients } from '../../src/ops/crypt/recipients.js'
import { ConfigError, NoMatchingRuleError, NoRecipientsError } from '../../src/errors.js'
import { fixturePath, needsFixtures } from '../helpers/fixtures.js'
import { tempDir } from '../helpers/keys.js'

const fixtureTest = needsFixtures(test, import.meta.url)

const FUNC = fixturePath('functional-tests/.sops.yaml')
const rejects = async (p: Promise<unknown>, C: new (...a: never[]) => Error, re?: RegExp): Promise<void> => {
  try { await p } catch (e) {
    assert.ok(e instanceof C, `${(e as Error).name}: ${(e as Error).message}`)
    if (re) assert.match((e as Error).message, re)
    return
  }
  assert.unreachable('expected an error')
}

fixtureTest("sops' root .sops.yaml: one rule, two fingerprints in a folded string", () => {
  const cfg = loadConfigFile(fixturePath('.sops.yaml'))
  assert.is(cfg.creationRules.length, 1)
  assert.equal(cfg.creationRules[0]!.keyGroups[0]!.pgp, ['FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4', 'D7229043384BCC60326C6FB9D8720D957C3D3074'])
})

fixtureTest("sops' functional-tests/.sops.yaml loads (destination_rules, key_groups: [], an empty group) and rules match by path", () => {
  const cfg = loadConfigFile(FUNC)
  assert.is(cfg.creationRules.length, 6)
  const dir = cfg.dir
  assert.is(matchRule(cfg, join(dir, 'test_roundtrip_keygroups.yaml'))!.keyGroups.length, 2)
  assert.is(matchRule(cfg, join(dir, 'test_no_keygroups.yaml'))!.index, 2)
  const zero = matchRule(cfg, join(dir, 'test_zero_keygroups.yaml'))!
  assert.is(zero.index, 3)
  assert.equal(zero.keyGroups.map((g) => [...g.age, ...g.pgp]), [[]], 'key_groups: [] means the (empty) flat lists')
  assert.is(matchRule(cfg, join(dir, 'anything-else.json'))!.index, 5)
})

test('using a rule with no keys, or with an empty key group, is a clear NoRecipientsError (111)', async () => {
  const dir = fixturePath('functional-tests')
  for (const name of ['test_no_keygroups.yaml', 'test_zero_keygroups.yaml', 'test_empty_keygroup.yaml']) {
    await rejects(resolveRecipients(join(dir, name), { cwd: dir, env: { PATH: '/nonexistent' } }), NoRecipientsError)
  }
  const t = tempDir()
  try {
    mkdirSync(join(t.dir, 'x'))
    writeFileSync(join(t.dir, '.sops.yaml'), 'creation_rules:\n  - key_groups:\n      - age: [age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun]\n      - {}\n')
    await rejects(resolveRecipients(join(t.dir, 'x', 'f.yaml'), { cwd: join(t.dir, 'x'), env: { PATH: '/nonexistent' } }), NoRecipientsError, /creation_rules\[0\]\.key_groups\[1\] .* has no keys/)
    writeFileSync(join(t.dir, '.sops.yaml'), 'creation_rules:\n  - key_groups: {age: x}\n')
    assert.throws(() => loadConfigFile(join(t.dir, '.sops.yaml')), (e: unknown) => e instanceof ConfigError && /creation_rules\[0\]\.key_groups must be a list/.test((e as Error).message))
  } finally {
    t.cleanup()
  }
})

test('no rule matches: NoMatchingRuleError (12) without recipients; recipients given by flag or env need no rule', async () => {
  const t = tempDir()
  try {
    writeFileSync(join(t.dir, '.sops-like.yaml'), 'creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun\n')
    const file = join(t.dir, 'plain.yaml')
    await rejects(resolveRecipients(file, { cwd: t.dir, env: {} }), NoMatchingRuleError, /no creation rule in .* matches plain\.yaml/)
    const viaFlag = await resolveRecipients(file, { cwd: t.dir, env: {}, age: ['age1afnrdrkyvy0sl5e08t9ffs4c7g5e5npc8luf7hjc77syewg5gajsls4r90'] })
    assert.is(viaFlag.rule, null)
    assert.equal(viaFlag.groups.map((g) => g.map((r) => r.id)), [['age1afnrdrkyvy0sl5e08t9ffs4c7g5e5npc8luf7hjc77syewg5gajsls4r90']])
    const viaEnv = await resolveRecipients(file, { cwd: t.dir, env: { SOPS_AGE_RECIPIENTS: 'age1afnrdrkyvy0sl5e08t9ffs4c7g5e5npc8luf7hjc77syewg5gajsls4r90' } })
    assert.is(viaEnv.groups[0]!.length, 1)
    const covered = await resolveRecipients(join(t.dir, 'x.enc.yaml'), { cwd: t.dir, env: {} })
    assert.is(covered.rule!.index, 0)
  } finally {
    t.cleanup()
  }
})

test.run()
