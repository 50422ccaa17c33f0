/** `doctor` through the library: config search, rule, identities per source, whether a file opens, exit codes, no secrets in the report. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { doctor, type DoctorReport } from '../../../src/ops/doctor/index.js'
import { encryptBytes } from '../../../src/ops/crypt/encrypt.js'
import { createAgeRecipient } from '../../../src/keys/age.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { CANARY, PGP_TEST_KEY, fixturePath, needsFixtures } from '../../helpers/fixtures.js'
import { gpgOnPath, makeGnupgHome } from '../../keys/pgp-helpers.js'

const fixtureTest = needsFixtures(test, import.meta.url)

const KEY1 = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4'
const HAVE_KEYGEN = spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' }).error === undefined
const keygenTest = HAVE_KEYGEN ? fixtureTest : test.skip

let t: ReturnType<typeof tempDir>
let A: TestKey, B: TestKey, C: TestKey, D: TestKey
let repo: string
test.before(async () => {
  t = tempDir('sops-like-doctor-')
  A = await makeAgeKey(t.dir, 'a')
  B = await makeAgeKey(t.dir, 'b')
  C = await makeAgeKey(t.dir, 'c')
  D = await makeAgeKey(t.dir, 'd')
  repo = join(t.dir, 'repo')
  mkdirSync(join(repo, 'secrets', 'deep'), { recursive: true })
  writeFileSync(join(repo, '.sops-like.yaml'), `creation_rules:\n  - path_regex: \\.prod\\.json$\n    age: ${B.recipient}\n  - path_regex: secrets/.*\\.json$\n    age: ${A.recipient},${B.recipient}\n`)
  await write('secrets/deep/app.json', [[A]])
})
test.after(() => t.cleanup())

/** No key anywhere: HOME without keys, no gpg. */
const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '', HOME: join(t.dir, 'nohome'), XDG_CONFIG_HOME: join(t.dir, 'nohome', '.config'), SOPS_GPG_EXEC: join(t.dir, 'no-gpg'), ...extra,
})

async function write(rel: string, groups: TestKey[][], threshold?: number): Promise<string> {
  const p = join(repo, rel)
  const plain = `{"db": {"password": "${CANARY}"}, "port": 5432}\n`
  writeFileSync(p, await encryptBytes(Buffer.from(plain), { inputFormat: 'json', groups: groups.map((g) => g.map((k) => createAgeRecipient(k.recipient))), ...(threshold ? { threshold } : {}) }))
  return p
}

