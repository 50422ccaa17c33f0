/**
 * Post-quantum hybrid age keys (ML-KEM-768 + X25519: recipient `age1pq1…`, identity
 * `AGE-SECRET-KEY-PQ-1…`, supported by age-encryption ≥ 0.3): `keygen --pq` makes one, and it
 * works through encrypt, decrypt, run, rotate, updatekeys and offboard. The Debian `age` binary
 * here (1.1.x) predates post-quantum keys, so the interoperability peer is the age-encryption
 * package used on its own: it opens the `enc` blob sops-like wrote, and sops-like opens an entry
 * it wrote by hand — checked through the sops layout, not through our own reader only.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Decrypter, Encrypter, armor } from 'age-encryption'
import { isolatedEnv, runCli } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'
import { createAgeIdentity, createAgeRecipient } from '../../src/keys/age.js'

const PLAIN = `API_KEY=${CANARY}\nMODE=prod\n`
const t = tempDir('sops-like-age-pq-')
let pq: { identity: string; recipient: string; file: string }
let classic: TestKey

const env = (...ids: string[]): NodeJS.ProcessEnv => isolatedEnv(ids.length ? { SOPS_AGE_KEY: ids.join('\n') } : {})
const cli = (args: string[], ...ids: string[]) => runCli(args, { cwd: t.dir, env: env(...ids) })
/** The armored age blob of the entry for `recipient` in a sops YAML/dotenv file's metadata. */
function entryBlob(text: string, recipient: string): string {
  const dotenv = new RegExp(`sops_age__list_(\\d+)__map_recipient=${recipient}`).exec(text)
  if (dotenv) return new RegExp(`sops_age__list_${dotenv[1]}__map_enc=(.+)`).exec(text)![1]!.replace(/\\n/g, '\n')
  throw new Error('no entry')
}

test.before(async () => {
  const file = join(t.dir, 'pq-keys.txt')
  const k = await runCli(['keygen', '--pq', '-o', file], { cwd: t.dir, env: env() })
  assert.is(k.code, 0, k.stderr)
  const identity = /^AGE-SECRET-KEY-PQ-1\S+$/m.exec(readFileSync(file, 'utf8'))![0]
  pq = { identity, recipient: k.stdout.trim(), file }
  classic = await makeAgeKey(t.dir, 'classic')
  writeFileSync(join(t.dir, 'plain.env'), PLAIN)
})
test.after(() => t.cleanup())

