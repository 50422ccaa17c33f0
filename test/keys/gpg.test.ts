/**
 * PGP through the real gpg binary, in a throwaway GNUPGHOME holding the sops test
 * keys: fixture entries decrypt like they do with OpenPGP.js, and both directions
 * interoperate (what we write gpg reads, what gpg writes we read). Skipped with a
 * note when gpg is not installed.
 */
import { test as suite } from 'uvu'
import * as assert from 'uvu/assert'
import { HAVE_FIXTURES, needsFixtures, sayFixturesSkipped } from '../helpers/fixtures.js'
import { spawnSync } from 'node:child_process'
import { accessSync, constants, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import * as openpgp from 'openpgp'
import { createGpgIdentity, gpgAvailable, gpgDecrypt, gpgEncrypt, gpgExport, gpgProgram } from '../../src/keys/gpg.js'
import { createPgpIdentities, createPgpRecipient } from '../../src/keys/pgp.js'
import type { Identity, KeyEntry } from '../../src/keys/key-source.js'
import { NoIdentityError, RecipientError } from '../../src/errors.js'
import { tempDir } from '../helpers/keys.js'
import { gpgOnPath, hex, KEY1, KEY2, makeGnupgHome, PGP_FIXTURES, PGP_TEST_KEY, pgpMessages } from './pgp-helpers.js'

const test = needsFixtures(suite, import.meta.url)

const entry = (enc: string, fp = KEY1): KeyEntry => ({ type: 'pgp', fields: { created_at: '2026-01-01T00:00:00Z', enc, fp } })
const NO_GPG: NodeJS.ProcessEnv = { PATH: '/nonexistent', HOME: '/nonexistent-home' }
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

suite('gpgAvailable follows env PATH and SOPS_GPG_EXEC', () => {
  assert.is(gpgProgram({}), 'gpg')
  assert.is(gpgProgram({ SOPS_GPG_EXEC: '/opt/gpg2' }), '/opt/gpg2')
  assert.is(gpgAvailable(NO_GPG), false)
  assert.is(gpgAvailable({ ...process.env, SOPS_GPG_EXEC: '/nonexistent/gpg' }), false)
  assert.equal(createPgpIdentities(NO_GPG), [])
})

if (!gpgOnPath() || !HAVE_FIXTURES) {
  if (!gpgOnPath()) console.log('note: gpg is not installed; the gpg interop tests are skipped')
  else sayFixturesSkipped(import.meta.url)
  suite.run()
} else {
  const g = makeGnupgHome()
  const tmp = tempDir('sops-like-gpg-')
  const openpgpIdentity = createPgpIdentities(NO_GPG, { keyFile: PGP_TEST_KEY })[0]!
  let gpgIdentity: Identity

  test.after(() => {
    g.cleanup()
    tmp.cleanup()
  })

  test('gpg identity: found on PATH, honours GNUPGHOME, label names the keyring', () => {
    assert.ok(gpgAvailable(g.env))
    const gpgPath = (process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'gpg')).find((p) => {
      try { accessSync(p, constants.X_OK); return true } catch { return false }
    })!
    assert.ok(gpgAvailable({ ...g.env, SOPS_GPG_EXEC: gpgPath, PATH: '/nonexistent' }), 'absolute SOPS_GPG_EXEC')
    const ids = createPgpIdentities(g.env)
    assert.is(ids.length, 1)
    gpgIdentity = ids[0]!
    assert.match(gpgIdentity.label, g.home)
    const both = createPgpIdentities(g.env, { keyFile: PGP_TEST_KEY })
    assert.is(both.length, 2)
    assert.match(both[0]!.label, 'key file')
  })

  for (const rel of PGP_FIXTURES) {
    test(`fixture ${rel}: gpg -d gives the same data key as OpenPGP.js`, async () => {
      for (const m of pgpMessages(rel)) {
        const viaGpg = await gpgIdentity.unwrap(entry(m))
        assert.is(viaGpg?.length, 32)
        assert.is(hex(viaGpg), hex(await openpgpIdentity.unwrap(entry(m))))
      }
    })
  }

  test('format.enc.yaml through gpg: af5e68dd…f4e4', async () => {
    assert.is(hex(await gpgIdentity.unwrap(entry(pgpMessages('functional-tests/res/format.enc.yaml')[0]!))), 'af5e68dd342b72c6a0475f81a50da4fde898f4b7742c92cbcf1668211411f4e4')
  })

  test('gpg: a message for a key the keyring lacks, or no OpenPGP data, is null', async () => {
    assert.is(await gpgIdentity.unwrap(entry(pgpMessages('config/test_resources/example.yaml')[0]!)), null)
    assert.is(await gpgIdentity.unwrap(entry('')), null)
    assert.is(await gpgDecrypt('-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----\n', g.env), null)
  })

  test('interop: an enc we wrote is decrypted by real gpg -d', async () => {
    const dataKey = new Uint8Array(32).map((_, i) => 255 - i)
    for (const fp of [KEY1, KEY2]) {
      const e = await createPgpRecipient(fp, { keyFiles: [PGP_TEST_KEY], env: NO_GPG }).wrap(dataKey)
      const r = g.gpg(['--batch', '--no-tty', '-d'], e.fields.enc! + '\n')
      assert.is(r.status, 0, r.stderr)
      assert.equal([...r.stdout], [...dataKey], fp)
    }
  })

  test('interop: what gpg --encrypt wrote unwraps with OpenPGP.js', async () => {
    const dataKey = new Uint8Array(32).fill(0x42)
    const r = g.gpg(['--batch', '--trust-model', 'always', '--encrypt', '-a', '-r', KEY1], dataKey)
    assert.is(r.status, 0, r.stderr)
    assert.equal([...(await openpgpIdentity.unwrap(entry(r.stdout.toString('utf8').trim())))!], [...dataKey])
    // and through our sops-style gpgEncrypt
    const enc = await gpgEncrypt(KEY1, dataKey, g.env)
    assert.ok(enc.startsWith('-----BEGIN PGP MESSAGE-----') && enc.endsWith('-----END PGP MESSAGE-----'))
    assert.equal([...(await openpgpIdentity.unwrap(entry(enc)))!], [...dataKey])
  })

  test('recipient from the gpg keyring (no key file): exported key, OpenPGP.js encrypts', async () => {
    assert.match((await gpgExport(KEY1, g.env))!, /^-----BEGIN PGP PUBLIC KEY BLOCK-----/)
    assert.is(await gpgExport('AAAABBBBCCCCDDDDEEEEFFFF0000111122223333', g.env), null)
    const e = await createPgpRecipient(KEY2, { env: g.env }).wrap(new Uint8Array(32).fill(7))
    assert.is(e.fields.fp, KEY2)
    assert.equal([...(await openpgpIdentity.unwrap(e))!], [...new Uint8Array(32).fill(7)])
    assert.equal([...(await gpgIdentity.unwrap(e))!], [...new Uint8Array(32).fill(7)])
  })

  test('recipient: unknown fingerprint, not in the keyring → RecipientError naming it', async () => {
    const fp = 'AAAABBBBCCCCDDDDEEEEFFFF0000111122223333'
    await rejects(createPgpRecipient(fp, { env: g.env }).wrap(new Uint8Array(32)), isA(RecipientError, new RegExp(`${fp}.*not in the gpg keyring`)), 'unknown fp')
  })

  test('a key advertising AEAD still gets packets gpg 2.2 reads', async () => {
    const { privateKey } = await openpgp.generateKey({ type: 'rsa', rsaBits: 2048, userIDs: [{ name: 'modern' }], format: 'armored', config: { aeadProtect: true } })
    const file = join(tmp.dir, 'modern.asc')
    writeFileSync(file, privateKey)
    assert.is(g.gpg(['--batch', '--import', file]).status, 0)
    const fp = (await openpgp.readKey({ armoredKey: privateKey })).getFingerprint().toUpperCase()
    const e = await createPgpRecipient(fp, { keyFiles: [file], env: NO_GPG }).wrap(new Uint8Array(32).fill(1))
    assert.equal([...(await gpgDecrypt(e.fields.enc!, g.env))!], [...new Uint8Array(32).fill(1)])
  })

  test('gpg holds the key but cannot unlock it (no pinentry): an error, not null', async () => {
    const { privateKey } = await openpgp.generateKey({ type: 'rsa', rsaBits: 2048, userIDs: [{ name: 'locked' }], format: 'armored', passphrase: 'pw' })
    const file = join(tmp.dir, 'locked.asc')
    writeFileSync(file, privateKey)
    const imp = g.gpg(['--batch', '--pinentry-mode', 'loopback', '--passphrase', 'pw', '--import', file])
    assert.is(imp.status, 0, imp.stderr)
    spawnSync('gpgconf', ['--homedir', g.home, '--kill', 'gpg-agent']) // forget cached passphrases
    const fp = (await openpgp.readKey({ armoredKey: privateKey })).getFingerprint().toUpperCase()
    const e = await createPgpRecipient(fp, { keyFiles: [file], env: NO_GPG }).wrap(new Uint8Array(32))
    await rejects(gpgIdentity.unwrap(e), isA(NoIdentityError, /gpg could not decrypt the PGP data key \(exit 2: .+\)/), 'locked key')
  })

  test('SOPS_GPG_EXEC that does not exist: gpgDecrypt/gpgEncrypt fail with one-line typed errors', async () => {
    const env = { ...g.env, SOPS_GPG_EXEC: '/nonexistent/gpg' }
    const m = pgpMessages('example.yaml')[0]!
    await rejects(gpgDecrypt(m, env), isA(NoIdentityError, /\/nonexistent\/gpg was not found/), 'decrypt')
    await rejects(gpgEncrypt(KEY1, new Uint8Array(32), env), isA(RecipientError, /not found/), 'encrypt')
    await rejects(createGpgIdentity(env).unwrap(entry(m)), isA(NoIdentityError), 'identity')
  })

  test.run()
}
