import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { needsFixtures } from '../helpers/fixtures.js'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Decrypter, Encrypter, Stanza, armor } from 'age-encryption'
import { LimitExceededError, ReadError, RecipientError } from '../../src/errors.js'
import {
  SshEd25519Identity, SshEd25519Recipient, SshEd25519X25519Identity, SshRsaRecipient,
  parseSshIdentity, parseSshRecipient, sshFingerprint,
} from '../../src/keys/age-ssh.js'
import { findSshIdentities, loadSshIdentityFile } from '../../src/keys/ssh-find.js'
import { Blowfish, bcryptPbkdf } from '../../src/keys/ssh-bcrypt-pbkdf.js'
import { blowfishInitialState } from '../../src/keys/blowfish-tables.js'
import fc from 'fast-check'
import { createRequire } from 'node:module'
import { MAX_BCRYPT_ROUNDS, parseSshPrivateKeyFile } from '../../src/keys/ssh-key-parse.js'

const fixtureTest = needsFixtures(test, import.meta.url)

const fixtures = new URL('../../../shared/fixtures/sops/', import.meta.url)
const fixture = (name: string) => readFileSync(new URL(name, fixtures), 'utf8')
const FIXTURE_RECIPIENT = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID+Wi8WZw2bXfBpcs/WECttCzP39OkenS6pHWHWGFJvN Test'

/** Whether `cmd` can be started at all (its exit status does not matter). */
function has(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).error === undefined
}
const HAVE_AGE = has('age')
const HAVE_KEYGEN = has('ssh-keygen')
if (!HAVE_AGE) console.log('note: `age` is not on PATH; interop tests with the real age binary are skipped')
if (!HAVE_KEYGEN) console.log('note: `ssh-keygen` is not on PATH; tests that generate keys are skipped')

const PASSPHRASE = 'correct horse battery'
const dir = mkdtempSync(join(tmpdir(), 'age-ssh-test-'))
const key = (name: string) => join(dir, name)
if (HAVE_KEYGEN) {
  const gen = (name: string, ...args: string[]) =>
    execFileSync('ssh-keygen', ['-q', '-C', 'test', '-f', key(name), ...args], { stdio: 'ignore' })
  gen('ed', '-t', 'ed25519', '-N', '')
  gen('rsa', '-t', 'rsa', '-b', '3072', '-N', '')
  gen('edpw', '-t', 'ed25519', '-N', PASSPHRASE)
  gen('ecdsa', '-t', 'ecdsa', '-N', '')
}
const text = (name: string) => readFileSync(key(name), 'utf8')
const keygenTest = HAVE_KEYGEN ? test : test.skip
const ageTest = HAVE_AGE && HAVE_KEYGEN ? test : test.skip

async function encryptTo(r: Parameters<Encrypter['addRecipient']>[0], data: Uint8Array | string): Promise<Uint8Array> {
  const e = new Encrypter()
  e.addRecipient(r)
  return e.encrypt(data)
}
async function decryptWith(id: Parameters<Decrypter['addIdentity']>[0], file: Uint8Array): Promise<Uint8Array> {
  const d = new Decrypter()
  d.addIdentity(id)
  return d.decrypt(file)
}
/** A sops data key (the payload of the age file). */
const fileKey = () => new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff)
/** An age file key (what wrapFileKey/unwrapFileKey carry: 16 bytes). */
const ageFileKey = () => new Uint8Array(16).map((_, i) => (i * 53 + 7) & 0xff)

/** Every 16-character run of a key file's base64 body: none may appear in an error message. */
function secretChunks(keyText: string): string[] {
  const body = keyText.split('\n').filter((l) => l && !l.startsWith('-----')).join('')
  const out: string[] = []
  for (let i = 0; i + 16 <= body.length; i += 8) out.push(body.slice(i, i + 16))
  return out
}
function assertOneLineClean(err: unknown, secrets: string[]): void {
  const msg = (err as Error).message
  assert.not.match(msg, /[\r\n]/)
  for (const s of secrets) assert.not.ok(msg.includes(s), 'error message leaks key material')
}

test('the embedded Blowfish table is the digits of π (the generator, which computes them, finds it unchanged)', () => {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('../../scripts/gen-blowfish-tables.mjs', import.meta.url)), '--check'], { encoding: 'utf8' })
  assert.is(r.status, 0, r.stderr)
})

