/**
 * offboard NAME --history with dates: a scripted history (bob removed from one file by a
 * rotation, one file deleted, one still encrypted to him, values changed before and after his
 * access ended) — the access row, the dates and "read by them" must match the truth, key-less
 * (no identity present) for the dates; then the whole offboarding through the CLI.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { encryptBytes } from '../../../src/ops/crypt/encrypt.js'
import { parseSetValue, resealBytes, setValue } from '../../../src/ops/edit/set.js'
import { openBytes } from '../../../src/ops/crypt/decrypt.js'
import { loadFormat } from '../../../src/formats/index.js'
import { rotateFiles } from '../../../src/ops/keys/rotate.js'
import { createAgeRecipient } from '../../../src/keys/age.js'
import { offboardDates, offboardWithHistory } from '../../../src/ops/report/history-offboard.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { runCli } from '../../helpers/cli.js'
import { datedGit, iso, NOKEY, withKey } from './dated-git.js'

const now = Date.now()

let t: ReturnType<typeof tempDir>
let A: TestKey, B: TestKey
let dir: string
const { commits, ago, git, commit } = datedGit(() => dir, now)

const set = async (file: string, key: string, value: string, days: number) =>
  setValue(join(dir, file), `["${key}"]`, await parseSetValue(JSON.stringify(value)), { env: withKey(A), now: new Date(ago(days)) })

test.before(async () => {
  t = tempDir('sops-like-history-offboard-')
  A = await makeAgeKey(t.dir, 'a')
  B = await makeAgeKey(t.dir, 'b')
  dir = join(t.dir, 'repo')
  mkdirSync(dir)
  git(['init', '-q', '-b', 'main'])
  const enc = (plain: string) => encryptBytes(Buffer.from(plain), { inputFormat: 'json', groups: [[createAgeRecipient(A.recipient), createAgeRecipient(B.recipient)]], now: new Date(ago(300)) })
  writeFileSync(join(dir, '.sops-like.yaml'), `recipients:\n  alice: ${A.recipient}\n  bob: ${B.recipient}\ncreation_rules:\n  - path_regex: \\.json$\n    age: alice, bob\n`)
  writeFileSync(join(dir, 's.json'), await enc('{"old": "o1", "keep": "k1", "changed": "c1"}'))
  writeFileSync(join(dir, 'cur.json'), await enc('{"api": "a1", "user": "u1"}'))
  writeFileSync(join(dir, 'gone.json'), await enc('{"legacy": "l1"}'))
  commit('create', 300)
  await rotateFiles([join(dir, 's.json')], { rmAge: [B.recipient], env: withKey(A), keepUnlisted: true, now: new Date(ago(150)) })
  commit('bob-off-s', 150)
  await set('s.json', 'changed', 'c2', 100)
  commit('changed-after', 100)
  git(['rm', '-q', 'gone.json'])
  commit('delete-gone', 80)
  await set('cur.json', 'api', 'a2', 50)
  commit('api', 50)
})
test.after(() => t?.cleanup())

const bob = () => [{ type: 'age', id: B.recipient }]

test('offboardDates with no identity: access row (ended by a rotation, by a deletion, still listed) and value dates match the truth', async () => {
  const d = await offboardDates(dir, bob(), ['s.json', 'cur.json', 'gone.json'], { env: NOKEY, now: new Date(now) })
  assert.ok(d)
  assert.equal(d!.access, [
    { path: 'cur.json', groups: [0], alone: true, listedNow: true, dataKeyKnown: true, accessEnded: null, accessEndedCommit: null },
    { path: 'gone.json', groups: [0], alone: true, listedNow: false, dataKeyKnown: false, accessEnded: iso(ago(80)), accessEndedCommit: commits['delete-gone']! },
    { path: 's.json', groups: [0], alone: true, listedNow: false, dataKeyKnown: false, accessEnded: iso(ago(150)), accessEndedCommit: commits['bob-off-s']! },
  ])
  const v = Object.fromEntries(d!.values.map((x) => [`${x.path} ${x.key}`, [x.changed, x.commit, x.readByThem]]))
  assert.equal(v, {
    'cur.json api': [iso(ago(50)), commits.api, true],
    'cur.json user': [iso(ago(300)), commits.create, true],
    's.json old': [iso(ago(300)), commits.create, true],
    's.json keep': [iso(ago(300)), commits.create, true],
    's.json changed': [iso(ago(100)), commits['changed-after'], false],
  })
  assert.is(await offboardDates(t.dir, bob(), ['x.json'], { env: NOKEY }), null, 'outside git: null')
})

test('offboardDates: a member of one key group of a 2-of-2 Shamir file cannot read it alone; a recipient never listed has no row', async () => {
  const base = dir
  dir = join(t.dir, 'groups')
  mkdirSync(dir)
  try {
    git(['init', '-q', '-b', 'main'])
    const a = createAgeRecipient(A.recipient)
    const b = createAgeRecipient(B.recipient)
    writeFileSync(join(dir, 'team.json'), await encryptBytes(Buffer.from('{"k": "v"}'), { inputFormat: 'json', groups: [[a], [b]], threshold: 2 }))
    writeFileSync(join(dir, 'solo.json'), await encryptBytes(Buffer.from('{"k": "v"}'), { inputFormat: 'json', groups: [[a, b]] }))
    writeFileSync(join(dir, 'alice.json'), await encryptBytes(Buffer.from('{"k": "v"}'), { inputFormat: 'json', groups: [[a]] }))
    commit('groups', 10)
    const d = await offboardDates(dir, bob(), ['team.json', 'solo.json', 'alice.json'], { env: NOKEY, now: new Date(now) })
    assert.equal(d!.access.map((x) => [x.path, x.groups, x.threshold, x.alone, x.listedNow]), [['solo.json', [0], undefined, true, true], ['team.json', [1], 2, false, true]])
    assert.equal(d!.values.map((x) => `${x.path} ${x.key} ${x.readByThem}`), ['solo.json k true', 'team.json k true'])
  } finally {
    dir = base
  }
})

test('offboardWithHistory: the exact verdicts keep their order and get dates; this offboarding ends the access it removes', async () => {
  const r = await offboardWithHistory('bob', { cwd: dir, env: withKey(A), dryRun: true, now: new Date(now) })
  assert.is(r.exitCode, 0, JSON.stringify(r.failures))
  assert.equal(r.values!.changedSince, [{ path: 's.json', key: 'changed' }])
  assert.equal(r.values!.mustRotate.map((x) => `${x.path} ${x.key} ${x.why}`), ['cur.json api unchanged', 'cur.json user unchanged', 'gone.json legacy removed', 's.json old unchanged', 's.json keep unchanged'])
  assert.equal(r.dates!.access.map((a) => [a.path, a.listedNow, a.accessEnded]), [['cur.json', true, null], ['gone.json', false, iso(ago(80))], ['s.json', false, iso(ago(150))]])
})

test('removed without a rotation (sops updatekeys style): the leaver still holds the data key, so values changed since must be rotated too', async () => {
  const base = dir
  dir = join(t.dir, 'kept-key')
  mkdirSync(dir)
  try {
    git(['init', '-q', '-b', 'main'])
    writeFileSync(join(dir, '.sops-like.yaml'), `recipients:\n  alice: ${A.recipient}\n  bob: ${B.recipient}\ncreation_rules:\n  - path_regex: \\.json$\n    age: alice\n`)
    const groups = [[createAgeRecipient(A.recipient), createAgeRecipient(B.recipient)]]
    writeFileSync(join(dir, 'k.json'), await encryptBytes(Buffer.from('{"token": "t1", "other": "o1"}'), { inputFormat: 'json', groups, now: new Date(ago(300)) }))
    commit('k-create', 300)
    // bob's wrapped key dropped, data key and ciphertexts kept (what sops updatekeys does)
    const doc = await openBytes(readFileSync(join(dir, 'k.json')), { inputFormat: 'json', env: withKey(A) })
    const keyGroups = [doc.metadata.keyGroups[0]!.filter((e) => e.fields.recipient !== B.recipient)]
    writeFileSync(join(dir, 'k.json'), await resealBytes(doc.tree, await loadFormat('json'), { ...doc, metadata: { ...doc.metadata, keyGroups } }, new Date(ago(200))))
    commit('k-drop-bob', 200)
    await set('k.json', 'token', 't2', 100)
    commit('k-token', 100)
    const d = await offboardDates(dir, bob(), ['k.json'], { env: NOKEY, now: new Date(now) })
    assert.equal(d!.access.map((a) => [a.path, a.listedNow, a.dataKeyKnown, a.accessEnded]), [['k.json', false, true, iso(ago(200))]])
    assert.equal(d!.values.map((v) => [v.key, v.readByThem]), [['token', true], ['other', true]], 'a value set after the removal is readable with the kept data key')
    const r = await offboardWithHistory(B.recipient, { cwd: dir, env: withKey(A), dryRun: true, now: new Date(now) })
    assert.equal(r.values!.changedSince, [])
    assert.equal(r.values!.mustRotate.map((v) => `${v.key} ${v.why}`).sort(), ['other unchanged', 'token data-key-kept'])
    assert.ok(r.warnings.some((w) => w.startsWith('k.json no longer lists them but keeps a data key they held') && w.includes('sops-like rotate k.json')), r.warnings.join('\n'))
  } finally {
    dir = base
  }
})

test('CLI offboard bob --history: prints the access row and dates, and JSON carries them; the run rotates cur.json', async () => {
  const r = await runCli(['offboard', 'bob', '--history', '-q'], { cwd: dir, env: withKey(A) })
  assert.is(r.code, 0, r.stderr)
  const out = r.stdout
  assert.ok(out.includes([
    'Access: every file a revision encrypted to bob (key group; when their access ended):',
    '  cur.json   group 0  ends now (this offboarding)',
    `  gone.json  group 0  ended ${iso(ago(80)).slice(0, 10)} (${commits['delete-gone']!.slice(0, 10)})`,
    `  s.json     group 0  ended ${iso(ago(150)).slice(0, 10)} (${commits['bob-off-s']!.slice(0, 10)})`,
  ].join('\n')), out)
  assert.ok(out.includes(`  cur.json: api (last changed ${iso(ago(50)).slice(0, 10)}), user (last changed ${iso(ago(300)).slice(0, 10)})`), out)
  assert.ok(out.includes(`  s.json: changed (last changed ${iso(ago(100)).slice(0, 10)})`), out)
  // after the real run (not committed) the working tree no longer lists bob: the row still says this offboarding ended it
  const j = await runCli(['offboard', B.recipient, '--history', '--json', '--dry-run', '-q'], { cwd: dir, env: withKey(A) })
  assert.is(j.code, 0, j.stderr)
  const rep = JSON.parse(j.stdout)
  assert.equal(rep.dates.access.map((a: { path: string; listedNow: boolean }) => [a.path, a.listedNow]), [['cur.json', true], ['gone.json', false], ['s.json', false]])
  assert.equal(rep.dates.values.find((v: { path: string; key: string }) => v.path === 'cur.json' && v.key === 'api').changed, iso(ago(50)), 'a rotation by offboard keeps the value dates')
})

test.run()
