/**
 * Key groups with a Shamir threshold, end to end through the CLI: a 2-of-3 file with age and
 * PGP groups opens with any two groups' identities and fails (128) with one; and a file built
 * by hand the way sops lays it out (its own GF(2^8) split, shares wrapped by the real `age`
 * binary, values sealed with node:crypto) opens with sops-like.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isolatedEnv, runCli } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'

/** A PGP key made for the test (armored private key file) and its fingerprint. */
let PGP_KEY_FILE = ''
let PGP_FP = ''
const PLAIN = `db:\n    password: ${CANARY}\n    port: 5432\nname: app\n`
const t = tempDir('sops-like-groups-')
let a: TestKey, b: TestKey, c: TestKey

test.before(async () => {
  const openpgp = await import('openpgp')
  const { privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'groups' }], format: 'armored' })
  PGP_FP = (await openpgp.readPrivateKey({ armoredKey: privateKey })).getFingerprint().toUpperCase()
  PGP_KEY_FILE = join(t.dir, 'pgp.asc')
  writeFileSync(PGP_KEY_FILE, privateKey, { mode: 0o600 })
  ;[a, b, c] = [await makeAgeKey(t.dir, 'a'), await makeAgeKey(t.dir, 'b'), await makeAgeKey(t.dir, 'c')]
  writeFileSync(join(t.dir, '.sops-like.yaml'), `creation_rules:
  - path_regex: \\.yaml$
    shamir_threshold: 2
    pgp_keys: [${PGP_KEY_FILE}]
    key_groups:
      - age: [${a.recipient}]
      - pgp: [${PGP_FP}]
      - age: [${c.recipient}]
`)
  writeFileSync(join(t.dir, 'plain.yaml'), PLAIN)
  const r = await runCli(['encrypt', 'plain.yaml', '-o', 'groups.enc.yaml'], { cwd: t.dir, env: isolatedEnv({ PATH: '/nonexistent' }) })
  assert.is(r.code, 0, r.stderr)
})
test.after(() => t.cleanup())

/** Environment holding the identities of the named groups only (no gpg on PATH). */
const envWith = (groups: Array<'a' | 'pgp' | 'c' | 'b'>): NodeJS.ProcessEnv => {
  const age = groups.filter((g) => g !== 'pgp').map((g) => ({ a, b, c })[g as 'a' | 'b' | 'c'].identity)
  return isolatedEnv({
    PATH: '/nonexistent',
    ...(age.length ? { SOPS_AGE_KEY: age.join('\n') } : {}),
    ...(groups.includes('pgp') ? { SOPS_LIKE_PGP_KEY_FILE: PGP_KEY_FILE } : {}),
  })
}

test('encrypt writes key_groups (age + pgp) and shamir_threshold: 2, no flat key lists', () => {
  const enc = readFileSync(join(t.dir, 'groups.enc.yaml'), 'utf8')
  assert.match(enc, /\n    key_groups:\n        - age:\n/)
  assert.match(enc, /\n    shamir_threshold: 2\n/)
  assert.is(enc.match(/^ {14}recipient: age1/gm)?.length, 2)
  assert.match(enc, new RegExp(`fp: ${PGP_FP}`))
  assert.not.match(enc, /\n    age:\n/)
  assert.not.ok(enc.includes(CANARY))
})

for (const pair of [['a', 'pgp'], ['a', 'c'], ['pgp', 'c']] as const) {
  test(`2 of 3 groups (${pair.join(' + ')}) open the file, MAC checked`, async () => {
    const r = await runCli(['decrypt', 'groups.enc.yaml'], { cwd: t.dir, env: envWith([...pair]) })
    assert.is(r.code, 0, r.stderr)
    assert.is(r.stdout, PLAIN)
  })
}

for (const one of [['a'], ['pgp'], ['b']] as const) {
  test(`one group's identity (${one[0]}) is not enough: exit 128, one line, no value`, async () => {
    const before = readFileSync(join(t.dir, 'groups.enc.yaml'))
    const r = await runCli(['decrypt', 'groups.enc.yaml'], { cwd: t.dir, env: envWith([...one]) })
    assert.is(r.code, 128, r.stderr)
    assert.is(r.stdout, '')
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.not.ok(r.stderr.includes(CANARY))
    assert.ok(readFileSync(join(t.dir, 'groups.enc.yaml')).equals(before))
  })
}

