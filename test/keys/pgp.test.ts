/**
 * PGP through OpenPGP.js: every PGP fixture's `enc` unwraps with the sops test key,
 * wrap → unwrap round trips produce GnuPG 2.2-readable packets, bad keys are refused
 * with one-line typed errors, and `openpgp` is only loaded when a PGP key is used.
 */
import { test as suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import * as openpgp from 'openpgp'
import { createPgpIdentities, createPgpRecipient } from '../../src/keys/pgp.js'
import type { Identity, KeyEntry } from '../../src/keys/key-source.js'
import { NoIdentityError, ReadError, RecipientError } from '../../src/errors.js'
import { DATA_KEYS, fixturePath, needsFixtures } from '../helpers/fixtures.js'
import { tempDir } from '../helpers/keys.js'
import { moduleLogHook } from '../helpers/module-log.js'
import { hex, KEY1, KEY2, PGP_FIXTURES, PGP_TEST_KEY, pgpMessages, testKeyBlocks } from './pgp-helpers.js'

const test = needsFixtures(suite, import.meta.url)

const NO_GPG: NodeJS.ProcessEnv = { PATH: '/nonexistent', HOME: '/nonexistent-home' }
const entry = (enc: string, fp = KEY1): KeyEntry => ({ type: 'pgp', fields: { created_at: '2026-01-01T00:00:00Z', enc, fp } })
const isA = (C: new (...a: never[]) => Error, re?: RegExp) => (e: unknown): boolean =>
  e instanceof C && !/\n/.test((e as Error).message) && (!re || re.test((e as Error).message))

async function rejects(p: Promise<unknown>, check: (e: unknown) => boolean, what: string): Promise<void> {
  try {
    await p
  } catch (e) {
    assert.ok(check(e), `${what}: unexpected error ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`)
    return
  }
  assert.unreachable(`${what}: should have failed`)
}

const tmp = tempDir('sops-like-pgp-')
const fileIdentity = (file: string, env: NodeJS.ProcessEnv = {}): Identity => {
  const ids = createPgpIdentities({ ...NO_GPG, ...env }, { keyFile: file })
  assert.is(ids.length, 1)
  return ids[0]!
}
const testIdentity = fileIdentity(PGP_TEST_KEY)

// keys made once for the whole file (rsa: never generate v6/curve25519 keys here)
const gen = (name: string, extra: Partial<Parameters<typeof openpgp.generateKey>[0]> = {}) =>
  openpgp.generateKey({ type: 'rsa', rsaBits: 2048, userIDs: [{ name, email: `${name}@example.com` }], format: 'object', ...extra } as Parameters<typeof openpgp.generateKey>[0])
const write = (name: string, text: string): string => {
  const p = join(tmp.dir, name)
  writeFileSync(p, text)
  return p
}
const past = new Date(Date.now() - 30 * 86400e3)
const fpOf = (k: openpgp.Key): string => k.getFingerprint().toUpperCase()
type Pair = Awaited<ReturnType<typeof gen>>
let signOnly: Pair, expired: Pair, locked: Pair, modern: Pair, revoked: { publicKey: openpgp.PublicKey }
let signOnlyFile = '', expiredFile = '', revokedFile = '', lockedFile = '', modernFile = '', key2File = ''

test.before(async () => {
  let toRevoke: Pair
  ;[signOnly, expired, toRevoke, locked, modern] = await Promise.all([
    gen('signonly', { subkeys: [] }),
    gen('expired', { date: past, keyExpirationTime: 86400 }),
    gen('revoked'),
    gen('locked', { passphrase: 'correct horse' }),
    gen('modern', { config: { aeadProtect: true } }),
  ])
  revoked = await openpgp.revokeKey({ key: toRevoke.privateKey, format: 'object' })
  signOnlyFile = write('signonly.asc', signOnly.publicKey.armor())
  expiredFile = write('expired.asc', expired.publicKey.armor())
  revokedFile = write('revoked.asc', revoked.publicKey.armor())
  lockedFile = write('locked.asc', locked.privateKey.armor())
  modernFile = write('modern.asc', modern.privateKey.armor())
  key2File = write('key2.asc', testKeyBlocks().private[1]!)
})
test.after(() => tmp.cleanup())

for (const rel of PGP_FIXTURES) {
  test(`fixture ${rel}: every enc for our keys unwraps to one 32-byte data key`, async () => {
    const msgs = pgpMessages(rel)
    assert.ok(msgs.length >= 1)
    const keys = await Promise.all(msgs.map((m) => testIdentity.unwrap(entry(m))))
    for (const k of keys) assert.is(k?.length, 32)
    assert.is(new Set(keys.map(hex)).size, 1, 'all entries hold the same key')
    if (DATA_KEYS[rel]) assert.is(hex(keys[0]!), DATA_KEYS[rel])
  })
}

test('format.enc.yaml data key is af5e68dd…f4e4 (spec §13)', async () => {
  const [m] = pgpMessages('functional-tests/res/format.enc.yaml')
  assert.is(hex(await testIdentity.unwrap(entry(m!))), 'af5e68dd342b72c6a0475f81a50da4fde898f4b7742c92cbcf1668211411f4e4')
})

test('multiple_keys.yaml and example.yaml: key 2 (rsa1024) alone opens its entry, returns null for key 1’s', async () => {
  const id2 = fileIdentity(key2File)
  for (const rel of ['functional-tests/res/multiple_keys.yaml', 'example.yaml', 'example.json']) {
    const [m1, m2] = pgpMessages(rel)
    assert.is(await id2.unwrap(entry(m1!)), null, `${rel} entry 1`)
    const k2 = await id2.unwrap(entry(m2!, KEY2))
    assert.is(hex(k2), hex(await testIdentity.unwrap(entry(m1!))), `${rel} entry 2`)
  }
  assert.match(id2.label, KEY2)
  assert.not.match(id2.label, KEY1)
})

test('an entry for a key we do not have, or no PGP message at all, gives null', async () => {
  const [other] = pgpMessages('config/test_resources/example.yaml')
  assert.is(await testIdentity.unwrap(entry(other!)), null)
  assert.is(await testIdentity.unwrap(entry('')), null)
  assert.is(await testIdentity.unwrap(entry('-----BEGIN PGP MESSAGE-----\n\nnot base64 !!\n-----END PGP MESSAGE-----')), null)
  assert.is(await testIdentity.unwrap({ type: 'pgp', fields: { fp: KEY1 } }), null)
})

test('identities: key file from opts or SOPS_LIKE_PGP_KEY_FILE, labels never show secrets', async () => {
  assert.equal(createPgpIdentities(NO_GPG), [])
  const [fromEnv] = createPgpIdentities({ ...NO_GPG, SOPS_LIKE_PGP_KEY_FILE: PGP_TEST_KEY })
  assert.ok(fromEnv)
  assert.is(fromEnv.type, 'pgp')
  assert.match(fromEnv.label, PGP_TEST_KEY)
  await fromEnv.unwrap(entry(pgpMessages('example.yaml')[0]!))
  assert.match(fromEnv.label, KEY1)
  assert.match(fromEnv.label, KEY2)
  assert.not.match(fromEnv.label, /BEGIN|PRIVATE/)
  // opts.keyFile wins over the environment
  const [fromOpts] = createPgpIdentities({ ...NO_GPG, SOPS_LIKE_PGP_KEY_FILE: '/nonexistent/key.asc' }, { keyFile: key2File })
  assert.match(fromOpts!.label, key2File)
})

test('recipient: entry shape, fingerprint normalised, round trip, SEIPDv1 packets', async () => {
  const spaced = KEY1.toLowerCase().replace(/(.{4})/g, '$1 ')
  const r = createPgpRecipient(spaced, { keyFiles: [PGP_TEST_KEY], env: NO_GPG })
  assert.is(r.type, 'pgp')
  assert.is(r.id, KEY1)
  const dataKey = new Uint8Array(32).map((_, i) => i * 7)
  const e = await r.wrap(dataKey)
  assert.is(e.type, 'pgp')
  assert.equal(Object.keys(e.fields), ['created_at', 'enc', 'fp'])
  assert.is(e.fields.fp, KEY1)
  assert.match(e.fields.created_at!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  assert.ok(Math.abs(Date.parse(e.fields.created_at!) - Date.now()) < 60_000)
  assert.ok(e.fields.enc!.startsWith('-----BEGIN PGP MESSAGE-----\n'))
  assert.ok(e.fields.enc!.endsWith('-----END PGP MESSAGE-----'), 'trimmed, no trailing newline')
  assert.equal([...(await testIdentity.unwrap(e))!], [...dataKey])
  const msg = await openpgp.readMessage({ armoredMessage: e.fields.enc! })
  const shape = Array.from(msg.packets, (p) => [(p.constructor as unknown as { tag: number }).tag, (p as unknown as { version: number }).version])
  assert.equal(shape, [[1, 3], [18, 1]], 'one v3 PKESK, then SEIPD v1')
  assert.equal(msg.getEncryptionKeyIDs().map((k) => k.toHex().toUpperCase()), ['25294A17CD90507F'], 'to the encryption subkey')
})

test('recipient: 33-byte Shamir shares and an rsa1024 key wrap too', async () => {
  const share = new Uint8Array(33).fill(9)
  share[32] = 2
  const e = await createPgpRecipient(KEY2, { keyFiles: [PGP_TEST_KEY], env: NO_GPG }).wrap(share)
  assert.equal([...(await testIdentity.unwrap(e))!], [...share])
})

test('recipient: found in the second of several key files, by subkey fingerprint, or forced subkey with !', async () => {
  const files = [signOnlyFile, PGP_TEST_KEY]
  for (const fp of [KEY1, '71D962851765394F76DB9CFC25294A17CD90507F', '71D962851765394F76DB9CFC25294A17CD90507F!', '3D16CEE4A27381B4']) {
    const e = await createPgpRecipient(fp, { keyFiles: files, env: NO_GPG }).wrap(new Uint8Array(32).fill(1))
    assert.is(e.fields.fp, fp)
    assert.is((await testIdentity.unwrap(e))?.length, 32, fp)
  }
  await rejects(createPgpRecipient(KEY1 + '!', { keyFiles: files, env: NO_GPG }).wrap(new Uint8Array(32)), isA(RecipientError, /subkey .*cannot encrypt/), 'forcing the sign-only primary')
})

test('binary keyrings work as key files (flux test keyring: pubring.gpg / secring.gpg)', async () => {
  const ring = fixturePath('pgp/testdata/ring/')
  const fp = 'B59DAF469E8C948138901A649732075EA221A7EA'
  const e = await createPgpRecipient(fp, { keyFiles: [ring + 'pubring.gpg'], env: NO_GPG }).wrap(new Uint8Array(32).fill(8))
  assert.equal([...(await fileIdentity(ring + 'secring.gpg').unwrap(e))!], [...new Uint8Array(32).fill(8)])
  assert.is(await fileIdentity(ring + 'secring.gpg').unwrap(entry(pgpMessages('example.yaml')[0]!)), null)
})

test('recipient for a key advertising SEIPDv2 still gets SEIPDv1 (GnuPG 2.2)', async () => {
  // getPrimarySelfSignature and enums.features exist at runtime but not in openpgp's .d.ts
  const sig = await (modern.publicKey as unknown as { getPrimarySelfSignature(): Promise<{ features?: number[] }> }).getPrimarySelfSignature()
  const SEIPDV2 = 0x08
  assert.ok(sig.features && sig.features[0]! & SEIPDV2, 'the generated key does advertise SEIPDv2')
  const e = await createPgpRecipient(fpOf(modern.publicKey), { keyFiles: [modernFile], env: NO_GPG }).wrap(new Uint8Array(32).fill(3))
  const msg = await openpgp.readMessage({ armoredMessage: e.fields.enc! })
  assert.equal(Array.from(msg.packets, (p) => (p as unknown as { version: number }).version), [3, 1])
  assert.equal([...(await fileIdentity(modernFile).unwrap(e))!], [...new Uint8Array(32).fill(3)])
})

test('recipient errors: unknown fingerprint (no key file, no gpg) names it', async () => {
  const fp = 'AAAABBBBCCCCDDDDEEEEFFFF0000111122223333'
  await rejects(createPgpRecipient(fp, { env: NO_GPG }).wrap(new Uint8Array(32)), isA(RecipientError, new RegExp(`${fp}.*gpg not found`)), 'no source')
  await rejects(createPgpRecipient(fp, { keyFiles: [PGP_TEST_KEY], env: NO_GPG }).wrap(new Uint8Array(32)), isA(RecipientError, new RegExp(`${fp}.*not in the given key files`)), 'not in file')
  assert.throws(() => createPgpRecipient('not-a-fingerprint', { env: NO_GPG }), isA(RecipientError, /invalid PGP fingerprint/))
  assert.throws(() => createPgpRecipient('ABCD', { env: NO_GPG }), isA(RecipientError))
})

test('recipient errors: sign-only, expired and revoked keys', async () => {
  const wrap = (fp: string, file: string) => createPgpRecipient(fp, { keyFiles: [file], env: NO_GPG }).wrap(new Uint8Array(32))
  await rejects(wrap(fpOf(signOnly.publicKey), signOnlyFile), isA(RecipientError, /has no valid encryption subkey/), 'sign-only')
  await rejects(wrap(fpOf(expired.publicKey), expiredFile), isA(RecipientError, /expired on \d{4}-\d\d-\d\d/), 'expired')
  await rejects(wrap(fpOf(revoked.publicKey), revokedFile), isA(RecipientError, /is revoked/), 'revoked')
})

test('key file errors: corrupted armor → RecipientError, unreadable → ReadError', async () => {
  const good = readFileSync(PGP_TEST_KEY, 'utf8').split('\n')
  const broken = write('broken.asc', good.slice(0, 12).concat(good.slice(14, 20).map((l) => l.split('').reverse().join('')), ['-----END PGP PRIVATE KEY BLOCK-----']).join('\n'))
  const empty = write('empty.asc', 'hello\n')
  await rejects(createPgpRecipient(KEY1, { keyFiles: [broken], env: NO_GPG }).wrap(new Uint8Array(32)), isA(RecipientError, /damaged/), 'broken recipient file')
  await rejects(fileIdentity(broken).unwrap(entry(pgpMessages('example.yaml')[0]!)), isA(RecipientError, /damaged/), 'broken identity file')
  await rejects(fileIdentity(empty).unwrap(entry(pgpMessages('example.yaml')[0]!)), isA(RecipientError), 'not a key')
  await rejects(fileIdentity(signOnlyFile).unwrap(entry(pgpMessages('example.yaml')[0]!)), isA(RecipientError, /no private key/), 'public only')
  await rejects(createPgpRecipient(KEY1, { keyFiles: [join(tmp.dir, 'missing.asc')], env: NO_GPG }).wrap(new Uint8Array(32)), isA(ReadError, /cannot read PGP key file/), 'missing file')
  await rejects(fileIdentity(join(tmp.dir, 'missing.asc')).unwrap(entry(pgpMessages('example.yaml')[0]!)), isA(ReadError), 'missing identity file')
})

test('passphrase-protected key: SOPS_LIKE_PGP_PASSPHRASE opens it, a wrong one is a one-line ReadError', async () => {
  const fp = fpOf(locked.publicKey)
  const e = await createPgpRecipient(fp, { keyFiles: [lockedFile], env: NO_GPG }).wrap(new Uint8Array(32).fill(5))
  assert.equal([...(await fileIdentity(lockedFile, { SOPS_LIKE_PGP_PASSPHRASE: 'correct horse' }).unwrap(e))!], [...new Uint8Array(32).fill(5)])
  const wrong = fileIdentity(lockedFile, { SOPS_LIKE_PGP_PASSPHRASE: 'battery staple' })
  await rejects(wrong.unwrap(e), isA(ReadError, new RegExp(`incorrect passphrase for PGP key ${fp}`)), 'wrong passphrase')
  // a message not for the locked key never asks for its passphrase
  assert.is(await wrong.unwrap(entry(pgpMessages('example.yaml')[0]!)), null)
  let haveTty = true
  try { closeSync(openSync('/dev/tty', 'r')) } catch { haveTty = false }
  if (!haveTty) await rejects(fileIdentity(lockedFile).unwrap(e), isA(ReadError, /no terminal/), 'no passphrase, no tty')
})

test('a damaged message for our key is an error, not "not mine"', async () => {
  const e = await createPgpRecipient(KEY1, { keyFiles: [PGP_TEST_KEY], env: NO_GPG }).wrap(new Uint8Array(32))
  const { data } = await openpgp.unarmor(e.fields.enc!)
  const bytes = new Uint8Array(data as Uint8Array)
  bytes[bytes.length - 3]! ^= 0x01
  const damaged = openpgp.armor(openpgp.enums.armor.message, bytes)
  await rejects(testIdentity.unwrap(entry(damaged)), isA(NoIdentityError, new RegExp(KEY1)), 'damaged')
})

test('openpgp is loaded lazily: not by importing pgp.ts or an age-only run, only when a PGP key is used', () => {
  const log = join(tmp.dir, 'resolutions.log')
  const register = moduleLogHook(tmp.dir, 'openpgp', log)
  const src = (p: string) => JSON.stringify(pathToFileURL(new URL(p, import.meta.url).pathname).href)
  const script = `
import { existsSync, readFileSync } from 'node:fs'
const count = () => existsSync(${JSON.stringify(log)}) ? readFileSync(${JSON.stringify(log)}, 'utf8').split('\\n').filter(Boolean).length : 0
const pgp = await import(${src('../../src/keys/pgp.ts')})
const afterImport = count()
let ageOnly = -1
try {
  const { loadIdentities } = await import(${src('../../src/keys/identities.ts')})
  await loadIdentities([{ type: 'age', fields: { recipient: 'age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun', enc: 'x' } }], { env: { HOME: '/nonexistent-home', PATH: '/nonexistent' } })
  ageOnly = count()
} catch { ageOnly = count() }
const ids = pgp.createPgpIdentities({ PATH: '/nonexistent' }, { keyFile: ${JSON.stringify(PGP_TEST_KEY)} })
const r = pgp.createPgpRecipient(${JSON.stringify(KEY1)}, { keyFiles: [${JSON.stringify(PGP_TEST_KEY)}], env: { PATH: '/nonexistent' } })
const beforeWrap = count()
await r.wrap(new Uint8Array(32))
console.log(JSON.stringify({ afterImport, ageOnly, beforeWrap, afterWrap: count(), ids: ids.length }))
`
  const cwd = new URL('../../', import.meta.url).pathname
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--import', register, '--input-type=module', '-e', script], { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } })
  assert.is(res.status, 0, res.stderr)
  const out = JSON.parse(res.stdout.trim().split('\n').pop()!)
  assert.equal(out, { afterImport: 0, ageOnly: 0, beforeWrap: 0, afterWrap: out.afterWrap, ids: 1 })
  assert.ok(out.afterWrap >= 1, 'wrap loaded openpgp')
  assert.ok(existsSync(log))
})

test.run()
