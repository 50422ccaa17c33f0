/** offboard: B loses every file, A keeps the same values, data keys rotate, the exposure report names exactly the keys. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { encryptBytes } from '../../../src/ops/crypt/encrypt.js'
import { openBytes, parseEncrypted } from '../../../src/ops/crypt/decrypt.js'
import { offboard } from '../../../src/ops/keys/offboard.js'
import { decryptString, isEncrypted } from '../../../src/core/cipher.js'
import type { Node, Tree } from '../../../src/core/tree.js'
import type { FormatName } from '../../../src/formats/index.js'
import { createAgeRecipient } from '../../../src/keys/age.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { CANARY } from '../../helpers/fixtures.js'

let t: ReturnType<typeof tempDir>
let A: TestKey, B: TestKey, C: TestKey
test.before(async () => {
  t = tempDir()
  A = await makeAgeKey(t.dir, 'a')
  B = await makeAgeKey(t.dir, 'b')
  C = await makeAgeKey(t.dir, 'c')
})
test.after(() => t.cleanup())

const env = (k?: TestKey) => ({ HOME: '/nonexistent-home', PATH: process.env.PATH ?? '', GIT_CONFIG_NOSYSTEM: '1', ...(k ? { SOPS_AGE_KEY_FILE: k.file } : {}) })

const FILES: Array<{ path: string; format: FormatName; plain: string; keys: string[] }> = [
  { path: 'app/secrets.json', format: 'json', plain: `{"db": {"password": "${CANARY}", "user": "app"}, "api": {"token": "t0k"}, "hosts": ["h1", "h2"]}\n`, keys: ['db.password', 'db.user', 'api.token', 'hosts[0]', 'hosts[1]'] },
  { path: 'app/prod.env', format: 'dotenv', plain: `# stripe\nSTRIPE_KEY=sk_live_${CANARY}\nSENTRY_DSN=https://x@y/1\n`, keys: ['STRIPE_KEY', 'SENTRY_DSN'] },
  { path: 'infra/cloud.json', format: 'json', plain: `{"aws": {"secret_access_key": "abc", "region_unencrypted": "eu-west-1"}, "count": 3}\n`, keys: ['aws.secret_access_key', 'count'] },
]

const CONFIG = (a: string, b: string) => `# team keys\ncreation_rules:\n  - path_regex: \\.(json|env)$\n    age: >-\n      ${a},\n      ${b}\n`

async function setup(dir: string, recipients: TestKey[]): Promise<void> {
  rmSync(dir, { recursive: true, force: true })
  for (const f of FILES) {
    mkdirSync(join(dir, f.path, '..'), { recursive: true })
    writeFileSync(join(dir, f.path), await encryptBytes(Buffer.from(f.plain), { inputFormat: f.format, groups: [recipients.map((k) => createAgeRecipient(k.recipient))] }))
  }
  writeFileSync(join(dir, '.sops-like.yaml'), CONFIG(A.recipient, B.recipient))
}

const open = (dir: string, f: (typeof FILES)[number], k: TestKey) => openBytes(readFileSync(join(dir, f.path)), { inputFormat: f.format, env: env(k) })

/** Every ENC value with its AAD (map keys joined by ':' plus ':'). */
function encLeaves(tree: Tree): Array<{ enc: string; aad: string }> {
  const out: Array<{ enc: string; aad: string }> = []
  const visit = (n: Node, keys: string[]): void => {
    if (n.kind === 'scalar') { if (isEncrypted(n.text)) out.push({ enc: n.text, aad: keys.join(':') + ':' }); return }
    if (n.kind === 'map') { for (const e of n.entries) if (e.kind === 'pair') visit(e.value, [...keys, e.key]); return }
    for (const i of n.items) if (i.kind !== 'comment') visit(i, keys)
  }
  for (const b of tree.branches) visit(b, [])
  return out
}