test('a threshold larger than the number of groups is refused at encrypt time, nothing written', async () => {
  const dir = join(t.dir, 'bad')
  spawnSync('mkdir', ['-p', dir])
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - shamir_threshold: 3\n    key_groups:\n      - age: [${a.recipient}]\n      - age: [${c.recipient}]\n`)
  writeFileSync(join(dir, 'p.yaml'), PLAIN)
  const r = await runCli(['encrypt', '-i', 'p.yaml'], { cwd: dir, env: isolatedEnv() })
  assert.ok(r.code !== 0)
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.is(readFileSync(join(dir, 'p.yaml'), 'utf8'), PLAIN)
})

// ---------------------------------------------------------------------------------------------
// A file built by hand, independently of src/: Shamir over GF(2^8) (AES polynomial), shares
// `p(1..n)` + trailing x byte, wrapped by the real age binary; values and MAC sealed directly.

const gfMul = (x: number, y: number): number => {
  let r = 0
  for (let i = 0; i < 8; i++) {
    if (y & 1) r ^= x
    const hi = x & 0x80
    x = (x << 1) & 0xff
    if (hi) x ^= 0x1b
    y >>= 1
  }
  return r
}
function splitSecret(secret: Buffer, n: number, threshold: number): Buffer[] {
  const shares = Array.from({ length: n }, (_, i) => { const s = Buffer.alloc(secret.length + 1); s[secret.length] = i + 1; return s })
  for (let j = 0; j < secret.length; j++) {
    const coeffs = [secret[j]!, ...randomBytes(threshold - 1)]
    for (let i = 0; i < n; i++) {
      const x = i + 1
      let y = 0
      for (let k = coeffs.length - 1; k >= 0; k--) y = gfMul(y, x) ^ coeffs[k]! // Horner
      shares[i]![j] = y
    }
  }
  return shares
}
function seal(plain: string, key: Buffer, aad: string, type: string): string {
  const iv = randomBytes(32)
  const ci = createCipheriv('aes-256-gcm', key, iv)
  ci.setAAD(Buffer.from(aad))
  const data = Buffer.concat([ci.update(plain, 'utf8'), ci.final()])
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${ci.getAuthTag().toString('base64')},type:${type}]`
}
const hasAge = spawnSync('age', ['--version']).status === 0
const ageWrap = (share: Buffer, recipient: string): string => {
  const r = spawnSync('age', ['-a', '-r', recipient], { input: share })
  assert.is(r.status, 0, r.stderr?.toString())
  return r.stdout.toString('utf8')
}
const block = (armored: string, indent: string): string => armored.trimEnd().split('\n').map((l) => indent + l).join('\n')

;(hasAge ? test : test.skip)('a hand-built sops-layout 2-of-3 key-group file (shares wrapped by the real age) decrypts', async () => {
  const dataKey = randomBytes(32)
  const shares = splitSecret(dataKey, 3, 2)
  const lastmodified = '2026-01-02T03:04:05Z'
  const mac = createHash('sha512').update(CANARY).update('5432').update('app').digest('hex').toUpperCase()
  const group = (k: TestKey, share: Buffer): string => `        - age:
            - recipient: ${k.recipient}
              enc: |
${block(ageWrap(share, k.recipient), '                ')}
          hc_vault: []`
  const text = `db:
    password: ${seal(CANARY, dataKey, 'db:password:', 'str')}
    port: ${seal('5432', dataKey, 'db:port:', 'int')}
name: ${seal('app', dataKey, 'name:', 'str')}
sops:
    key_groups:
${group(a, shares[0]!)}
${group(b, shares[1]!)}
${group(c, shares[2]!)}
    lastmodified: "${lastmodified}"
    mac: ${seal(mac, dataKey, lastmodified, 'str')}
    shamir_threshold: 2
    unencrypted_suffix: _unencrypted
    version: 3.13.2
`
  writeFileSync(join(t.dir, 'hand.enc.yaml'), text)
  for (const pair of [['a', 'b'], ['b', 'c'], ['a', 'c']] as const) {
    const r = await runCli(['decrypt', 'hand.enc.yaml'], { cwd: t.dir, env: envWith([...pair]) })
    assert.is(r.code, 0, `${pair}: ${r.stderr}`)
    assert.is(r.stdout, PLAIN)
  }
  const one = await runCli(['decrypt', 'hand.enc.yaml'], { cwd: t.dir, env: envWith(['c']) })
  assert.is(one.code, 128, one.stderr)
})

test.run()
