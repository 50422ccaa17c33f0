/**
 * history / age-report: a git repository with a scripted history (values changed at known author
 * and committer dates, a rotation that also removes a recipient, a recipient added with the data
 * key kept, a sops-style re-seal of every value) — the report must give the known dates, in the
 * library and in all three output formats, with NO identity present. Plus the heuristic on
 * made-up snapshots, and key names that try to drive the terminal.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { encryptBytes } from '../../../src/ops/crypt/encrypt.js'
import { openBytes } from '../../../src/ops/crypt/decrypt.js'
import { parseSetValue, resealBytes, setValue } from '../../../src/ops/edit/set.js'
import { rotateFiles } from '../../../src/ops/keys/rotate.js'
import { updateKeys } from '../../../src/ops/keys/updatekeys.js'
import { IvStash } from '../../../src/core/tree-cipher.js'
import { createAgeRecipient } from '../../../src/keys/age.js'
import { loadFormat } from '../../../src/formats/index.js'
import { classify, traceLineage, type Snapshot } from '../../../src/ops/report/history-lineage.js'
import { parseRawLog } from '../../../src/ops/report/history-git.js'
import { parseDuration, valueHistory } from '../../../src/ops/report/history.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { runCli } from '../../helpers/cli.js'
import { datedGit, DAY, iso, NOKEY, withKey } from './dated-git.js'


// ---- the heuristic on made-up snapshots ----

const S = (values: Record<string, string>, wraps: Record<string, string>): Snapshot => ({ values: new Map(Object.entries(values)), wraps: new Map(Object.entries(wraps)) })

test('classify: an edit keeps other ciphertexts; a rotation changes every value and every wrapped key; a re-seal keeps the wrapped key', () => {
  const base = S({ a: 'A1', b: 'B1' }, { 'age x': 'W1', 'age y': 'V1' })
  assert.is(classify(base, S({ a: 'A2', b: 'B1' }, { 'age x': 'W1', 'age y': 'V1' })), 'edit')
  assert.is(classify(base, S({ a: 'A2', b: 'B2' }, { 'age x': 'W2', 'age y': 'V2' })), 'rotate')
  assert.is(classify(base, S({ a: 'A2', b: 'B2' }, { 'age x': 'W2' })), 'rotate', 'a recipient removed with the rotation')
  assert.is(classify(base, S({ a: 'A2', b: 'B2' }, { 'age x': 'W1', 'age y': 'V1' })), 'reseal', 'sops edit: every value re-sealed under the same key')
  assert.is(classify(base, S({ a: 'A1', b: 'B1' }, { 'age x': 'W2', 'age y': 'V2', 'age z': 'Z' })), 'edit', 're-wrapped keys with values kept: same data key')
  assert.is(classify(S({ a: 'A1' }, { 'age x': 'W1' }), S({ a: 'A2' }, { 'age x': 'W1' })), 'edit', 'one value, same key: a change')
  assert.is(classify(S({ a: 'A1' }, { 'age x': 'W1' }), S({ a: 'A2' }, { 'age x': 'W2' })), 'rotate')
})

test('traceLineage: a rotation keeps each value\'s date and dates the data key; a later edit dates only its value', () => {
  const snaps: Record<string, Snapshot> = {
    b1: S({ a: 'A1', b: 'B1' }, { r: 'W1' }),
    b2: S({ a: 'A2', b: 'B1' }, { r: 'W1' }),
    b3: S({ a: 'A3', b: 'B3' }, { r: 'W3' }),
    b4: S({ a: 'A3', b: 'B4', c: 'C4' }, { r: 'W3' }),
  }
  const ev = (commit: string, time: number, parents: string[], blob: string) => ({ commit, time, path: 'f', parents, blob })
  const l = traceLineage([ev('c1', 1, [], 'b1'), ev('c2', 2, ['b1'], 'b2'), ev('c3', 3, ['b2'], 'b3'), ev('c4', 4, ['b3'], 'b4')], (b) => snaps[b] ?? null)
  const at = (c: string) => l.origin.get(c)!.commit
  assert.equal([at('A3'), at('B4'), at('C4')], ['c2', 'c4', 'c4'])
  assert.is(l.from.get('A3'), 'A2')
  assert.equal(l.dataKey.get('b4'), { time: 3, commit: 'c3', rotated: true })
  assert.equal(l.dataKey.get('b2'), { time: 1, commit: 'c1', rotated: false })
})

test('parseRawLog: commits, merges (-c) with each parent\'s blob, additions and deletions', () => {
  const z = '0'.repeat(40)
  const h = (c: string) => c.repeat(40)
  const raw = [
    `\x01${h('1')} 100 `, `\n:000000 100644 ${z} ${h('a')} A`, 'x.yaml',
    `\x01${h('2')} 200 ${h('1')}`, `\n:100644 100644 ${h('a')} ${h('b')} M`, 'x.yaml', `:100644 000000 ${h('c')} ${z} D`, 'old.yaml',
    `\x01${h('3')} 300 ${h('2')} ${h('9')}`, `\n::100644 100644 100644 ${h('b')} ${h('d')} ${h('e')} MM`, 'x.yaml', '',
  ].join('\0')
  const ev = parseRawLog(Buffer.from(raw))
  assert.equal(ev.map((e) => [e.commit[0], e.time, e.path, e.parents.map((p) => p[0]), e.blob?.[0] ?? null]), [
    ['1', 100_000, 'x.yaml', [], 'a'],
    ['2', 200_000, 'x.yaml', ['a'], 'b'],
    ['2', 200_000, 'old.yaml', ['c'], null],
    ['3', 300_000, 'x.yaml', ['b', 'd'], 'e'],
  ])
})

test('parseDuration: days, weeks, hours, years; anything else is a usage error', () => {
  assert.is(parseDuration('90d'), 90 * DAY)
  assert.is(parseDuration('2w'), 14 * DAY)
  assert.is(parseDuration('36h'), 1.5 * DAY)
  for (const bad of ['90', 'd', '-1d', '3 months', '1e3d']) assert.throws(() => parseDuration(bad), (e: Error & { exitCode?: number }) => e.exitCode === 1, bad)
})

// ---- a scripted repository ----

let t: ReturnType<typeof tempDir>
let A: TestKey, B: TestKey, C: TestKey
let dir: string
const now = Date.now()
const { commits, ago, git, commit } = datedGit(() => dir, now)

const config = (names: string[]) => `recipients:\n  alice: ${A.recipient}\n  bob: ${B.recipient}\n  carol: ${C.recipient}\ncreation_rules:\n  - path_regex: \\.(json|env)$\n    age: ${names.join(', ')}\n`
const set = async (file: string, key: string, value: string, days: number) => {
  await setValue(join(dir, file), `["${key.split('.').join('"]["')}"]`, await parseSetValue(JSON.stringify(value)), { env: withKey(A), now: new Date(ago(days)) })
}

test.before(async () => {
  t = tempDir('sops-like-history-')
  A = await makeAgeKey(t.dir, 'a')
  B = await makeAgeKey(t.dir, 'b')
  C = await makeAgeKey(t.dir, 'c')
  dir = join(t.dir, 'repo')
  mkdirSync(dir)
  git(['init', '-q', '-b', 'main'])
  const enc = (plain: string, ks: TestKey[]) => encryptBytes(Buffer.from(plain), { inputFormat: plain.startsWith('{') ? 'json' : 'dotenv', groups: [ks.map((k) => createAgeRecipient(k.recipient))], now: new Date(ago(300)) })
  writeFileSync(join(dir, '.sops-like.yaml'), config(['alice', 'bob']))
  writeFileSync(join(dir, 'app.json'), await enc('{"db": {"password": "p1", "user": "u1"}, "api": "t1", "region_unencrypted": "eu"}', [A, B]))
  writeFileSync(join(dir, 'other.env'), await enc('TOKEN=x1\nURL=u\n', [A, B]))
  writeFileSync(join(dir, 'README.md'), 'not a secret\n')
  commit('create', 300)
  await set('app.json', 'db.password', 'p2', 200)
  commit('password', 200)
  // bob leaves app.json: a rotation with a recipient removed (every value re-sealed, new data key)
  await rotateFiles([join(dir, 'app.json')], { rmAge: [B.recipient], env: withKey(A), keepUnlisted: true, now: new Date(ago(150)) })
  commit('rotate-rm-bob', 150)
  await set('app.json', 'api', 't2', 100)
  commit('api', 100)
  // carol added to other.env with the data key kept (updatekeys), then TOKEN changed
  writeFileSync(join(dir, '.sops-like.yaml'), config(['alice', 'bob', 'carol']))
  await updateKeys([join(dir, 'other.env')], { env: withKey(A), cwd: dir })
  commit('add-carol', 50)
  await set('other.env', 'TOKEN', 'x2', 20)
  commit('token', 20)
})
test.after(() => t?.cleanup())

const truth = () => ({
  'app.json': {
    dataKey: { since: iso(ago(150)), commit: commits['rotate-rm-bob'], rotated: true },
    values: { 'db.password': ['password', 200], 'db.user': ['create', 300], api: ['api', 100] } as Record<string, [string, number]>,
  },
  'other.env': {
    dataKey: { since: iso(ago(300)), commit: commits.create, rotated: false },
    values: { TOKEN: ['token', 20], URL: ['create', 300] } as Record<string, [string, number]>,
  },
})

test('the scripted history: value dates, data-key dates and staleness match the truth, with no identity present', async () => {
  const r = await valueHistory(['app.json', 'other.env'], { cwd: dir, env: NOKEY, olderThan: '120d', now: new Date(now) })
  const want = truth()
  assert.is(r.olderThanDays, 120)
  for (const f of r.files) {
    const w = want[f.path as keyof typeof want]
    assert.equal(f.dataKey, w.dataKey, f.path)
    assert.equal(f.values.map((v) => v.key), Object.keys(w.values), `${f.path}: every encrypted value, in document order, no clear ones`)
    for (const v of f.values) {
      const [c, days] = w.values[v.key]!
      assert.equal({ changed: v.changed, commit: v.commit, ageDays: v.ageDays, stale: v.stale }, { changed: iso(ago(days)), commit: commits[c], ageDays: days, stale: days > 120 }, `${f.path} ${v.key}`)
    }
  }
  assert.equal(r.stale.map((s) => `${s.path} ${s.key} ${s.ageDays}`), ['app.json db.password 200', 'app.json db.user 300', 'other.env URL 300'])
})

test('--all: the covered files; an uncommitted change is dated "not committed" and never stale', async () => {
  const before = readFileSync(join(dir, 'other.env'))
  try {
    await set('other.env', 'URL', 'u2', 0)
    const r = await valueHistory([], { cwd: dir, env: NOKEY, all: true, olderThan: '90d', now: new Date(now) })
    assert.equal(r.files.map((f) => f.path), ['app.json', 'other.env'])
    const url = r.files[1]!.values.find((v) => v.key === 'URL')!
    assert.equal(url, { key: 'URL', changed: null, commit: null, ageDays: 0, stale: false })
    assert.equal(r.files[1]!.dataKey.commit, commits.create, 'a set keeps the data key')
  } finally {
    writeFileSync(join(dir, 'other.env'), before)
  }
})

test('a sops-style re-seal (every value re-encrypted under the same data key) changes no date', async () => {
  const before = readFileSync(join(dir, 'app.json'))
  try {
    const doc = await openBytes(before, { inputFormat: 'json', env: withKey(A) })
    // an empty IV stash: every value gets a fresh ciphertext under the SAME data key, as sops' edit writes
    writeFileSync(join(dir, 'app.json'), await resealBytes(doc.tree, await loadFormat('json'), { ...doc, stash: new IvStash() }, new Date(ago(10))))
    commit('reseal', 10)
    const r = await valueHistory(['app.json'], { cwd: dir, env: NOKEY, now: new Date(now) })
    const f = r.files[0]!
    assert.equal(f.values.map((v) => [v.key, v.ageDays]), [['db.password', 200], ['db.user', 300], ['api', 100]])
    assert.equal(f.dataKey, truth()['app.json'].dataKey, 'not a rotation: the wrapped key is the same')
  } finally {
    git(['reset', '-q', '--hard', commits.token!])
  }
})

test('a value changed on a merged branch keeps its branch date; a rename (git mv) keeps every date', async () => {
  const base = dir
  dir = join(t.dir, 'merge')
  mkdirSync(dir)
  try {
    git(['init', '-q', '-b', 'main'])
    writeFileSync(join(dir, 'x.json'), await encryptBytes(Buffer.from('{"a": "1", "b": "2"}'), { inputFormat: 'json', groups: [[createAgeRecipient(A.recipient)]] }))
    writeFileSync(join(dir, 'y.txt'), 'y\n')
    commit('m-create', 300)
    git(['checkout', '-q', '-b', 'side'])
    await set('x.json', 'a', '1b', 200)
    commit('m-side', 200)
    git(['checkout', '-q', 'main'])
    writeFileSync(join(dir, 'y.txt'), 'y2\n')
    commit('m-main', 150)
    git(['merge', '-q', '--no-ff', '-m', 'merge', 'side'], ago(100))
    git(['mv', 'x.json', 'moved.json'])
    commit('m-move', 50)
    const r = await valueHistory(['moved.json'], { cwd: dir, env: NOKEY, now: new Date(now) })
    assert.equal(r.files[0]!.values.map((v) => [v.key, v.commit, v.ageDays]), [['a', commits['m-side'], 200], ['b', commits['m-create'], 300]])
    assert.equal(r.files[0]!.dataKey, { since: iso(ago(300)), commit: commits['m-create'], rotated: false })
  } finally {
    dir = base
  }
})

test('CLI: table, json and markdown carry the same truth; --older-than exits 40 with the stale list', async () => {
  const want = truth()
  // the repository's own config must not change what the history pass parses
  git(['config', 'color.ui', 'always'])
  git(['config', 'log.showSignature', 'true'])
  git(['config', 'diff.external', 'false'])
  const table = await runCli(['history', 'app.json', 'other.env'], { cwd: dir, env: NOKEY })
  assert.is(table.code, 0, table.stderr)
  const lines = table.stdout.trimEnd().split('\n')
  assert.match(lines[0]!, /^FILE\s+KEY\s+VALUE CHANGED\s+AGE \(DAYS\)\s+COMMIT\s+DATA KEY SINCE$/)
  for (const [path, w] of Object.entries(want)) {
    for (const [key, [c, days]] of Object.entries(w.values)) {
      const row = lines.find((l) => l.startsWith(`${path} `) && l.split(/\s+/)[1] === key)
      assert.ok(row, `${path} ${key} has a row`)
      assert.equal(row!.split(/\s{2,}/), [path, key, iso(ago(days)).slice(0, 10), String(days), commits[c]!.slice(0, 10), `${w.dataKey.since.slice(0, 10)} (${w.dataKey.rotated ? 'rotated' : 'created'})`])
    }
  }
  // the columns line up: every row's KEY starts where the header's does
  const keyCol = lines[0]!.indexOf('KEY')
  for (const l of lines.slice(1)) assert.ok(/\s/.test(l[keyCol - 1]!) && !/\s/.test(l[keyCol]!), l)

  const json = await runCli(['history', 'app.json', 'other.env', '--format', 'json', '--older-than', '120d'], { cwd: dir, env: NOKEY })
  assert.is(json.code, 40)
  assert.match(json.stderr, /^sops-like: 3 values not changed for more than 120d: rotate them/)
  const j = JSON.parse(json.stdout)
  assert.is(j.schema, 'sops-like/history@1')
  assert.equal(j.files.map((f: { path: string }) => f.path), ['app.json', 'other.env'])
  for (const f of j.files) {
    const w = want[f.path as keyof typeof want]
    assert.equal(f.dataKey, w.dataKey)
    assert.equal(Object.fromEntries(f.values.map((v: { key: string; commit: string; ageDays: number }) => [v.key, [v.commit, v.ageDays]])), Object.fromEntries(Object.entries(w.values).map(([k, [c, d]]) => [k, [commits[c], d]])))
  }
  assert.equal(j.stale.map((s: { path: string; key: string }) => `${s.path} ${s.key}`), ['app.json db.password', 'app.json db.user', 'other.env URL'])

  const md = await runCli(['age-report', '--all', '--format', 'markdown', '--older-than', '120d'], { cwd: dir, env: NOKEY })
  assert.is(md.code, 40, 'age-report is an alias')
  const rows = md.stdout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| File') && !l.startsWith('| ---'))
  assert.is(rows.length, 5)
  assert.ok(rows.includes(`| app.json | db.user | ${iso(ago(300)).slice(0, 10)} | 300 | ${commits.create!.slice(0, 10)} | ${iso(ago(150)).slice(0, 10)} (rotated) | **stale** |`), md.stdout)
  assert.ok(rows.includes(`| other.env | TOKEN | ${iso(ago(20)).slice(0, 10)} | 20 | ${commits.token!.slice(0, 10)} | ${iso(ago(300)).slice(0, 10)} (created) |  |`), md.stdout)
  assert.match(md.stdout, /stale after 120 days: 3 stale/)

  const fresh = await runCli(['history', '--all', '--older-than', '400d'], { cwd: dir, env: NOKEY })
  assert.is(fresh.code, 0, 'nothing older than 400 days')
})

test('errors: outside git, a plain file, a missing file, a bad --older-than, a shallow clone', async () => {
  const outside = join(t.dir, 'plain')
  mkdirSync(outside, { recursive: true })
  writeFileSync(join(outside, 'x.json'), readFileSync(join(dir, 'app.json')))
  const cases: Array<[string[], string, number, RegExp]> = [
    [['history', 'x.json'], outside, 1, /run it inside a git work tree/],
    [['history', 'README.md'], dir, 11, /README\.md is not encrypted/],
    [['history', 'nope.json'], dir, 100, /nope\.json does not exist/],
    [['history', 'app.json', '--older-than', '3 months'], dir, 1, /--older-than takes a number and a unit/],
    [['history'], dir, 1, /name the encrypted files to report on, or pass --all/],
  ]
  for (const [args, cwd, code, msg] of cases) {
    const r = await runCli(args, { cwd, env: NOKEY })
    assert.is(r.code, code, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, msg)
    assert.is(r.stderr.trim().split('\n').length, 1, 'one line')
  }
  const shallow = join(t.dir, 'shallow')
  execFileSync('git', ['clone', '-q', '--depth', '1', `file://${dir}`, shallow], { env: NOKEY, stdio: 'pipe' })
  const r = await runCli(['history', 'app.json'], { cwd: shallow, env: NOKEY })
  assert.is(r.code, 1)
  assert.match(r.stderr, /shallow.*fetch-depth: 0/)
})

test('terminal escape injection: key names from the file cannot drive the terminal in table, markdown or JSON output', async () => {
  const evil = join(t.dir, 'evil')
  mkdirSync(evil)
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: evil, env: NOKEY })
  const names = ['\x1b]0;pwned\x07title', 'csi\u009b31m', 'rtl\u202eexe.txt', 'line\u2028break', 'pipe|`md`']
  const plain = JSON.stringify(Object.fromEntries(names.map((n, i) => [n, `v${i}`])))
  writeFileSync(join(evil, 's.json'), await encryptBytes(Buffer.from(plain), { inputFormat: 'json', groups: [[createAgeRecipient(A.recipient)]] }))
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', 'add', '-A'], { cwd: evil, env: NOKEY })
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', '-c', 'commit.gpgsign=false', 'commit', '-qm', 'x'], { cwd: evil, env: NOKEY })
  // eslint-disable-next-line no-control-regex
  const raw = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/
  for (const format of ['table', 'markdown', 'json']) {
    const r = await runCli(['history', 's.json', '--format', format], { cwd: evil, env: NOKEY })
    assert.is(r.code, 0, r.stderr)
    assert.not.match(r.stdout, raw, `${format}: no raw control or bidi character`)
    if (format === 'json') {
      assert.equal(JSON.parse(r.stdout).files[0].values.map((v: { key: string }) => v.key), names, 'JSON keeps the exact names, escaped')
    } else {
      const osc = format === 'markdown' ? '\\x1b\\]0;pwned\\x07title' : '\\x1b]0;pwned\\x07title'
      assert.ok(r.stdout.includes(osc) && r.stdout.includes('csi\\x9b31m') && r.stdout.includes('rtl\\u{202e}exe.txt'), r.stdout)
    }
    if (format === 'markdown') assert.ok(r.stdout.includes('pipe\\|\\`md\\`'), 'a | cannot split the Markdown row')
  }
})

test.run()