test('keygen --pq writes an AGE-SECRET-KEY-PQ-1 identity (mode 0600, with its public key comment) and prints its age1pq1 recipient', async () => {
  assert.match(pq.recipient, /^age1pq1[02-9ac-hj-np-z]{1900,}$/)
  const text = readFileSync(pq.file, 'utf8')
  assert.match(text, /^# created: .+\n# public key: age1pq1/)
  const printed = await runCli(['keygen', '--pq', '-o', '-'], { cwd: t.dir, env: env() })
  assert.match(printed.stdout, /\nAGE-SECRET-KEY-PQ-1[0-9A-Z]+\n$/)
  const plain = await runCli(['keygen', '-o', '-'], { cwd: t.dir, env: env() })
  assert.match(plain.stdout, /\nAGE-SECRET-KEY-1[0-9A-Z]+\n$/, 'without --pq: X25519 as before')
})

test('encrypt to age1pq1 + a classic recipient; each identity alone decrypts; SOPS_AGE_KEY_FILE with the PQ key file works', async () => {
  const e = await cli(['encrypt', '--age', `${pq.recipient},${classic.recipient}`, 'plain.env', '-o', 'pq.enc.env'])
  assert.is(e.code, 0, e.stderr)
  for (const id of [pq.identity, classic.identity]) {
    const d = await cli(['decrypt', 'pq.enc.env'], id)
    assert.is(d.code, 0, d.stderr)
    assert.is(d.stdout, PLAIN)
  }
  const byFile = await runCli(['decrypt', 'pq.enc.env'], { cwd: t.dir, env: isolatedEnv({ SOPS_AGE_KEY_FILE: pq.file }) })
  assert.is(byFile.stdout, PLAIN, byFile.stderr)
})

test('peer: age-encryption alone opens the PQ entry sops-like wrote (an mlkem768x25519 stanza), and sops-like opens one age-encryption wrote', async () => {
  const text = readFileSync(join(t.dir, 'pq.enc.env'), 'utf8')
  const blob = entryBlob(text, pq.recipient)
  assert.match(blob, /^-----BEGIN AGE ENCRYPTED FILE-----/)
  const binary = armor.decode(blob)
  assert.match(Buffer.from(binary.subarray(0, 200)).toString('latin1'), /\n-> mlkem768x25519 /)
  const dec = new Decrypter()
  dec.addIdentity(pq.identity)
  const dataKey = await dec.decrypt(binary)
  assert.is(dataKey.length, 32)
  // the other way: the same data key wrapped by age-encryption for the PQ recipient, put in the file's entry
  const enc = new Encrypter()
  enc.addRecipient(pq.recipient)
  const theirs = armor.encode(await enc.encrypt(dataKey)).replace(/\n/g, '\\n')
  const swapped = text.replace(blob.replace(/\n/g, '\\n'), theirs)
  assert.is.not(swapped, text)
  writeFileSync(join(t.dir, 'peer.enc.env'), swapped)
  const d = await cli(['decrypt', 'peer.enc.env'], pq.identity)
  assert.is(d.code, 0, d.stderr)
  assert.is(d.stdout, PLAIN)
})

test('a PQ entry is opened with age-encryption\'s ML-KEM stanza identity and our own age reader, not its decrypt() (which would start Node\'s fetch stack)', async () => {
  const entry = await createAgeRecipient(pq.recipient).wrap(new Uint8Array(32).fill(7))
  const saved = globalThis.Response
  // age-encryption's decrypt() of bytes goes through `new Response(stream)`: without it, only our reader can succeed
  ;(globalThis as { Response?: unknown }).Response = undefined
  try {
    const got = await createAgeIdentity([pq.identity], 'test').unwrap(entry)
    assert.ok(got && Buffer.from(got).equals(Buffer.alloc(32, 7)))
  } finally {
    globalThis.Response = saved
  }
})

test('run with a PQ identity puts the values in the environment', async () => {
  const r = await cli(['run', '-f', 'pq.enc.env', '--', 'sh', '-c', 'test "$API_KEY" = "$0"', CANARY], pq.identity)
  assert.is(r.code, 0, r.stderr)
})

test('rotate, updatekeys and offboard with age1pq1 recipients in the creation rule', async () => {
  const dir = join(t.dir, 'repo')
  mkdirSync(dir)
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: \\.env$\n    age: ${pq.recipient},${classic.recipient}\n`)
  writeFileSync(join(dir, 's.env'), PLAIN)
  const run = (args: string[], ...ids: string[]) => runCli(args, { cwd: dir, env: env(...ids) })
  assert.is((await run(['encrypt', '-i', 's.env'])).code, 0)
  const before = readFileSync(join(dir, 's.env'), 'utf8')
  const rot = await run(['rotate', 's.env'], pq.identity)
  assert.is(rot.code, 0, rot.stderr)
  assert.is.not(readFileSync(join(dir, 's.env'), 'utf8'), before)
  assert.is((await run(['decrypt', 's.env'], pq.identity)).stdout, PLAIN)
  // updatekeys: a second PQ recipient added by the rule
  const pq2 = (await runCli(['keygen', '--pq', '-o', '-'], { cwd: dir, env: env() })).stdout
  const pq2id = /^AGE-SECRET-KEY-PQ-1\S+$/m.exec(pq2)![0]
  const pq2rec = /^# public key: (age1pq1\S+)$/m.exec(pq2)![1]!
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: \\.env$\n    age: ${pq.recipient},${classic.recipient},${pq2rec}\n`)
  const up = await run(['updatekeys', '-y', 's.env'], classic.identity)
  assert.is(up.code, 0, up.stderr)
  assert.is((await run(['decrypt', 's.env'], pq2id)).stdout, PLAIN)
  // offboard the first PQ recipient: gone from the file and the rule, its key no longer opens it
  const off = await run(['offboard', pq.recipient], classic.identity)
  assert.is(off.code, 0, off.stdout + off.stderr)
  assert.not.ok(readFileSync(join(dir, 's.env'), 'utf8').includes(pq.recipient))
  assert.not.ok(readFileSync(join(dir, '.sops-like.yaml'), 'utf8').includes(pq.recipient))
  assert.is((await run(['decrypt', 's.env'], pq.identity)).code, 128)
  assert.is((await run(['decrypt', 's.env'], pq2id)).stdout, PLAIN)
})

test('doctor shows a PQ identity by its public side only and says it opens the entry', async () => {
  const r = await cli(['doctor', 'pq.enc.env'], pq.identity)
  assert.is(r.code, 0, r.stdout)
  assert.match(r.stdout, /age post-quantum age1pq1/)
  assert.match(r.stdout, /opens age age1pq1/)
  assert.not.ok(r.stdout.includes('AGE-SECRET-KEY-PQ'))
})

test.run()