test('offboard B: B locked out everywhere, A reads the same values, keys rotated, exact key names reported', async () => {
  const dir = join(t.dir, 'main')
  await setup(dir, [A, B])
  const before = await Promise.all(FILES.map(async (f) => {
    const bytes = readFileSync(join(dir, f.path))
    const doc = await open(dir, f, A)
    const { metadata } = await parseEncrypted(bytes, f.format)
    return { text: bytes.toString(), plain: JSON.stringify(doc.tree), dataKey: doc.dataKey, encs: metadata.keyGroups.flat().map((e) => e.fields.enc!) }
  }))
  const report = await offboard(B.recipient, { cwd: dir, env: env(A) })
  assert.is(report.exitCode, 0, JSON.stringify(report.failures))
  assert.equal(report.exposed.map((e) => e.path).sort(), FILES.map((f) => f.path).sort())
  for (const f of FILES) assert.equal(report.exposed.find((e) => e.path === f.path)!.keys, f.keys, f.path)
  for (const [i, f] of FILES.entries()) {
    const b = before[i]!
    try { await open(dir, f, B); assert.unreachable(`B still opens ${f.path}`) } catch (e) { assert.is((e as { exitCode?: number }).exitCode, 128) }
    const now = await open(dir, f, A)
    assert.is(JSON.stringify(now.tree), b.plain, f.path)
    const bytes = readFileSync(join(dir, f.path))
    const text = bytes.toString()
    const parsed = await parseEncrypted(bytes, f.format)
    const leaves = encLeaves(parsed.tree)
    assert.ok(leaves.length >= f.keys.length)
    for (const l of leaves) {
      assert.not.ok(b.text.includes(l.enc), `${f.path}: an ENC value did not change`)
      assert.throws(() => decryptString(l.enc, b.dataKey, l.aad, 'x'), /authentication/, 'the old data key still decrypts a value')
      decryptString(l.enc, now.dataKey, l.aad, 'x') // sanity: the AAD walk is right
    }
    for (const e of b.encs) assert.not.ok(text.includes(e.slice(40, 100)), `${f.path}: a wrapped key did not change`)
    assert.equal(parsed.metadata.keyGroups.flat().map((e) => e.fields.recipient), [A.recipient])
  }
  assert.is(report.config?.removed, 1)
  const cfg = readFileSync(join(dir, '.sops-like.yaml'), 'utf8')
  assert.is(cfg, `# team keys\ncreation_rules:\n  - path_regex: \\.(json|env)$\n    age: >-\n      ${A.recipient}\n`)
})

test('offboard --dry-run checks every file opens and writes nothing; an unreadable file fails the run', async () => {
  const dir = join(t.dir, 'dry')
  await setup(dir, [A, B])
  writeFileSync(join(dir, 'theirs.json'), await encryptBytes(Buffer.from('{"x": "y"}'), { inputFormat: 'json', groups: [[createAgeRecipient(B.recipient), createAgeRecipient(C.recipient)]] }))
  const snapshot = () => [...FILES.map((f) => f.path), 'theirs.json', '.sops-like.yaml'].map((p) => readFileSync(join(dir, p), 'utf8'))
  const s0 = snapshot()
  // theirs.json also lists C, whom the rule does not: kept knowingly here, the point is the unreadable file
  const dry = await offboard(B.recipient, { cwd: dir, env: env(A), dryRun: true, keepUnlisted: true })
  assert.equal(snapshot(), s0)
  assert.is(dry.exitCode, 128)
  assert.equal(dry.failures.map((x) => x.path), ['theirs.json'])
  assert.is(dry.results.filter((r) => r.outcome === 'planned').length, 3)
  // the real run processes what it can, reports the rest, exits non-zero
  const real = await offboard(B.recipient, { cwd: dir, env: env(A), keepUnlisted: true })
  assert.is(real.exitCode, 128)
  assert.is(real.results.filter((r) => r.outcome === 'rotated').length, 3)
  assert.is(readFileSync(join(dir, 'theirs.json'), 'utf8'), s0[3])
  for (const x of real.failures) assert.not.ok(x.message.includes(CANARY))
})

test('offboard: invalid recipient and unknown recipient', async () => {
  const dir = join(t.dir, 'bad')
  await setup(dir, [A, B])
  try { await offboard('not-a-key', { cwd: dir, env: env(A) }); assert.unreachable() } catch (e) { assert.is((e as { exitCode?: number }).exitCode, 30) }
  const r = await offboard(C.recipient, { cwd: dir, env: env(A) })
  assert.is(r.exitCode, 0)
  assert.is(r.exposed.length, 0)
  assert.is(r.config?.removed, 0)
})

const NAMED = (a: string, b: string, c: string, flow = false) => flow
  ? `recipients: {alice: ${a}, bob: [${b}, ${c}]}\ncreation_rules:\n  - path_regex: \\.(json|env)$\n    age: alice, bob\n`
  : `# who is who\nrecipients:\n  alice: ${a}\n  bob:\n    - ${b}\n    - ${c}\ncreation_rules:\n  - path_regex: \\.(json|env)$\n    age: alice, bob\n`

async function setupNamed(dir: string, flow = false): Promise<void> {
  await setup(dir, [A, B, C])
  writeFileSync(join(dir, '.sops-like.yaml'), NAMED(A.recipient, B.recipient, C.recipient, flow))
}