const secretOf = (k: TestKey): string => readFileSync(k.file, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!

/** The report, and as JSON, hold no secret: no identity, no value. */
function clean(r: DoctorReport, secrets: string[]): void {
  const json = JSON.stringify(r)
  for (const s of [CANARY, ...secrets]) assert.not.ok(json.includes(s), `secret in report: ${s.slice(0, 20)}…`)
  assert.not.ok(/AGE-SECRET-KEY-|PRIVATE KEY|dataKey":"[0-9a-f]{64}/.test(json), 'key material in report')
}

test('config: found upwards from the file, with the folders searched; rule index and path_regex', async () => {
  const r = await doctor('secrets/deep/app.json', { cwd: repo, env: env({ SOPS_AGE_KEY_FILE: A.file }) })
  assert.is(r.config.status, 'ok')
  assert.is(r.config.path, join(repo, '.sops-like.yaml'))
  assert.is(r.config.searchedFrom, join(repo, 'secrets', 'deep'))
  assert.equal(r.config.searched, [join(repo, 'secrets', 'deep'), join(repo, 'secrets'), repo])
  assert.is(r.config.ruleCount, 2)
  assert.is(r.rule?.status, 'ok')
  assert.is(r.rule?.index, 1)
  assert.is(r.rule?.pathRegex, 'secrets/.*\\.json$')
  assert.is(r.rule?.testedPath, 'secrets/deep/app.json')
  assert.equal(r.rule?.keyGroups?.[0]?.age, [A.recipient, B.recipient])
  assert.is(r.ok, true)
  assert.is(r.exitCode, 0)
})

test('config: none found is a warning; --config missing fails with 61, malformed with 5, and the rest is still reported', async () => {
  const lone = join(t.dir, 'lone')
  mkdirSync(lone, { recursive: true })
  const none = await doctor(undefined, { cwd: lone, env: env({ SOPS_AGE_KEY_FILE: A.file }) })
  assert.is(none.config.path, null)
  assert.is(none.config.status, 'warn')
  assert.ok(none.config.searched.includes(lone))
  assert.is(none.exitCode, 0)
  assert.is(none.rule, undefined)
  assert.is(none.file, undefined)

  const missing = await doctor(undefined, { cwd: lone, configPath: 'nope.yaml', env: env({ SOPS_AGE_KEY_FILE: A.file }) })
  assert.is(missing.exitCode, 61)
  assert.is(missing.config.explicitFrom, '--config')
  assert.is(missing.identities.found.length, 1)

  writeFileSync(join(lone, 'bad.yaml'), 'creation_rules:\n  - path_regex: x\n    colour: blue\n')
  const bad = await doctor(undefined, { cwd: lone, env: env({ SOPS_LIKE_CONFIG: join(lone, 'bad.yaml'), SOPS_AGE_KEY_FILE: A.file }) })
  assert.is(bad.exitCode, 5)
  assert.is(bad.config.explicitFrom, 'SOPS_LIKE_CONFIG')
  assert.match(bad.config.problem!.message, /creation_rules\[0\] has unknown field colour/)
  assert.is(bad.identities.found[0]?.recipient, A.recipient)
})

test('rule: a file no rule covers is a warning only (decrypt does not need a rule)', async () => {
  const p = join(repo, 'other.json')
  copyFileSync(join(repo, 'secrets', 'deep', 'app.json'), p)
  const r = await doctor(p, { env: env({ SOPS_AGE_KEY_FILE: A.file }) })
  assert.is(r.rule?.status, 'warn')
  assert.match(r.rule!.note!, /no creation rule .* matches other\.json/)
  assert.is(r.file?.mac, 'verified')
  assert.is(r.exitCode, 0)
})

keygenTest('identities: every source is listed by its public side only; the file is opened and by whom', async () => {
  const home = join(t.dir, 'home')
  mkdirSync(join(home, '.ssh'), { recursive: true })
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'doctor', '-f', join(home, '.ssh', 'id_ed25519')], { stdio: 'ignore' })
  chmodSync(join(home, '.ssh', 'id_ed25519'), 0o600)
  const sshPub = readFileSync(join(home, '.ssh', 'id_ed25519.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ')
  const sshPrivate = readFileSync(join(home, '.ssh', 'id_ed25519'), 'utf8')
  mkdirSync(join(home, '.config', 'sops', 'age'), { recursive: true })
  copyFileSync(D.file, join(home, '.config', 'sops', 'age', 'keys.txt'))
  const file = await write('secrets/all.json', [[A, B, C, D]])
  const e = env({
    HOME: home, XDG_CONFIG_HOME: join(home, '.config'),
    SOPS_AGE_KEY: secretOf(B), SOPS_AGE_KEY_FILE: A.file, SOPS_AGE_KEY_CMD: `cat ${C.file}`, SOPS_LIKE_PGP_KEY_FILE: PGP_TEST_KEY,
  })
  const r = await doctor(file, { env: e })
  const state = Object.fromEntries(r.identities.sources.map((s) => [s.name + (s.path ? ` ${s.path}` : ''), s.state]))
  assert.is(state.SOPS_AGE_KEY, 'found')
  assert.is(state[`SOPS_AGE_KEY_FILE ${A.file}`], 'found')
  assert.is(state.SOPS_AGE_KEY_CMD, 'found')
  assert.is(state[`keys.txt ${join(home, '.config', 'sops', 'age', 'keys.txt')}`], 'found')
  assert.is(state[`~/.ssh/id_ed25519 ${join(home, '.ssh', 'id_ed25519')}`], 'found')
  assert.is(state[`~/.ssh/id_rsa ${join(home, '.ssh', 'id_rsa')}`], 'absent')
  assert.is(state.SOPS_AGE_SSH_PRIVATE_KEY_FILE, 'not-set')
  assert.is(state[`SOPS_LIKE_PGP_KEY_FILE ${PGP_TEST_KEY}`], 'found')
  assert.is(state[`gpg ${join(t.dir, 'no-gpg')}`], 'absent')

  const by = (source: string) => r.identities.found.filter((f) => f.source === source || f.source.startsWith(`${source} (`))
  assert.is(by('SOPS_AGE_KEY')[0]?.recipient, B.recipient)
  assert.is(by('SOPS_AGE_KEY_FILE')[0]?.recipient, A.recipient)
  assert.is(by('SOPS_AGE_KEY_CMD')[0]?.recipient, C.recipient)
  assert.is(by('default keys.txt')[0]?.recipient, D.recipient)
  const ssh = by('~/.ssh/id_ed25519')
  assert.equal(ssh.map((s) => s.kind), ['ssh-ed25519', 'x25519-from-ssh'])
  assert.is(ssh[0]?.recipient, sshPub)
  assert.match(ssh[0]!.fingerprints![0]!, /^SHA256:/)
  assert.match(ssh[1]!.recipient!, /^age1/)
  const pgp = by('SOPS_LIKE_PGP_KEY_FILE')[0]!
  assert.is(pgp.kind, 'pgp-key-file')
  assert.ok(pgp.fingerprints!.includes(KEY1))

  // each age identity opens exactly its own entry; the SSH and PGP ones match nothing here
  for (const k of [A, B, C, D]) {
    const id = r.identities.found.find((f) => f.recipient === k.recipient)!
    assert.equal(id.matches, [{ group: 0, type: 'age', id: k.recipient, opened: true }])
    assert.equal(r.file!.recipients.find((x) => x.id === k.recipient)!.openedBy, [id.n])
  }
  assert.equal(ssh[0]!.matches, [])
  assert.equal(pgp.matches, [])
  assert.is(r.file?.dataKey, 'unwrapped')
  assert.is(r.file?.mac, 'verified')
  assert.is(r.exitCode, 0, JSON.stringify(r.problems))
  clean(r, [secretOf(A), secretOf(B), secretOf(C), secretOf(D), ...sshPrivate.split('\n').filter((l) => l.length > 40)])
})

