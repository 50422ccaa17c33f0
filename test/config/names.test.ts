/**
 * Named recipients (`recipients:` in the config): names resolve to key strings in the
 * parsed rules (flat lists, key_groups, merge, `pgp:`), so resolveRecipients and every
 * other consumer sees keys only; unknown names and names shaped like keys are
 * ConfigErrors naming the rule or entry; the reverse lookup finds a name for a key.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseConfig } from '../../src/config/schema.js'
import { keysOfName, recipientName } from '../../src/config/names.js'
import { resolveRecipients } from '../../src/ops/crypt/recipients.js'
import { ConfigError } from '../../src/errors.js'
import { tempDir } from '../helpers/keys.js'

const A = 'age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun'
const B = 'age1afnrdrkyvy0sl5e08t9ffs4c7g5e5npc8luf7hjc77syewg5gajsls4r90'
const SSH = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDMiZLv0wGkSn5d0RNVNQm0HHF5cVgmsWMD9fNfKbV7n ci@host'
const FP = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4'

const parse = (text: string) => parseConfig(text, '.sops-like.yaml', '/repo')
const configError = (text: string, re: RegExp): void => {
  assert.throws(() => parse(text), (e: unknown) => e instanceof ConfigError && re.test((e as Error).message), `expected ConfigError ${re}`)
}

test('a name in age: expands to its keys; a list value holds age, SSH and PGP keys, each goes to its kind', () => {
  const cfg = parse(`recipients:\n  ops-lead: ${A}\n  ci: [${B}, "${SSH}", "${FP.toLowerCase()}"]\ncreation_rules:\n  - age: ops-lead,ci\n`)
  const g = cfg.creationRules[0]!.keyGroups[0]!
  assert.equal(g.age, [A, B, SSH])
  assert.equal(g.pgp, [FP])
  assert.equal(Object.keys(cfg.recipients), ['ops-lead', 'ci'])
})

test('names work in key_groups, merge lists and pgp:, mixed with literal keys, without duplicates', () => {
  const cfg = parse([
    'recipients:',
    `  alice: ${A}`,
    `  gpg-bob: ${FP}`,
    'creation_rules:',
    '  - path_regex: x',
    '    key_groups:',
    `      - age: [alice, ${A}]`,
    '      - pgp: [gpg-bob]',
    '        merge:',
    '          - age: alice',
    '  - pgp: gpg-bob',
    '',
  ].join('\n'))
  assert.equal(cfg.creationRules[0]!.keyGroups[0]!.age, [A])
  assert.equal(cfg.creationRules[0]!.keyGroups[1]!, { age: [A], pgp: [FP], hcVault: [], kms: [], gcpKms: [], azureKv: [], unsupported: [] })
  assert.equal(cfg.creationRules[1]!.keyGroups[0]!.pgp, [FP])
})

test('resolveRecipients (what encrypt, updatekeys, rotate and check use) sees the keys behind the names', async () => {
  const t = tempDir()
  try {
    writeFileSync(join(t.dir, '.sops-like.yaml'), `recipients:\n  ops-lead: ${A}\n  ci: [${B}]\ncreation_rules:\n  - age: ops-lead, ci\n`)
    const keys = await resolveRecipients(join(t.dir, 'x.enc.yaml'), { cwd: t.dir, env: {} })
    assert.equal(keys.groups.map((g) => g.map((r) => r.id)), [[A, B]])
  } finally {
    t.cleanup()
  }
})

test('an unknown name is a ConfigError naming the rule and the name', () => {
  configError(`recipients:\n  ops-lead: ${A}\ncreation_rules:\n  - age: ops-lead\n  - age: ops-leed\n`, /^creation_rules\[1\]\.age: unknown recipient name ops-leed/)
  configError(`creation_rules:\n  - key_groups:\n      - pgp: [nobody]\n`, /^creation_rules\[0\]\.key_groups\[0\]\.pgp: unknown recipient name nobody/)
})

test('a name shaped like a key (age1…, ssh-…, hex fingerprint) collides with key strings: ConfigError naming the entry', () => {
  configError(`recipients:\n  ${B}: ${A}\n`, /recipients\.age1.*looks like a key/)
  configError(`recipients:\n  deadbeef: ${A}\n`, /recipients\.deadbeef: the name looks like a key/)
  configError(`recipients:\n  "ssh-ed25519": ${A}\n`, /recipients\.ssh-ed25519: the name looks like a key/)
})

test('a value that is not a key (another name, a number, an empty list) is a ConfigError; recipients must be a mapping', () => {
  configError(`recipients:\n  ops-lead: ${A}\n  team: [ops-lead]\n`, /recipients\.team: an entry is not an age recipient/)
  configError(`recipients:\n  ops: 5\n`, /recipients\.ops must be a string or a list of strings/)
  configError(`recipients:\n  ops: []\n`, /recipients\.ops lists no keys/)
  configError(`recipients: [${A}]\n`, /recipients must be a mapping/)
})

test('reverse lookup: key → name (PGP by fingerprint or long key id, any case), name → keys', () => {
  const cfg = parse(`recipients:\n  ops-lead: ${A}\n  ci: [${B}, "${SSH}"]\n  gpg-bob: ${FP}\n`)
  assert.is(recipientName(cfg.recipients, { type: 'age', id: A }), 'ops-lead')
  assert.is(recipientName(cfg.recipients, { type: 'age', id: SSH }), 'ci')
  assert.is(recipientName(cfg.recipients, { type: 'pgp', id: FP.toLowerCase() }), 'gpg-bob')
  assert.is(recipientName(cfg.recipients, { type: 'pgp', id: FP.slice(-16) }), 'gpg-bob')
  assert.is(recipientName(cfg.recipients, { type: 'pgp', id: A }), undefined)
  assert.is(recipientName(cfg.recipients, { type: 'age', id: 'age1other' }), undefined)
  assert.equal(keysOfName(cfg.recipients, 'ci'), [{ type: 'age', id: B }, { type: 'age', id: SSH }])
  assert.is(keysOfName(cfg.recipients, 'nobody'), undefined)
  assert.is(keysOfName(cfg.recipients, 'toString'), undefined)
})

test('a config without recipients: still parses as before (literal keys untouched)', () => {
  const cfg = parse(`creation_rules:\n  - age: ${A}\n    pgp: "${FP.slice(0, 20)} ${FP.slice(20)}"\n`)
  assert.equal(cfg.creationRules[0]!.keyGroups[0]!.age, [A])
  assert.equal(cfg.creationRules[0]!.keyGroups[0]!.pgp, [FP])
  assert.equal(cfg.recipients, {})
})

test.run()