test('Blowfish constants match the published vectors', () => {
  const w = blowfishInitialState()
  assert.is(w.length, 1042)
  assert.is(w[0], 0x243f6a88)
  assert.is(w[17], 0x8979fb1b)
  assert.is(w[18], 0xd1310ba6)
  assert.is(w[1041], 0x3ac372e6)
  const zero = new Blowfish()
  zero.expand(new Uint8Array(8))
  const lr = new Uint32Array([0, 0])
  zero.encryptBlock(lr)
  assert.equal([lr[0], lr[1]], [0x4ef99745, 0x6198dd78])
  const ones = new Blowfish()
  ones.expand(new Uint8Array(8).fill(0xff))
  const lr2 = new Uint32Array([0xffffffff, 0xffffffff])
  ones.encryptBlock(lr2)
  assert.equal([lr2[0], lr2[1]], [0x51866fd5, 0xb85ecb8a])
})

// `bcrypt-pbkdf` (joyent's 2018 port) is in node_modules only as a dependency of other packages
const otherBcryptPbkdf = ((): { pbkdf: (p: Uint8Array, pl: number, s: Uint8Array, sl: number, k: Uint8Array, kl: number, r: number) => number } | null => {
  try {
    return createRequire(import.meta.url)('bcrypt-pbkdf')
  } catch {
    console.log('skipping the bcrypt-pbkdf differential test: the bcrypt-pbkdf package is not installed')
    return null
  }
})()
;(otherBcryptPbkdf ? test : test.skip)('differential: bcrypt_pbkdf agrees with the bcrypt-pbkdf package on random passphrases, salts, rounds and lengths', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.uint8Array({ minLength: 1, maxLength: 32 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 80 }),
      (pass, salt, rounds, len) => {
        const theirs = new Uint8Array(len)
        assert.is(otherBcryptPbkdf!.pbkdf(pass, pass.length, salt, salt.length, theirs, len, rounds), 0)
        assert.equal([...bcryptPbkdf(pass, salt, rounds, len)], [...theirs])
      },
    ),
    { numRuns: 40 },
  )
})

test('bcrypt_pbkdf matches the known vector', () => {
  const enc = (s: string) => new TextEncoder().encode(s)
  const out = bcryptPbkdf(enc('password'), enc('salt'), 4, 32)
  assert.is(Buffer.from(out).toString('hex'), '5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9')
})

fixtureTest('the sops fixture opens with the test ssh-ed25519 identity', async () => {
  const id = parseSshIdentity(fixture('age-test-ssh-ed25519'))
  const data = await decryptWith(id, armor.decode(fixture('age-test-encrypted-data-ssh.age')))
  assert.is(new TextDecoder().decode(data), 'data')
})

fixtureTest('the fixture recipient round-trips through our recipient and identity', async () => {
  const r = parseSshRecipient(FIXTURE_RECIPIENT)
  assert.instance(r, SshEd25519Recipient)
  const out = await decryptWith(parseSshIdentity(fixture('age-test-ssh-ed25519')), await encryptTo(r, fileKey()))
  assert.equal(out, fileKey())
})

for (const kind of ['ed', 'rsa'] as const) {
  ageTest(`${kind}: our armored output decrypts with the real age binary`, async () => {
    const r = parseSshRecipient(text(`${kind}.pub`))
    assert.instance(r, kind === 'ed' ? SshEd25519Recipient : SshRsaRecipient)
    const armored = armor.encode(await encryptTo(r, fileKey()))
    writeFileSync(key(`${kind}.age`), armored)
    const out = execFileSync('age', ['-d', '-i', key(kind), key(`${kind}.age`)])
    assert.equal(new Uint8Array(out), fileKey())
  })

  ageTest(`${kind}: real age -R output decrypts with our identity`, async () => {
    const enc = execFileSync('age', ['-R', key(`${kind}.pub`), '-a'], { input: Buffer.from(fileKey()) }).toString()
    const out = await decryptWith(parseSshIdentity(text(kind)), armor.decode(enc))
    assert.equal(out, fileKey())
  })
}

ageTest('the X25519 identity derived from an ed25519 key opens files age encrypts to its age1 recipient', async () => {
  const found = await findSshIdentities({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: key('ed') }, { homedir: join(dir, 'nohome') })
  const derived = found.find((f) => f.details.stanza === 'X25519')!
  assert.ok(derived.identity instanceof SshEd25519X25519Identity)
  assert.match(derived.details.ageRecipient!, /^age1[02-9ac-hj-np-z]{58}$/)
  const enc = execFileSync('age', ['-r', derived.details.ageRecipient!], { input: Buffer.from(fileKey()) })
  assert.equal(await decryptWith(derived.identity, new Uint8Array(enc)), fileKey())
})