fixtureTest('a PGP key file opens a PGP-encrypted sops fixture; its private key never shows', async () => {
  const r = await doctor(fixturePath('example.yaml'), { env: env({ SOPS_LIKE_PGP_KEY_FILE: PGP_TEST_KEY }) })
  assert.is(r.file?.format, 'yaml')
  assert.is(r.file?.mac, 'verified')
  assert.is(r.exitCode, 0)
  const pgp = r.identities.found[0]!
  assert.ok(pgp.matches!.some((m) => m.id === KEY1 && m.opened))
  const armor = readFileSync(PGP_TEST_KEY, 'utf8').split('\n').filter((l) => /^[A-Za-z0-9+/]{60,}$/.test(l))
  clean(r, armor.slice(0, 5))
})

const gpgTest = gpgOnPath() ? fixtureTest : test.skip

gpgTest('gpg on PATH: its secret keys are listed by fingerprint and it opens a PGP file', async () => {
  const g = makeGnupgHome()
  try {
    copyFileSync(fixturePath('example.yaml'), join(t.dir, 'example.yaml'))
    const r = await doctor(join(t.dir, 'example.yaml'), { env: env({ SOPS_GPG_EXEC: '', GNUPGHOME: g.home }) })
    const src = r.identities.sources.find((s) => s.name === 'gpg')!
    assert.is(src.state, 'found')
    assert.is(src.count, 2)
    const id = r.identities.found.find((f) => f.kind === 'gpg')!
    assert.ok(id.fingerprints!.includes(KEY1))
    assert.match(id.userIds![0]!, /SOPS Functional Tests Key 1/)
    assert.ok(id.matches!.some((m) => m.id === KEY1 && m.opened))
    assert.is(r.file?.mac, 'verified')
    assert.is(r.exitCode, 0, JSON.stringify(r.problems))
  } finally {
    g.cleanup()
  }
})

test('not openable: exit 128, the identities and the recipients are still reported', async () => {
  const file = join(repo, 'secrets', 'deep', 'app.json')
  const r = await doctor(file, { env: env({ SOPS_AGE_KEY_FILE: B.file }) })
  assert.is(r.ok, false)
  assert.is(r.exitCode, 128)
  assert.is(r.file?.dataKey, 'failed')
  assert.is(r.file?.mac, 'not-checked')
  assert.is(r.file?.problem?.code, 'NO_MATCHING_KEY')
  assert.equal(r.file?.recipients.map((x) => [x.id, x.openedBy]), [[A.recipient, []]])
  assert.equal(r.identities.found.map((f) => [f.recipient, f.matches]), [[B.recipient, []]])
  clean(r, [secretOf(B)])
})

test('shamir: one of two needed key groups is reported as not enough', async () => {
  const file = await write('secrets/shamir.json', [[A], [B]], 2)
  const one = await doctor(file, { env: env({ SOPS_AGE_KEY_FILE: A.file }) })
  assert.is(one.exitCode, 128)
  assert.match(one.file!.problem!.message, /1 of 2 groups opened, 2 needed/)
  const both = await doctor(file, { env: env({ SOPS_AGE_KEY_FILE: A.file, SOPS_AGE_KEY: secretOf(B) }) })
  assert.is(both.exitCode, 0, JSON.stringify(both.problems))
  assert.is(both.file?.shamirThreshold, 2)
  assert.equal(both.file?.recipients.map((x) => x.group), [0, 1])
})

