/**
 * age recipients (src/keys/age.ts): a low-order X25519 point — the all-zero key and the other
 * small-subgroup points, as `age1…` or inside an `ssh-ed25519` key — is a RecipientError (30)
 * when parsed; it used to reach encryption and fail there as an untyped internal error.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createAgeRecipient, parseAgeRecipient } from '../../src/keys/age.js'
import { bech32Encode } from '../../src/keys/ssh-x25519.js'
import { RecipientError } from '../../src/errors.js'
import { generateAgeIdentity } from '../../src/ops/keys/keygen.js'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isolatedEnv, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/keys.js'

/** The X25519 points of small order (RFC 7748 §6.1 curve, canonical and p-1/p/p+1 encodings). */
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
]

/** An `ssh-ed25519` public key line around 32 raw key bytes. */
function sshEd25519Line(key: Uint8Array): string {
  const t = Buffer.from('ssh-ed25519')
  const b = Buffer.alloc(8 + t.length + 32)
  b.writeUInt32BE(t.length, 0)
  t.copy(b, 4)
  b.writeUInt32BE(32, 4 + t.length)
  Buffer.from(key).copy(b, 8 + t.length)
  return `ssh-ed25519 ${b.toString('base64')}`
}

test('low-order age1 recipients (the all-zero X25519 key and the other small-order points) are a RecipientError, not an internal error', async () => {
  for (const hex of LOW_ORDER) {
    const id = bech32Encode('age', Buffer.from(hex, 'hex'))
    assert.throws(() => parseAgeRecipient(id), (e: unknown) => e instanceof RecipientError && e.exitCode === 30 && /low-order point/.test((e as Error).message), hex)
  }
  // an ssh-ed25519 key whose X25519 form is low-order (y = 0 maps to u = 1)
  assert.throws(() => parseAgeRecipient(sshEd25519Line(new Uint8Array(32))), (e: unknown) => e instanceof RecipientError && /low-order point/.test((e as Error).message))
  // a real recipient still works
  const id = await generateAgeIdentity()
  const entry = await createAgeRecipient(id.recipient).wrap(new Uint8Array(32))
  assert.is(entry.fields.recipient, id.recipient)
})

test('encrypt --age with the all-zero age1 key exits 30 with one line, not an internal error', async () => {
  const t = tempDir()
  try {
    writeFileSync(join(t.dir, 'a.yaml'), 'k: v\n')
    const r = await runCli(['encrypt', '--age', bech32Encode('age', new Uint8Array(32)), 'a.yaml'], { cwd: t.dir, env: isolatedEnv() })
    assert.is(r.code, 30, r.stderr)
    assert.match(r.stderr, /^sops-like: age recipient age1q+\w+ is not a usable public key \(a low-order point\)/)
    assert.is(r.stderr.trim().split('\n').length, 1)
  } finally {
    t.cleanup()
  }
})

test.run()