keygenTest('sshFingerprint matches ssh-keygen -l', () => {
  for (const k of ['ed', 'rsa', 'ecdsa']) {
    const line = execFileSync('ssh-keygen', ['-l', '-f', key(`${k}.pub`)]).toString()
    assert.is(sshFingerprint(text(`${k}.pub`)), line.split(' ')[1])
  }
})

;(HAVE_KEYGEN ? fixtureTest : test.skip)('identities ignore stanzas of other keys and reject malformed ones', async () => {
  const ours = parseSshIdentity(text('ed'))
  const other = await new SshEd25519Recipient(FIXTURE_RECIPIENT).wrapFileKey(ageFileKey())
  assert.is(await ours.unwrapFileKey(other), null)
  assert.is(await parseSshIdentity(text('rsa')).unwrapFileKey(other), null)
  const rsaStanzas = await parseSshRecipient(text('rsa.pub')).wrapFileKey(ageFileKey())
  assert.is(await ours.unwrapFileKey(rsaStanzas), null)
  assert.is(await parseSshIdentity(fixture('age-test-ssh-ed25519')).unwrapFileKey(await parseSshRecipient(text('rsa.pub')).wrapFileKey(ageFileKey())), null)
  const good = (await parseSshRecipient(text('ed.pub')).wrapFileKey(ageFileKey()))[0]!
  try {
    await ours.unwrapFileKey([new Stanza(['ssh-ed25519', good.args[1]!], good.body)])
    assert.unreachable('should throw')
  } catch (e) {
    assert.match((e as Error).message, /invalid ssh-ed25519 stanza/)
  }
  const tampered = Uint8Array.from(good.body)
  tampered[0]! ^= 1
  assert.is(await ours.unwrapFileKey([new Stanza(good.args, tampered)]), null)
  assert.equal(await ours.unwrapFileKey([good]), ageFileKey())
})

keygenTest('passphrase key: SOPS_LIKE_SSH_PASSPHRASE works, a wrong one fails with one line', async () => {
  const env = { SOPS_AGE_SSH_PRIVATE_KEY_FILE: key('edpw'), SOPS_LIKE_SSH_PASSPHRASE: PASSPHRASE }
  const file = await encryptTo(parseSshRecipient(text('edpw.pub')), fileKey())
  const found = await findSshIdentities(env, { homedir: join(dir, 'nohome') })
  assert.is(found.length, 2)
  assert.ok(found[0]!.details.encrypted)
  assert.match(found[0]!.description, /^ssh-ed25519 SHA256:\S+ \(.*edpw\)$/)
  assert.equal(await decryptWith(found[0]!.identity, file), fileKey())

  const wrong = await findSshIdentities({ ...env, SOPS_LIKE_SSH_PASSPHRASE: 'nope' }, { homedir: join(dir, 'nohome') })
  try {
    await wrong[0]!.identity.unwrapFileKey((await parseSshRecipient(text('edpw.pub')).wrapFileKey(ageFileKey())))
    assert.unreachable('should throw')
  } catch (e) {
    assert.instance(e, ReadError)
    assert.match((e as Error).message, /incorrect passphrase/)
    assertOneLineClean(e, [...secretChunks(text('edpw')), PASSPHRASE, 'nope'])
  }
})

keygenTest('passphrase key without a passphrase source: no prompt for other files, note and skip otherwise', async () => {
  const notes: string[] = []
  let prompts = 0
  const found = await findSshIdentities({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: key('edpw') }, {
    homedir: join(dir, 'nohome'),
    onNote: (l) => notes.push(l),
    prompt: async () => { prompts++; return undefined },
  })
  const id = found[0]!.identity
  assert.is(await id.unwrapFileKey(await parseSshRecipient(text('ed.pub')).wrapFileKey(ageFileKey())), null)
  assert.is(prompts, 0)
  assert.is(await id.unwrapFileKey(await parseSshRecipient(text('edpw.pub')).wrapFileKey(ageFileKey())), null)
  assert.is(prompts, 1)
  assert.ok(notes.some((n) => /skipping passphrase-protected SSH key/.test(n) && !/\n/.test(n)))
})

keygenTest('a prompted passphrase is asked once and unlocks both identities', async () => {
  let prompts = 0
  const found = await findSshIdentities({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: key('edpw') }, {
    homedir: join(dir, 'nohome'),
    prompt: async () => (prompts++ === 0 ? 'typo' : PASSPHRASE),
  })
  const file = await encryptTo(parseSshRecipient(text('edpw.pub')), fileKey())
  assert.equal(await decryptWith(found[0]!.identity, file), fileKey())
  const derived = found[1]!.identity as SshEd25519X25519Identity
  const x = await encryptTo(derived.recipient, fileKey())
  assert.equal(await decryptWith(derived, x), fileKey())
  assert.is(prompts, 2)
})

