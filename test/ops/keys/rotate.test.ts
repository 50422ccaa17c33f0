/** rotate / updatekeys / recipient diff / config edit / --all listing, through the library. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { encryptBytes } from '../../../src/ops/crypt/encrypt.js'
import { decryptBytes, openBytes, parseEncrypted } from '../../../src/ops/crypt/decrypt.js'
import { rotateFile, rotateFiles, keepCreatedAt } from '../../../src/ops/keys/rotate.js'
import { planUpdateKeys, updateKeys } from '../../../src/ops/keys/updatekeys.js'
import { diffRecipients, editGroups, parseRecipientArg, sameRecipient } from '../../../src/ops/keys/recipient-diff.js'
import { removeRecipientFromConfig } from '../../../src/ops/keys/config-edit.js'
import { listRepoFiles } from '../../../src/ops/keys/repo-files.js'
import { createAgeRecipient } from '../../../src/keys/age.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { CANARY, PGP_TEST_KEY, needsFixtures } from '../../helpers/fixtures.js'

const fixtureTest = needsFixtures(test, import.meta.url)

const FP = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4'
const PLAIN = `{\n\t"db": {"password": "${CANARY}", "port": 5432},\n\t"hosts": ["a", "b"],\n\t"on": true\n}\n`

let t: ReturnType<typeof tempDir>
let A: TestKey, B: TestKey, C: TestKey
test.before(async () => {
  t = tempDir()
  A = await makeAgeKey(t.dir, 'a')
  B = await makeAgeKey(t.dir, 'b')
  C = await makeAgeKey(t.dir, 'c')
})
test.after(() => t.cleanup())

const env = (k?: TestKey, extra: NodeJS.ProcessEnv = {}) => ({ HOME: '/nonexistent-home', PATH: process.env.PATH ?? '', ...(k ? { SOPS_AGE_KEY_FILE: k.file } : {}), ...extra })

async function write(name: string, recipients: TestKey[], plain = PLAIN): Promise<string> {
  const p = join(t.dir, name)
  writeFileSync(p, await encryptBytes(Buffer.from(plain), { inputFormat: 'json', groups: [recipients.map((k) => createAgeRecipient(k.recipient))] }))
  return p
}
const open = (p: string, k: TestKey) => openBytes(readFileSync(p), { inputFormat: 'json', env: env(k) })
const plainOf = async (p: string, k: TestKey) => JSON.stringify((await open(p, k)).tree)
const encValues = (s: string) => s.match(/ENC\[AES256_GCM,[^\]]+\]/g) ?? []

test('rotate: same values, new data key, every value and wrapped key changed', async () => {
  const p = await write('r1.json', [A, B])
  const before = readFileSync(p, 'utf8')
  const doc = await open(p, A)
  const r = await rotateFile(p, { env: env(A) })
  assert.is(r.outcome, 'rotated')
  const after = readFileSync(p, 'utf8')
  assert.not.ok(after.includes(CANARY))
  assert.is(await plainOf(p, B), JSON.stringify(doc.tree))
  const newDoc = await open(p, A)
  assert.not.equal(Buffer.from(newDoc.dataKey), Buffer.from(doc.dataKey))
  for (const v of encValues(before)) assert.not.ok(after.includes(v), 'an ENC value survived')
  const encsBefore = (await parseEncrypted(Buffer.from(before), 'json')).metadata.keyGroups.flat().map((e) => e.fields.enc)
  const encsAfter = (await parseEncrypted(Buffer.from(after), 'json')).metadata.keyGroups.flat().map((e) => e.fields.enc)
  for (const e of encsBefore) assert.not.ok(encsAfter.includes(e))
  try {
    await openBytes(Buffer.from(after), { inputFormat: 'json', dataKey: doc.dataKey })
    assert.unreachable('old data key opened the rotated file')
  } catch (e) {
    assert.ok((e as { exitCode?: number }).exitCode === 25 || (e as { exitCode?: number }).exitCode === 51)
  }
})

test('rotate: --add-age / --rm-age edit recipients in the same step', async () => {
  const p = await write('r2.json', [A, B])
  const r = await rotateFile(p, { env: env(A), addAge: [C.recipient], rmAge: [B.recipient] })
  assert.equal(r.diff?.groups[0]?.added.map((x) => x.id), [C.recipient])
  assert.equal(r.diff?.groups[0]?.removed.map((x) => x.id), [B.recipient])
  assert.ok((await plainOf(p, C)).includes(CANARY))
  try { await open(p, B); assert.unreachable() } catch (e) { assert.is((e as { exitCode?: number }).exitCode, 128) }
})

test('rotate: removing a recipient the file lacks warns and leaves it untouched; removing the last is refused', async () => {
  const p = await write('r3.json', [A])
  const before = readFileSync(p)
  const r = await rotateFile(p, { env: env(A), rmAge: [B.recipient] })
  assert.is(r.outcome, 'skipped')
  assert.is(r.warnings.length, 1)
  assert.ok(readFileSync(p).equals(before))
  try { await rotateFile(p, { env: env(A), rmAge: [A.recipient] }); assert.unreachable() } catch (e) { assert.is((e as { exitCode?: number }).exitCode, 111) }
  assert.ok(readFileSync(p).equals(before))
})

test('rotate: bad recipient strings and missing keys fail clearly, nothing written', async () => {
  const p = await write('r4.json', [A])
  const before = readFileSync(p)
  for (const bad of ['age1nope', 'AGE-SECRET-KEY-1QQQQ', 'hello']) {
    try { await rotateFile(p, { env: env(A), rmAge: [bad] }); assert.unreachable() } catch (e) {
      assert.is((e as { exitCode?: number }).exitCode, 30)
      assert.not.ok((e as Error).message.includes('SECRET-KEY'))
    }
  }
  const r = await rotateFiles([p], { env: env(B) })
  assert.is(r.exitCode, 128)
  assert.is(r.failures.length, 1)
  assert.not.ok(r.failures[0]!.message.includes(CANARY))
  assert.ok(readFileSync(p).equals(before))
})

test('rotate: dry run writes nothing', async () => {
  const p = await write('r5.json', [A])
  const before = readFileSync(p)
  const r = await rotateFile(p, { env: env(A), dryRun: true })
  assert.is(r.outcome, 'planned')
  assert.ok(readFileSync(p).equals(before))
})

fixtureTest('rotate: PGP entries keep created_at; a 16-hex key id removes by fingerprint', async () => {
  const p = join(t.dir, 'pgp.json')
  const { createPgpRecipient } = await import('../../../src/keys/pgp.js')
  const penv = env(A, { PATH: '/nonexistent', SOPS_LIKE_PGP_KEY_FILE: PGP_TEST_KEY })
  const groups = [[createAgeRecipient(A.recipient), createPgpRecipient(FP, { keyFiles: [PGP_TEST_KEY], env: penv })]]
  const enc = Buffer.from(await encryptBytes(Buffer.from(PLAIN), { inputFormat: 'json', groups })).toString().replace(/"created_at": "[^"]+"/, '"created_at": "2020-01-02T03:04:05Z"')
  writeFileSync(p, enc)
  await rotateFile(p, { env: penv, pgpKeyFiles: [PGP_TEST_KEY] })
  const md = (await parseEncrypted(readFileSync(p), 'json')).metadata
  const pgp = md.keyGroups[0]!.find((e) => e.type === 'pgp')!
  assert.is(pgp.fields.created_at, '2020-01-02T03:04:05Z')
  assert.not.ok(enc.includes(pgp.fields.enc!))
  await rotateFile(p, { env: penv, rmPgp: [FP.slice(-16)] })
  assert.equal((await parseEncrypted(readFileSync(p), 'json')).metadata.keyGroups[0]!.map((e) => e.type), ['age'])
})

const SAMPLES: Array<[string, string]> = [
  ['json', `{"a": {"b": "${CANARY}"}, "n": 1}\n`],
  ['dotenv', `# c\nA=${CANARY}\nB=2\n`],
  ['ini', `[sec]\nkey = ${CANARY}\n`],
  ['toml', `a = "${CANARY}"\n[t]\nb = 2\n`],
  ['binary', `raw ${CANARY} bytes\n`],
  ['yaml', `a:\n    b: ${CANARY}\n# c\nn: 1\n`],
]

test('rotate and updatekeys (add) work in every format', async () => {
  const { existsSync } = await import('node:fs')
  for (const [fmt, text] of SAMPLES) {
    if (fmt === 'yaml' && !existsSync(new URL('../../../src/formats/yaml/index.ts', import.meta.url))) continue
    const p = join(t.dir, `every.${fmt === 'dotenv' ? 'env' : fmt === 'binary' ? 'bin' : fmt}`)
    writeFileSync(p, await encryptBytes(Buffer.from(text), { inputFormat: fmt as 'json', groups: [[createAgeRecipient(A.recipient)]] }))
    const inputFormat = fmt as 'json'
    const plainNow = async (file: string, k: TestKey) => Buffer.from(await decryptBytes(readFileSync(file), { inputFormat, env: env(k) })).toString()
    const want = await plainNow(p, A)
    assert.ok(want.includes(CANARY), fmt)
    await rotateFile(p, { env: env(A), addAge: [B.recipient] })
    assert.is(await plainNow(p, B), want, fmt)
    const keyB = (await openBytes(readFileSync(p), { inputFormat, env: env(B) })).dataKey
    const d = join(t.dir, `every-${fmt}`)
    mkdirSync(d)
    config(d, [A, B, C])
    const q = join(d, 'f.' + p.split('.').pop())
    writeFileSync(q, readFileSync(p))
    writeFileSync(join(d, '.sops-like.yaml'), readFileSync(join(d, '.sops-like.yaml'), 'utf8').replace('\\.json$', '.*'))
    const r = await updateKeys([q], { env: env(A) })
    assert.is(r.exitCode, 0, `${fmt}: ${JSON.stringify(r.failures)}`)
    assert.is(r.reports[0]!.outcome, 'updated', fmt)
    assert.equal(Buffer.from((await openBytes(readFileSync(q), { inputFormat, env: env(C) })).dataKey), Buffer.from(keyB), fmt)
    assert.is(await plainNow(q, C), want, fmt)
  }
})

function config(dir: string, recipients: TestKey[]): void {
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: \\.json$\n    age: ${recipients.map((k) => k.recipient).join(',')}\n`)
}

test('updatekeys: adding C keeps the data key, the values and lastmodified/mac', async () => {
  const d = join(t.dir, 'uk1')
  mkdirSync(d)
  config(d, [A, B, C])
  const tmp = t.dir
  t.dir = d
  const p = await write('x.json', [A, B])
  t.dir = tmp
  const before = readFileSync(p, 'utf8')
  const doc = await open(p, A)
  const plan = await planUpdateKeys(p, { env: env() })
  assert.is(plan.action, 'add')
  const r = await updateKeys([p], { env: env(A) })
  assert.is(r.exitCode, 0, JSON.stringify(r.failures))
  assert.is(r.reports[0]!.outcome, 'updated')
  const after = readFileSync(p, 'utf8')
  assert.equal(encValues(after), encValues(before))
  const mdB = (await parseEncrypted(Buffer.from(before), 'json')).metadata
  const mdA = (await parseEncrypted(Buffer.from(after), 'json')).metadata
  assert.is(mdA.lastmodified, mdB.lastmodified)
  assert.is(mdA.mac, mdB.mac)
  assert.equal(mdA.keyGroups[0]!.slice(0, 2), mdB.keyGroups[0]) // A's and B's enc untouched
  const viaC = await open(p, C)
  assert.equal(Buffer.from(viaC.dataKey), Buffer.from(doc.dataKey))
  assert.is(JSON.stringify(viaC.tree), JSON.stringify(doc.tree))
  assert.is((await planUpdateKeys(p, { env: env() })).action, 'up-to-date')
})

test('updatekeys: removing B rotates the data key (unlike sops)', async () => {
  const d = join(t.dir, 'uk2')
  mkdirSync(d)
  config(d, [A])
  const p = join(d, 'y.json')
  writeFileSync(p, readFileSync(await write('y-src.json', [A, B])))
  const doc = await open(p, A)
  assert.is((await planUpdateKeys(p, { env: env() })).action, 'rotate')
  const r = await updateKeys([p], { env: env(A) })
  assert.is(r.reports[0]!.outcome, 'rotated')
  const after = await open(p, A)
  assert.not.equal(Buffer.from(after.dataKey), Buffer.from(doc.dataKey))
  assert.is(JSON.stringify(after.tree), JSON.stringify(doc.tree))
  try { await open(p, B); assert.unreachable() } catch (e) { assert.is((e as { exitCode?: number }).exitCode, 128) }
})

test('updatekeys with key groups: reshaping rotates, adding re-splits the same key', async () => {
  const d = join(t.dir, 'groups')
  mkdirSync(d)
  const rule = (g0: TestKey[]) => `creation_rules:\n  - path_regex: \\.json$\n    shamir_threshold: 2\n    key_groups:\n      - age:\n${g0.map((k) => `          - ${k.recipient}\n`).join('')}      - age:\n          - ${B.recipient}\n`
  writeFileSync(join(d, '.sops-like.yaml'), rule([A]))
  const p = join(d, 'g.json')
  writeFileSync(p, readFileSync(await write('g-src.json', [A, B])))
  const both = (x: TestKey, y: TestKey) => env(undefined, { SOPS_AGE_KEY: [x, y].map((k) => readFileSync(k.file, 'utf8')).join('\n') })
  const want = await plainOf(p, A)
  let r = await updateKeys([p], { env: both(A, B) })
  assert.is(r.reports[0]?.outcome, 'rotated', JSON.stringify(r.failures))
  const k1 = (await openBytes(readFileSync(p), { inputFormat: 'json', env: both(A, B) })).dataKey
  try { await open(p, A); assert.unreachable('one group opened a 2-of-2 file') } catch (e) { assert.is((e as { exitCode?: number }).exitCode, 128) }
  writeFileSync(join(d, '.sops-like.yaml'), rule([A, C]))
  r = await updateKeys([p], { env: both(A, B) })
  assert.is(r.reports[0]?.outcome, 'updated', JSON.stringify(r.failures))
  const viaCB = await openBytes(readFileSync(p), { inputFormat: 'json', env: both(C, B) })
  assert.equal(Buffer.from(viaCB.dataKey), Buffer.from(k1))
  assert.is(JSON.stringify(viaCB.tree), want)
})

test('updatekeys: no config is a clear error', async () => {
  const p = await write('noconf.json', [A])
  const r = await updateKeys([p], { env: env(A), cwd: '/' })
  // t.dir has no config above it (a temp dir)
  assert.is(r.failures.length, 1)
  assert.match(r.failures[0]!.message, /config/)
})

test('recipient diff: only-added vs removal, thresholds, pgp key ids, Azure key URLs with and without a version', async () => {
  const a = { type: 'age', id: 'A' }, b = { type: 'age', id: 'B' }, c = { type: 'age', id: 'C' }
  assert.ok(diffRecipients([[a, b]], [[a, b, c]]).onlyAdded)
  assert.not.ok(diffRecipients([[a, b]], [[a, c]]).onlyAdded)
  assert.not.ok(diffRecipients([[a], [b]], [[a], [b]], 1, 2).onlyAdded)
  assert.not.ok(diffRecipients([[a], [b]], [[a, b]]).onlyAdded)
  assert.not.ok(diffRecipients([[a, b]], [[b, a]]).changed)
  assert.ok(sameRecipient({ type: 'pgp', id: FP.toLowerCase() }, { type: 'pgp', id: FP.slice(-16) }))
  assert.not.ok(sameRecipient({ type: 'pgp', id: FP }, { type: 'age', id: FP }))
  // an Azure key URL without a version (a rule's, or --rm-azure-kv's) is the key at any version
  const az = (id: string) => ({ type: 'azure_kv', id })
  assert.ok(sameRecipient(az('https://v.vault.azure.net/keys/k/'), az('https://v.vault.azure.net/keys/k/0123')))
  assert.ok(sameRecipient(az('https://v.vault.azure.net/keys/k/0123'), az('https://v.vault.azure.net/keys/k/')))
  assert.not.ok(sameRecipient(az('https://v.vault.azure.net/keys/k/0123'), az('https://v.vault.azure.net/keys/k/4567')))
  assert.not.ok(sameRecipient(az('https://v.vault.azure.net/keys/k/'), az('https://v.vault.azure.net/keys/kk/0123')))
  assert.equal(await parseRecipientArg('https://v.vault.azure.net/keys/k'), az('https://v.vault.azure.net/keys/k/'))
  assert.equal(await parseRecipientArg('projects/p/locations/l/keyRings/r/cryptoKeys/k'), { type: 'gcp_kms', id: 'projects/p/locations/l/keyRings/r/cryptoKeys/k' })
  assert.is((await parseRecipientArg('https://vault:8200/v1/transit/keys/k')).type, 'hc_vault')
  const e = editGroups([[a, b], [c]], { add: [c], remove: [b, { type: 'age', id: 'Z' }] })
  assert.equal(e.groups, [[a, c], [c]])
  assert.equal(e.missing, [{ type: 'age', id: 'Z' }])
  assert.equal((await parseRecipientArg(` ${FP.slice(0, 20)} ${FP.slice(20)} `)).id, FP)
  assert.is((await parseRecipientArg(A.recipient)).type, 'age')
})

test('keepCreatedAt keeps the date of the same recipient only', () => {
  const old = [[{ type: 'pgp', fields: { created_at: 'OLD', enc: 'x', fp: FP } }]]
  const fresh = [[{ type: 'pgp', fields: { created_at: 'NEW', enc: 'y', fp: FP } }, { type: 'pgp', fields: { created_at: 'NEW', enc: 'z', fp: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' } }]]
  assert.equal(keepCreatedAt(fresh, old)[0]!.map((e) => e.fields.created_at), ['OLD', 'NEW'])
})

test('config edit: every layout, comments kept, verified', () => {
  const X = 'age1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'
  const who = { type: 'age', id: X }
  const cases: Array<[string, string]> = [
    [`creation_rules:\n  - age: age1a,${X}  # team\n`, `creation_rules:\n  - age: age1a  # team\n`],
    [`creation_rules:\n  - age: ${X}, age1a\n`, `creation_rules:\n  - age: age1a\n`],
    [`creation_rules:\n  - age: "age1a,${X},age1b"\n`, `creation_rules:\n  - age: "age1a,age1b"\n`],
    [`creation_rules:\n  - age: >-\n      age1a,\n      ${X}\n    path_regex: x\n`, `creation_rules:\n  - age: >-\n      age1a\n    path_regex: x\n`],
    [`# top\ncreation_rules:\n  - path_regex: x\n    age:\n      - age1a  # alice\n      - ${X}  # bob\n    pgp: ${FP}\n`, `# top\ncreation_rules:\n  - path_regex: x\n    age:\n      - age1a  # alice\n    pgp: ${FP}\n`],
    [`creation_rules:\n  - age: [age1a, ${X}]\n`, `creation_rules:\n  - age: [age1a]\n`],
    [`creation_rules:\n  - age: ${X}\n    pgp: ${FP}\n`, `creation_rules:\n  - pgp: ${FP}\n`],
    [`creation_rules:\n  - key_groups:\n      - age:\n          - ${X}\n        pgp:\n          - ${FP}\n      - age:\n          - age1a\n`, `creation_rules:\n  - key_groups:\n      - pgp:\n          - ${FP}\n      - age:\n          - age1a\n`],
  ]
  for (const [input, want] of cases) {
    const r = removeRecipientFromConfig(input, who, 'cfg')
    assert.is(r.refused, undefined, input)
    assert.is(r.text, want, input)
  }
  const only = removeRecipientFromConfig(`creation_rules:\n  - age: ${X}\n`, who, 'cfg')
  assert.ok(only.refused)
  assert.is(only.removed, 0)
  assert.is(removeRecipientFromConfig(`creation_rules:\n  - age: age1a\n`, who, 'cfg').removed, 0)
  const pgp = removeRecipientFromConfig(`creation_rules:\n  - pgp: "${FP.toLowerCase()}"\n    age: age1a\n`, { type: 'pgp', id: FP }, 'cfg')
  assert.is(pgp.text, `creation_rules:\n  - age: age1a\n`)
})

test('--all listing: rule-covered encrypted files only, node_modules and temp files skipped', async () => {
  const d = join(t.dir, 'repo')
  mkdirSync(join(d, 'node_modules', 'x'), { recursive: true })
  mkdirSync(join(d, 'sub'))
  config(d, [A])
  const enc = readFileSync(await write('l.json', [A]))
  writeFileSync(join(d, 'sub', 'a.json'), enc)
  writeFileSync(join(d, 'node_modules', 'x', 'b.json'), enc)
  writeFileSync(join(d, '.a.json.0123456789ab.tmp'), enc)
  writeFileSync(join(d, 'plain.json'), '{"sops_like": 1}\n')
  writeFileSync(join(d, 'c.env'), 'sops_x=1\n')
  const found = await listRepoFiles(d, { env: env() })
  assert.equal(found.map((f) => f.path), ['sub/a.json'])
})

test.run()
