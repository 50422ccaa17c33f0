/**
 * The textconv fast reader of `recipients:` agrees with the full config parser on every
 * shape it accepts, and declines (null) the shapes it does not fully understand, so a
 * reviewer is never shown a name the real config does not give.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readRecipientsSection } from '../../src/config/names-fast.js'
import { parseRecipientNames } from '../../src/config/names.js'
import { parseConfig } from '../../src/config/schema.js'

const A = 'age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun'
const B = 'age1afnrdrkyvy0sl5e08t9ffs4c7g5e5npc8luf7hjc77syewg5gajsls4r90'
const SSH = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDMiZLv0wGkSn5d0RNVNQm0HHF5cVgmsWMD9fNfKbV7n ci@host'
const FP = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4'
const RULES = 'creation_rules:\n  - age: ops-lead\n'

const ACCEPTED = [
  `recipients:\n  ops-lead: ${A}\n${RULES}`,
  `# team\nrecipients:   # who is who\n  ops-lead: ${A}   # the lead\n  ci: [${B}, "${SSH}"]\n\n  gpg: '${FP}'\n${RULES}`,
  `${RULES}recipients:\n    ops-lead:\n      - ${A}\n      # a comment\n      - ${B}\n    ci:\n    - "${SSH}"\nrun:\n  files: [a]\n`,
  `recipients:\n  ops-lead: ${A}, ${B}\n${RULES}`,
  `recipients:\n  ops-lead: [${A},]\n${RULES}`,
]

const DECLINED = [
  `recipients: {ops-lead: ${A}}\n${RULES}`,
  `recipients:\n  ops-lead: &a ${A}\n  ci: *a\n${RULES}`,
  `recipients:\n  ops-lead: ${A}\n  ops-lead: ${B}\n${RULES}`,
  `recipients:\n  ops-lead: >-\n    ${A}\n${RULES}`,
  `recipients:\n  ops-lead: !!str ${A}\n${RULES}`,
  `recipients:\n  ops-lead:\n    nested: ${A}\n${RULES}`,
  `recipients:\n\tops-lead: ${A}\n${RULES}`,
  `recipients:\n  ops-lead: "${A} # not a comment"\n${RULES}`,
  `recipients:\n  gpg: 1234567890123456789012345678901234567890\n${RULES}`,
  `recipients:\n  ops-lead: ${A}\n---\nrecipients:\n  x: ${B}\n`,
  `recipients:\n  ops-lead: [${A}\n${RULES}`,
  `recipients:\n  ops-lead:\n${RULES}`,
]

test('accepted shapes give exactly what the full parser gives', () => {
  for (const text of ACCEPTED) {
    const fast = readRecipientsSection(text)
    assert.ok(fast, text)
    assert.equal(JSON.stringify(parseRecipientNames(fast, 'c')), JSON.stringify(parseConfig(text, 'c', '/').recipients), text)
  }
})

test('anything else is declined (the caller falls back to the full parser)', () => {
  for (const text of DECLINED) assert.is(readRecipientsSection(text), null, text)
})

test('no recipients: section gives no names', () => {
  assert.equal(readRecipientsSection(RULES), {})
  assert.equal(readRecipientsSection(`recipients:\n${RULES}`), {})
})

test.run()