keygenTest('findSshIdentities gathers ~/.ssh/id_ed25519 and id_rsa and warns about open permissions', async () => {
  const home = join(dir, 'home')
  mkdirSync(join(home, '.ssh'), { recursive: true })
  writeFileSync(join(home, '.ssh', 'id_ed25519'), text('ed'), { mode: 0o600 })
  writeFileSync(join(home, '.ssh', 'id_rsa'), text('rsa'), { mode: 0o644 })
  chmodSync(join(home, '.ssh', 'id_rsa'), 0o644)
  const notes: string[] = []
  const found = await findSshIdentities({ HOME: '/nonexistent' }, { homedir: home, onNote: (l) => notes.push(l) })
  assert.equal(found.map((f) => f.details.stanza), ['ssh-ed25519', 'X25519', 'ssh-rsa'])
  assert.is(notes.length, 1)
  assert.match(notes[0]!, /UNPROTECTED PRIVATE KEY FILE.*0644.*id_rsa/)
  const file = await encryptTo(parseSshRecipient(text('rsa.pub')), fileKey())
  const d = new Decrypter()
  for (const f of found) d.addIdentity(f.identity)
  assert.equal(await d.decrypt(file), fileKey())
})

keygenTest('findSshIdentities notes a missing or malformed SOPS_AGE_SSH_PRIVATE_KEY_FILE and goes on', async () => {
  writeFileSync(key('garbage'), '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n', { mode: 0o600 })
  for (const p of [key('missing'), key('garbage'), key('ecdsa')]) {
    const notes: string[] = []
    const found = await findSshIdentities({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: p }, { homedir: join(dir, 'nohome'), onNote: (l) => notes.push(l) })
    assert.is(found.length, 0)
    assert.is(notes.length, 1)
    assertOneLineClean({ message: notes[0] }, secretChunks(text('ecdsa')))
  }
})

function expectRecipientError(line: string, pattern: RegExp, secrets: string[] = []): void {
  try {
    parseSshRecipient(line)
    assert.unreachable('should throw')
  } catch (e) {
    assert.instance(e, RecipientError)
    assert.match((e as Error).message, pattern)
    assertOneLineClean(e, secrets)
  }
}

function blobLine(type: string, ...fields: Uint8Array[]): string {
  const str = (b: Uint8Array) => Buffer.concat([Buffer.from([0, 0, 0, 0].map((_, i) => (b.length >>> (24 - 8 * i)) & 0xff)), b])
  const blob = Buffer.concat([str(Buffer.from(type)), ...fields.map(str)])
  return `${type} ${blob.toString('base64')} comment`
}