test('offboard NAME: every key of the name leaves every file, the name leaves recipients: and the rules', async () => {
  for (const flow of [false, true]) {
    const dir = join(t.dir, flow ? 'named-flow' : 'named')
    await setupNamed(dir, flow)
    const r = await offboard('bob', { cwd: dir, env: env(A) })
    assert.is(r.exitCode, 0, JSON.stringify(r.failures))
    assert.is(r.name, 'bob')
    assert.equal(r.recipients.map((x) => x.id), [B.recipient, C.recipient])
    assert.is(r.exposed.length, FILES.length)
    for (const f of FILES) {
      const ids = (await parseEncrypted(readFileSync(join(dir, f.path)), f.format)).metadata.keyGroups.flat().map((e) => e.fields.recipient)
      assert.equal(ids, [A.recipient], f.path)
      await open(dir, f, A) // A still opens it
    }
    const cfg = readFileSync(join(dir, '.sops-like.yaml'), 'utf8')
    assert.not.ok(cfg.includes(B.recipient) || cfg.includes(C.recipient) || /\bbob\b/.test(cfg), cfg)
    assert.ok(cfg.includes('age: alice'), cfg)
    if (!flow) assert.ok(cfg.startsWith('# who is who\n'), 'comments kept')
    assert.is(r.config?.written, true)
  }
})

test('offboard KEY of a name with two keys: only that key leaves the name; the report shows the name', async () => {
  const dir = join(t.dir, 'named-key')
  await setupNamed(dir)
  const r = await offboard(C.recipient, { cwd: dir, env: env(A) })
  assert.is(r.exitCode, 0, JSON.stringify(r.failures))
  assert.is(r.name, 'bob')
  const cfg = readFileSync(join(dir, '.sops-like.yaml'), 'utf8')
  assert.is(cfg, NAMED(A.recipient, B.recipient, C.recipient).replace(`    - ${C.recipient}\n`, ''))
  const ids = (await parseEncrypted(readFileSync(join(dir, FILES[0]!.path)), 'json')).metadata.keyGroups.flat().map((e) => e.fields.recipient)
  assert.equal(ids, [A.recipient, B.recipient])
})

test('offboard an unknown name: RecipientError (30) saying it is neither a name nor a key; nothing written', async () => {
  const dir = join(t.dir, 'named-unknown')
  await setupNamed(dir)
  const before = readFileSync(join(dir, '.sops-like.yaml'), 'utf8')
  try { await offboard('carol', { cwd: dir, env: env(A) }); assert.unreachable() } catch (e) {
    assert.is((e as { exitCode?: number }).exitCode, 30)
    assert.match((e as Error).message, /carol, is not a name under recipients: in \.sops-like\.yaml/)
  }
  assert.is(readFileSync(join(dir, '.sops-like.yaml'), 'utf8'), before)
})

const git = (dir: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, env: env(), stdio: 'pipe' })

test('offboard --history: key names of past revisions (deleted keys, deleted files) readable by B', async () => {
  const dir = join(t.dir, 'hist')
  mkdirSync(dir)
  git(dir, 'init', '-q')
  const enc = async (plain: string, ks: TestKey[]) => encryptBytes(Buffer.from(plain), { inputFormat: 'json', groups: [ks.map((k) => createAgeRecipient(k.recipient))] })
  writeFileSync(join(dir, '.sops-like.yaml'), CONFIG(A.recipient, B.recipient))
  writeFileSync(join(dir, 's.json'), await enc('{"old_secret": "1", "keep": "2"}', [A, B]))
  writeFileSync(join(dir, 'gone.json'), await enc('{"legacy_token": "3"}', [A, B]))
  writeFileSync(join(dir, 'private.json'), await enc('{"not_theirs": "4"}', [A]))
  git(dir, 'add', '-A')
  git(dir, 'commit', '-q', '-m', 'one')
  writeFileSync(join(dir, 's.json'), await enc('{"keep": "2", "fresh": "5"}', [A, B]))
  git(dir, 'rm', '-q', 'gone.json')
  git(dir, 'add', '-A')
  git(dir, 'commit', '-q', '-m', 'two')
  const r = await offboard(B.recipient, { cwd: dir, env: env(A), history: true })
  assert.is(r.exitCode, 0, JSON.stringify(r.failures))
  assert.equal(r.exposed, [{ path: 's.json', keys: ['keep', 'fresh'] }])
  const h = Object.fromEntries((r.history ?? []).map((x) => [x.path, [...x.keys].sort()]))
  assert.equal(h, { 'gone.json': ['legacy_token'], 's.json': ['fresh', 'keep', 'old_secret'] })
  const outside = await offboard(B.recipient, { cwd: join(t.dir, 'main'), env: env(A), history: true, dryRun: true })
  assert.ok(outside.history === null || Array.isArray(outside.history))
})

