/**
 * Our age file reader (src/keys/age-file.ts) and the node:crypto X25519 identity
 * (src/keys/age-identity.ts) against the real `age` binary: every payload size class
 * (empty, one chunk, exactly one chunk, several chunks), armored and binary, tampering
 * anywhere gives null, and decrypting an X25519 file never loads age-encryption.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createAgeIdentity, X25519Identity } from '../../src/keys/age-identity.js'
import { dearmorAge, MAX_AGE_STANZAS, parseAgeFile } from '../../src/keys/age-file.js'
import { bech32Decode, bech32Encode } from '../../src/keys/ssh-x25519.js'
import { LimitExceededError, ReadError } from '../../src/errors.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { AGE_TEST_KEYS, fixture, needsFixtures } from '../helpers/fixtures.js'
import { moduleLogHook } from '../helpers/module-log.js'
import { parseIdentityFile } from '../../src/keys/age-identities.js'

const fixtureTest = needsFixtures(test, import.meta.url)

const tmp = tempDir('sops-like-agefile-')
const HAS_AGE = spawnSync('age', ['--version']).status === 0
let me: TestKey
let other: TestKey
test.before(async () => { me = await makeAgeKey(tmp.dir, 'me'); other = await makeAgeKey(tmp.dir, 'other') })
test.after(() => tmp.cleanup())

const ageEncrypt = (data: Uint8Array, recipient: string, armor: boolean): Buffer => {
  const r = spawnSync('age', [...(armor ? ['-a'] : []), '-r', recipient], { input: data })
  assert.is(r.status, 0, r.stderr?.toString())
  return r.stdout
}
const entry = (enc: string) => ({ type: 'age' as const, fields: { enc, recipient: 'x' } })

fixtureTest('the sops fixture age-test-encrypted-data.age opens with the published test identity', async () => {
  const keys = parseIdentityFile(readFileSync(AGE_TEST_KEYS, 'utf8'))
  const out = await createAgeIdentity(keys, 'fixture').unwrap(entry(fixture('age-test-encrypted-data.age').toString('utf8')))
  assert.is(Buffer.from(out!).toString('utf8'), 'data')
})

;(HAS_AGE ? test : test.skip)('what the real age wrote opens, for every payload size class, armored and binary', async () => {
  const id = createAgeIdentity([me.identity], 'me')
  for (const size of [0, 1, 32, 33, 65535, 65536, 65537, 2 * 65536, 200_000]) {
    const data = randomBytes(size)
    for (const armor of [true, false]) {
      const file = ageEncrypt(data, me.recipient, armor)
      const out = await id.unwrap(entry(armor ? file.toString('utf8') : file.toString('binary')))
      assert.ok(out && Buffer.from(out).equals(data), `size ${size}, armor ${armor}`)
    }
  }
})

;(HAS_AGE ? test : test.skip)('several recipients: our stanza is found among others; a stranger gets null', async () => {
  const r = spawnSync('age', ['-a', '-r', other.recipient, '-r', me.recipient], { input: Buffer.from('k'.repeat(32)) })
  const enc = r.stdout.toString('utf8')
  assert.is(Buffer.from((await createAgeIdentity([me.identity], 'me').unwrap(entry(enc)))!).toString(), 'k'.repeat(32))
  const stranger = await makeAgeKey(tmp.dir, 'stranger')
  assert.is(await createAgeIdentity([stranger.identity], 's').unwrap(entry(enc)), null)
})

;(HAS_AGE ? test : test.skip)('tampering with any byte of the header, its MAC or the payload gives null, never other data', async () => {
  const data = Buffer.from('the data key, 32 bytes long ....')
  const file = ageEncrypt(data, me.recipient, false)
  const id = createAgeIdentity([me.identity], 'me')
  const step = Math.max(1, Math.floor(file.length / 60))
  for (let i = 0; i < file.length; i += step) {
    const bad = Buffer.from(file)
    bad[i]! ^= 0x04
    const out = await id.unwrap(entry(bad.toString('binary')))
    assert.ok(out === null || Buffer.from(out).equals(data), `byte ${i}`)
    // a flipped bit may land in base64 padding bits that decode the same: only then may it open
    if (out) assert.ok(i < file.indexOf('\n---'), `byte ${i} opened`)
  }
  assert.is(await id.unwrap(entry(file.subarray(0, file.length - 1).toString('binary'))), null, 'truncated')
  assert.is(await id.unwrap(entry('-----BEGIN AGE ENCRYPTED FILE-----\n!!!\n-----END AGE ENCRYPTED FILE-----')), null, 'bad armor')
})

test('post-quantum identities open through the age-encryption fallback; a plugin identity beside them is skipped, not fatal', async () => {
  const { generateHybridIdentity, identityToRecipient, Encrypter, armor } = await import('age-encryption')
  const pq = await generateHybridIdentity()
  const e = new Encrypter()
  e.addRecipient(await identityToRecipient(pq))
  const enc = armor.encode(await e.encrypt(new Uint8Array(32).fill(7)))
  const plugin = 'AGE-PLUGIN-YUBIKEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ'
  const out = await createAgeIdentity([me.identity, plugin, pq], 'mixed').unwrap(entry(enc))
  assert.ok(out && Buffer.from(out).equals(Buffer.alloc(32, 7)))
})

test('a typed error from an identity (wrong passphrase, Ctrl-C at a prompt) travels up; a plain failure means "not mine"', async () => {
  const file = Buffer.from('age-encryption.org/v1\n-> X25519 ' + 'A'.repeat(43) + '\n' + 'A'.repeat(43) + '\n--- ' + 'A'.repeat(43) + '\n' + 'x'.repeat(40), 'latin1').toString('binary')
  const typed = { unwrapFileKey: () => { throw new ReadError('incorrect passphrase for the SSH key') } }
  try {
    await createAgeIdentity([typed as never], 'ssh').unwrap(entry(file))
    assert.unreachable('expected the ReadError')
  } catch (e) {
    assert.ok(e instanceof ReadError, String(e))
  }
  const plain = { unwrapFileKey: () => { throw new Error('low-order share') } }
  assert.is(await createAgeIdentity([plain as never], 'x').unwrap(entry(file)), null)
})

test('an all-zero (low-order) X25519 share aborts the stanza: null, never a key', async () => {
  const zeroShare = 'A'.repeat(43) // 32 zero bytes, unpadded base64
  const file = Buffer.from(`age-encryption.org/v1\n-> X25519 ${zeroShare}\n${'A'.repeat(43)}\n--- ${'A'.repeat(43)}\n${'x'.repeat(40)}`, 'latin1')
  assert.ok(parseAgeFile(file), 'the header itself parses')
  assert.is(await createAgeIdentity([me.identity], 'me').unwrap(entry(file.toString('binary'))), null)
  assert.throws(() => new X25519Identity(me.identity).unwrapFileKey(parseAgeFile(file)!.stanzas))
})

test('the header reader refuses what is not age v1', () => {
  assert.is(parseAgeFile(Buffer.from('age-encryption.org/v2\n--- AAAA\n')), null)
  assert.is(parseAgeFile(Buffer.from('age-encryption.org/v1\n-> X25519\nnot base64!\n--- AAAA\n')), null)
  assert.is(parseAgeFile(Buffer.from('age-encryption.org/v1\n')), null)
  assert.is(dearmorAge('-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n'), null)
})

test('bech32: identities decode to 32 bytes; bad checksum, mixed case or another prefix do not', () => {
  const bytes = randomBytes(32)
  const text = bech32Encode('age-secret-key-', bytes).toUpperCase()
  assert.ok(Buffer.from(bech32Decode('age-secret-key-', text)!).equals(bytes))
  assert.is(bech32Decode('age-secret-key-', text.slice(0, -1) + (text.endsWith('Q') ? 'P' : 'Q')), null)
  assert.is(bech32Decode('age-secret-key-', text.slice(0, 20) + text.slice(20).toLowerCase()), null)
  assert.is(bech32Decode('age', text), null)
  assert.throws(() => new X25519Identity(text.slice(0, -1) + (text.endsWith('Q') ? 'P' : 'Q')), (e: unknown) => e instanceof ReadError && !(e as Error).message.includes(text.slice(20)))
})

test('bech32 (BIP 173 vectors): valid strings decode under their own prefix, invalid ones do not; no 90-character limit', () => {
  const valid = ['A12UEL5L', 'a12uel5l', 'an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs',
    'abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw', 'split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w', '?1ezyfcl']
  for (const s of valid) {
    const hrp = s.toLowerCase().slice(0, s.lastIndexOf('1'))
    assert.ok(bech32Decode(hrp, s), s)
    assert.is(bech32Decode(hrp + 'x', s), null, `${s} under another prefix`)
  }
  assert.equal([...bech32Decode('a', 'a1qqqd87cq')!], [0]) // the same two words with zero padding
  assert.equal([...bech32Decode('abcdef', 'abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw')!], [...Buffer.from('00443214c74254b635cf84653a56d7c675be77df', 'hex')])
  // checksum over an upper-case prefix, empty prefix, short checksum, a character outside the alphabet, mixed case, bad padding
  for (const [hrp, s] of [['a', 'A1G7SGD8'], ['', '10a06t8'], ['li', 'li1dgmt3'], ['x', 'x1b4n0q5v'], ['a', 'A12Uel5l'], ['a', 'a1qpamnt9j']]) {
    assert.is(bech32Decode(hrp!, s!), null, s)
  }
  const long = randomBytes(100)
  const text = bech32Encode('age', long)
  assert.ok(text.length > 90)
  assert.equal([...bech32Decode('age', text)!], [...long])
})

test('decrypting an X25519 file does not load age-encryption; encrypting does', () => {
  const log = join(tmp.dir, 'age-resolutions.log')
  const register = moduleLogHook(tmp.dir, 'age-encryption', log)
  const entryFile = new URL('../helpers/cli-entry.ts', import.meta.url).pathname
  const cwd = new URL('../../', import.meta.url).pathname
  const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', '--import', register, entryFile, ...args], {
    cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent-home', SOPS_AGE_KEY_FILE: me.file },
  })
  const count = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0)
  writeFileSync(join(tmp.dir, 'p.yaml'), 'a: 1\n')
  const enc = cli(['encrypt', '--age', me.recipient, '-o', join(tmp.dir, 'p.enc.yaml'), join(tmp.dir, 'p.yaml')])
  assert.is(enc.status, 0, enc.stderr)
  assert.ok(count() >= 1, 'encrypt loads age-encryption')
  writeFileSync(log, '')
  const dec = cli(['decrypt', join(tmp.dir, 'p.enc.yaml')])
  assert.is(dec.status, 0, dec.stderr)
  assert.is(dec.stdout, 'a: 1\n')
  assert.is(count(), 0, readFileSync(log, 'utf8'))
})

/** An age file header with `n` X25519 stanzas for somebody else (each costs an ECDH to try). */
function foreignStanzas(n: number, share: Uint8Array): string {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64').replace(/=+$/, '')
  const stanza = `-> X25519 ${b64(share)}\n${b64(randomBytes(32))}\n`
  return `age-encryption.org/v1\n${stanza.repeat(n)}--- ${b64(randomBytes(32))}\n` + 'x'.repeat(64)
}

test('an age blob with 20,000 foreign X25519 stanzas (150,000 took over a minute) is refused with LimitExceededError before any is tried', async () => {
  const share = bech32Decode('age', other.recipient)!
  const blob = foreignStanzas(20_000, share)
  assert.throws(() => parseAgeFile(new Uint8Array(Buffer.from(blob, 'binary'))), (e: unknown) => e instanceof LimitExceededError && e.exitCode === 15)
  const id = createAgeIdentity([me.identity], 'me')
  try {
    await id.unwrap(entry(blob))
    assert.unreachable('the stanzas were tried')
  } catch (e) {
    assert.instance(e, LimitExceededError)
    assert.match((e as Error).message, /more than 16 recipient stanzas/)
  }
  // the cap itself is read (and tried) normally
  assert.is(parseAgeFile(new Uint8Array(Buffer.from(foreignStanzas(MAX_AGE_STANZAS, share), 'binary')))!.stanzas.length, MAX_AGE_STANZAS)
  assert.is(await id.unwrap(entry(foreignStanzas(MAX_AGE_STANZAS, share))), null)
})

test.run()