fixtureTest('a MAC mismatch (51), a plaintext file (11) and a missing file (100) are failed file checks', async () => {
  // a copy: the fixture folder's own .sops.yaml is not ours to judge here
  copyFileSync(fixturePath('functional-tests/res/no_mac.yaml'), join(t.dir, 'no_mac.yaml'))
  const mac = await doctor(join(t.dir, 'no_mac.yaml'), { env: env({ SOPS_LIKE_PGP_KEY_FILE: PGP_TEST_KEY }) })
  assert.is(mac.file?.dataKey, 'unwrapped')
  assert.is(mac.file?.mac, 'failed')
  assert.is(mac.exitCode, 51)
  writeFileSync(join(repo, 'plain.json'), `{"a": "${CANARY}"}\n`)
  const plain = await doctor('plain.json', { cwd: repo, env: env({ SOPS_AGE_KEY_FILE: A.file }) })
  assert.is(plain.file?.encrypted, false)
  assert.is(plain.exitCode, 11)
  clean(plain, [])
  const gone = await doctor('nope.json', { cwd: repo, env: env({ SOPS_AGE_KEY_FILE: A.file }) })
  assert.is(gone.exitCode, 100)
})

test('identity sources: an unreadable SOPS_AGE_KEY_FILE fails (2) but the other sources are still searched', async () => {
  const r = await doctor(join(repo, 'secrets', 'deep', 'app.json'), { env: env({ SOPS_AGE_KEY_FILE: join(t.dir, 'missing.txt'), SOPS_AGE_KEY: secretOf(A) }) })
  const src = r.identities.sources.find((s) => s.name === 'SOPS_AGE_KEY_FILE')!
  assert.is(src.state, 'error')
  assert.is(r.identities.status, 'fail')
  assert.is(r.exitCode, 2)
  assert.is(r.file?.mac, 'verified')
  assert.is(r.identities.found[0]?.recipient, A.recipient)
  clean(r, [secretOf(A)])
})

test('without a file: no identity at all fails with 128; a malformed identity fails with 2', async () => {
  const none = await doctor(undefined, { cwd: repo, env: env() })
  assert.is(none.exitCode, 128)
  assert.equal(none.identities.found, [])
  assert.ok(none.identities.sources.every((s) => s.state === 'not-set' || s.state === 'absent'))
  const bad = await doctor(undefined, { cwd: repo, env: env({ SOPS_AGE_KEY: 'AGE-SECRET-KEY-1QQQQQQ' }) })
  assert.is(bad.exitCode, 2)
  clean(bad, ['AGE-SECRET-KEY-1QQQQQQ'])
})

fixtureTest('a passphrase-protected identity file is listed as locked, and unlocked only for a file with age recipients', async () => {
  const locked = fixturePath('age-test-encrypted-identity.age')
  const plain = await doctor(undefined, { cwd: repo, env: env({ SOPS_AGE_KEY_FILE: locked }) })
  const src = plain.identities.sources.find((s) => s.name === 'SOPS_AGE_KEY_FILE')!
  assert.is(src.state, 'locked')
  assert.is(plain.identities.found[0]?.kind, 'age-locked-file')
  assert.is(plain.exitCode, 0)
  const withFile = await doctor(join(repo, 'secrets', 'deep', 'app.json'), { env: env({ SOPS_AGE_KEY_FILE: locked, SOPS_LIKE_AGE_PASSPHRASE: 'passphrase' }) })
  const opened = withFile.identities.sources.find((s) => s.name === 'SOPS_AGE_KEY_FILE')!
  assert.is(opened.state, 'found')
  assert.match(opened.detail!, /unlocked/)
  assert.match(withFile.identities.found[0]!.recipient!, /^age1/)
  assert.is(withFile.exitCode, 128) // its key is not a recipient of the file
  const wrong = await doctor(join(repo, 'secrets', 'deep', 'app.json'), { env: env({ SOPS_AGE_KEY_FILE: locked, SOPS_LIKE_AGE_PASSPHRASE: 'wrong' }) })
  assert.is(wrong.exitCode, 2)
  assert.match(wrong.problems[0]!.message, /incorrect passphrase/)
  assert.not.ok(JSON.stringify(wrong).includes('wrong"'), 'passphrase in report')
})

test.run()