test('offboard NAME --history: must-rotate vs changed-since, refs still encrypting, clear look-alikes excluded, next steps that work', async () => {
  const dir = join(t.dir, 'hist-report')
  const origin = join(t.dir, 'hist-report-origin.git')
  mkdirSync(dir)
  git(t.dir, 'init', '-q', '--bare', origin)
  git(dir, 'init', '-q', '-b', 'main')
  const enc = async (plain: string, ks: TestKey[]) => encryptBytes(Buffer.from(plain), { inputFormat: 'json', groups: [ks.map((k) => createAgeRecipient(k.recipient))] })
  writeFileSync(join(dir, '.sops-like.yaml'), `recipients:\n  alice: ${A.recipient}\n  bob: ${B.recipient}\ncreation_rules:\n  - path_regex: \\.json$\n    age: alice, bob\n`)
  // a clear value under the unencrypted suffix that merely looks encrypted is not a secret they read
  const lookAlike = 'ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]'
  writeFileSync(join(dir, 's.json'), await enc(`{"old_secret": "1", "keep": "2", "rotated": "x1", "note_unencrypted": "${lookAlike}"}`, [A, B]))
  writeFileSync(join(dir, 'gone.json'), await enc('{"legacy_token": "3"}', [A, B]))
  writeFileSync(join(dir, 'cur.json'), await enc('{"api": "k"}', [A, B]))
  writeFileSync(join(dir, 'private.json'), await enc('{"not_theirs": "4"}', [A]))
  git(dir, 'add', '-A')
  git(dir, 'commit', '-q', '-m', 'one')
  git(dir, 'tag', 'v1')
  git(dir, 'branch', 'feature')
  // later on main bob lost s.json (one value replaced, one dropped) and gone.json was deleted
  writeFileSync(join(dir, 's.json'), await enc('{"keep": "2", "rotated": "x2", "fresh": "5"}', [A]))
  git(dir, 'rm', '-q', 'gone.json')
  git(dir, 'add', '-A')
  git(dir, 'commit', '-q', '-m', 'two')
  git(dir, 'remote', 'add', 'origin', origin)
  git(dir, 'push', '-q', '-u', 'origin', 'main', 'feature')

  const r = await offboard('bob', { cwd: dir, env: env(A), history: true })
  assert.is(r.exitCode, 0, JSON.stringify(r.failures))
  assert.equal(r.exposed, [{ path: 'cur.json', keys: ['api'] }])
  assert.equal(r.values!.mustRotate, [
    { path: 'cur.json', key: 'api', why: 'unchanged' },
    { path: 'gone.json', key: 'legacy_token', why: 'removed' },
    { path: 's.json', key: 'old_secret', why: 'removed' },
    { path: 's.json', key: 'keep', why: 'unchanged' },
  ])
  assert.equal(r.values!.changedSince, [{ path: 's.json', key: 'rotated' }])
  assert.not.ok(JSON.stringify(r).includes('note_unencrypted'), 'a clear look-alike is not reported')
  assert.not.ok(JSON.stringify(r).includes('not_theirs'))
  const tips = Object.fromEntries(r.stillEncrypting!.map((x) => [`${x.kind} ${x.ref}`, { current: x.current, paths: [...x.paths].sort() }]))
  assert.equal(tips, {
    'branch feature': { current: false, paths: ['cur.json', 'gone.json', 's.json'] },
    'branch main': { current: true, paths: ['cur.json'] },
    'remote origin/feature': { current: false, paths: ['cur.json', 'gone.json', 's.json'] },
    'remote origin/main': { current: false, paths: ['cur.json'] },
    'tag v1': { current: false, paths: ['cur.json', 'gone.json', 's.json'] },
  })
  assert.equal(r.nextSteps, [
    'git add -- cur.json .sops-like.yaml',
    "git commit -m 'Offboard bob: remove from recipients, rotate data keys'",
    'git push',
    "git switch feature && sops-like offboard bob && git commit -am 'Offboard bob: remove from recipients, rotate data keys' && git push",
  ])
  // the commands work as printed: afterwards main and origin/main no longer encrypt to bob
  for (const cmd of r.nextSteps.slice(0, 3)) execFileSync('sh', ['-c', cmd], { cwd: dir, env: { ...env(), GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' }, stdio: 'pipe' })
  const again = await offboard(B.recipient, { cwd: dir, env: env(A), history: true, dryRun: true })
  assert.equal(again.stillEncrypting!.map((x) => x.ref).sort(), ['feature', 'origin/feature', 'v1'])
  assert.equal(again.exposed, [])
})

test.run()