keygenTest('bad recipients are rejected with a one-line message naming the type', () => {
  const ecdsa = text('ecdsa.pub')
  expectRecipientError(ecdsa, /unsupported SSH recipient type ecdsa-sha2-nistp256/, [ecdsa.split(' ')[1]!.slice(20, 40)])
  expectRecipientError(blobLine('sk-ssh-ed25519@openssh.com', new Uint8Array(32), Buffer.from('ssh:')), /sk-ssh-ed25519@openssh\.com/)
  expectRecipientError(blobLine('ssh-dss', new Uint8Array([1]), new Uint8Array([1]), new Uint8Array([1]), new Uint8Array([1])), /ssh-dss/)
  const ed = text('ed.pub').split(' ')
  expectRecipientError(`ssh-ed25519 ${ed[1]!.slice(0, 40)}`, /malformed ssh-ed25519 recipient/)
  expectRecipientError(`ssh-ed25519 ${ed[1]!.slice(0, 41)}`, /malformed ssh-ed25519 recipient: invalid base64/)
  expectRecipientError(`ssh-rsa ${ed[1]}`, /malformed ssh-rsa recipient/)
  expectRecipientError(`ssh-ed25519 !!!!`, /invalid base64/)
  expectRecipientError('ssh-ed25519', /malformed SSH recipient/)
  expectRecipientError(blobLine('ssh-ed25519', new Uint8Array(31)), /malformed ssh-ed25519 recipient/)
  const smallRsa = blobLine('ssh-rsa', new Uint8Array([1, 0, 1]), new Uint8Array(129).fill(0xc3, 1))
  expectRecipientError(smallRsa, /too small \(1024 bits/)
})

keygenTest('errors about private key files never contain key material', () => {
  const t = text('edpw')
  const lines = t.split('\n')
  const broken = [lines[0], ...lines.slice(1, -3).map((l) => l.replace(/^./, '*')), ...lines.slice(-3)].join('\n')
  for (const input of [broken, t.replace('OPENSSH PRIVATE KEY-----\n', 'OPENSSH PRIVATE KEY-----\nAAAA')]) {
    try {
      parseSshIdentity(input, 'whatever')
      assert.unreachable('should throw')
    } catch (e) {
      assertOneLineClean(e, secretChunks(t))
    }
  }
  try {
    parseSshIdentity(t)
    assert.unreachable('should throw')
  } catch (e) {
    assert.instance(e, ReadError)
    assertOneLineClean(e, secretChunks(t))
  }
})

keygenTest('identity constructors agree with the key file', () => {
  const id = parseSshIdentity(text('ed'))
  assert.instance(id, SshEd25519Identity)
})

/** A passphrase-protected openssh-key-v1 file with its bcrypt rounds field set to `rounds`. */
function withRounds(keyText: string, rounds: number): string {
  const lines = keyText.trim().split('\n')
  const raw = Buffer.from(lines.slice(1, -1).join(''), 'base64')
  let off = 'openssh-key-v1\0'.length
  const skipString = () => { off += 4 + raw.readUInt32BE(off) }
  skipString() // cipher
  skipString() // kdf name
  off += 4 // kdf options length
  skipString() // salt
  raw.writeUInt32BE(rounds, off)
  return [lines[0], ...raw.toString('base64').match(/.{1,70}/g)!, lines[lines.length - 1]].join('\n') + '\n'
}

keygenTest('an OpenSSH key with 4 billion bcrypt rounds (it would never finish) is a LimitExceededError before any passphrase prompt', async () => {
  for (const rounds of [0xffffffff, MAX_BCRYPT_ROUNDS + 1]) {
    const hostile = withRounds(text('edpw'), rounds)
    assert.throws(() => parseSshPrivateKeyFile(hostile), (e: unknown) => e instanceof LimitExceededError && /bcrypt rounds, more than 10000/.test((e as Error).message))
    writeFileSync(key('hostile'), hostile, { mode: 0o600 })
    writeFileSync(key('hostile.pub'), readFileSync(key('edpw.pub')))
    let prompted = false
    const prompt = async () => { prompted = true; return PASSPHRASE }
    try {
      await loadSshIdentityFile(key('hostile'), {}, { prompt })
      assert.unreachable('the key was accepted')
    } catch (e) {
      assert.instance(e, LimitExceededError)
      assert.is((e as LimitExceededError).exitCode, 15)
      assert.match((e as Error).message, /^SSH key .*hostile: the key's passphrase protection uses \d+ bcrypt rounds/)
    }
    // among the keys found, it is skipped with a note (as any unusable key file is)
    const notes: string[] = []
    const found = await findSshIdentities({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: key('hostile') }, { homedir: join(dir, 'nohome'), prompt, onNote: (l) => notes.push(l) })
    assert.is(found.length, 0)
    assert.match(notes.join('\n'), /^SSH key .*hostile: the key's passphrase protection uses/)
    assert.not.ok(prompted)
  }
  // ssh-keygen's default (16 rounds) is read as before
  assert.ok(parseSshPrivateKeyFile(withRounds(text('edpw'), 16)).encrypted)
})

test.after(() => rmSync(dir, { recursive: true, force: true }))

test('an ssh-ed25519 key that is no curve point is converted only when used, and then opens nothing (no prompt, no throw)', async () => {
  const { ed25519PublicToX25519 } = await import('../../src/keys/ed25519-x25519.js')
  const { sshAgeTag, base64NoPad } = await import('../../src/keys/ssh-wire.js')
  let y = 2
  while (ed25519PublicToX25519(Uint8Array.of(y, ...new Uint8Array(31)))) y++
  const pk = { type: 'ssh-ed25519' as const, key: Uint8Array.of(y, ...new Uint8Array(31)) }
  let asked = 0
  const loader = async () => { asked++; return null }
  const id = new SshEd25519Identity(pk, loader)
  const derived = new SshEd25519X25519Identity(pk, loader)
  const stanza = { args: ['ssh-ed25519', sshAgeTag(pk), base64NoPad(new Uint8Array(32).fill(9))], body: new Uint8Array(32) }
  assert.is(await id.unwrapFileKey([stanza]), null)
  assert.is(await derived.unwrapFileKey([{ args: ['X25519', base64NoPad(new Uint8Array(32).fill(9))], body: new Uint8Array(32) }]), null)
  assert.is(derived.recipient, '')
  assert.not.ok(derived.matchesRecipient(''))
  assert.is(asked, 0, 'the passphrase was asked for a key that cannot open anything')
})

test.run()
