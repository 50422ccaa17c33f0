import { test as suite } from 'uvu'
import * as assert from 'uvu/assert'
import { FIXTURES, HAVE_FIXTURES, needsFixtures } from '../helpers/fixtures.js'
import { readFileSync } from 'node:fs'
import { Encrypter, armor } from 'age-encryption'
import { LimitExceededError, ReadError } from '../../src/errors.js'
import { MAX_SCRYPT_LOG_N, decryptIdentityFile, isEncryptedIdentityFile, scryptLogN } from '../../src/keys/age-encrypted-identity.js'

const test = needsFixtures(suite, import.meta.url)

const fixture = HAVE_FIXTURES ? new Uint8Array(readFileSync(FIXTURES + 'age-test-encrypted-identity.age')) : new Uint8Array()
const given = (p: string | undefined) => async () => p

async function expectReadError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p
    assert.unreachable('should throw')
  } catch (e) {
    assert.instance(e, ReadError)
    assert.match((e as Error).message, pattern)
    assert.not.match((e as Error).message, /[\r\n]/)
  }
}

test('detects encrypted identity files', () => {
  assert.ok(isEncryptedIdentityFile(fixture))
  assert.ok(isEncryptedIdentityFile(new TextEncoder().encode('age-encryption.org/v1\n-> scrypt')))
  assert.not.ok(isEncryptedIdentityFile(new TextEncoder().encode('# created: x\nAGE-SECRET-KEY-1')))
})

test('the sops fixture opens with "passphrase" and holds an age identity', async () => {
  const text = await decryptIdentityFile(fixture, given('passphrase'))
  assert.match(text, /^AGE-SECRET-KEY-1[0-9A-Z]+$/m)
})

test('wrong passphrase: one-line ReadError without the passphrase', async () => {
  await expectReadError(decryptIdentityFile(fixture, given('not it')), /^incorrect passphrase for encrypted age identity file$/)
})

test('no passphrase available: ReadError', async () => {
  await expectReadError(decryptIdentityFile(fixture, given(undefined)), /needs a passphrase/)
})

test('binary (unarmored) files work too', async () => {
  const e = new Encrypter()
  e.setPassphrase('pw')
  e.setScryptWorkFactor(10)
  const bin = await e.encrypt('AGE-SECRET-KEY-1XYZ\n')
  assert.is(await decryptIdentityFile(bin, given('pw')), 'AGE-SECRET-KEY-1XYZ\n')
  assert.is(await decryptIdentityFile(new TextEncoder().encode(armor.encode(bin)), given('pw')), 'AGE-SECRET-KEY-1XYZ\n')
})

test('files not encrypted with a passphrase, or not age at all, are rejected without prompting', async () => {
  let asked = false
  const ask = async () => { asked = true; return 'x' }
  const e = new Encrypter()
  e.addRecipient('age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun')
  await expectReadError(decryptIdentityFile(await e.encrypt('x'), ask), /not passphrase-protected/)
  await expectReadError(decryptIdentityFile(new TextEncoder().encode('hello'), ask), /not an age-encrypted file/)
  await expectReadError(decryptIdentityFile(new TextEncoder().encode('-----BEGIN AGE ENCRYPTED FILE-----\n!!\n'), ask), /malformed armor/)
  assert.not.ok(asked)
})

test('a passphrase-encrypted identity file asking for scrypt 2^23 (age refuses above 2^22) is a LimitExceededError before any prompt; up to 2^22 is accepted like age', async () => {
  const e = new Encrypter()
  e.setPassphrase('pw')
  e.setScryptWorkFactor(10)
  const bin = Buffer.from(await e.encrypt('AGE-SECRET-KEY-1XYZ\n'))
  const header = bin.toString('latin1')
  for (const [logN, armored] of [[23, false], [63, true], [99, false]] as const) {
    const hostile = Buffer.from(header.replace(/^(age-encryption\.org\/v1\n-> scrypt \S+ )10\n/, `$1${logN}\n`), 'latin1')
    assert.not.ok(hostile.equals(bin))
    let asked = false
    try {
      await decryptIdentityFile(armored ? new TextEncoder().encode(armor.encode(hostile)) : hostile, async () => { asked = true; return 'pw' })
      assert.unreachable('the work factor was accepted')
    } catch (err) {
      assert.instance(err, LimitExceededError)
      assert.is((err as LimitExceededError).exitCode, 15)
      assert.match((err as Error).message, new RegExp(`scrypt work factor 2\\^${logN} is above age's limit of 2\\^22`))
    }
    assert.not.ok(asked)
  }
  // age's limit: 21 and 22 pass the check (before: refused above 20); running them needs 2-4 GiB
  assert.is(MAX_SCRYPT_LOG_N, 22)
  for (const n of ['18', '20', '21', '22']) assert.is(scryptLogN(n), Number(n))
  assert.throws(() => scryptLogN('23'), (x: unknown) => x instanceof LimitExceededError)
})

test.run()
