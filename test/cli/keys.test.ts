/** End to end: rotate / updatekeys / offboard / status through the CLI, bad input, and a rotate --all killed midway. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { runCli, isolatedEnv } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'
import { encryptBytes } from '../../src/ops/crypt/encrypt.js'
import { openBytes } from '../../src/ops/crypt/decrypt.js'
import { createAgeRecipient } from '../../src/keys/age.js'

let t: ReturnType<typeof tempDir>
let A: TestKey, B: TestKey, C: TestKey
test.before(async () => {
  t = tempDir()
  A = await makeAgeKey(t.dir, 'a')
  B = await makeAgeKey(t.dir, 'b')
  C = await makeAgeKey(t.dir, 'c')
})
test.after(() => t.cleanup())

const env = (k?: TestKey) => isolatedEnv(k ? { SOPS_AGE_KEY_FILE: k.file } : {})
const plain = (i: number, n = 3) => `{${Array.from({ length: n }, (_, j) => `"k${j}": "${j === 0 ? CANARY : `v${i}-${j}`}"`).join(', ')}}\n`

async function repo(name: string, files: number, recipients: TestKey[], values = 3): Promise<string> {
  const dir = join(t.dir, name)
  mkdirSync(join(dir, 'secrets'), { recursive: true })
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.json$\n    age: ${recipients.map((k) => k.recipient).join(',')}\n`)
  for (let i = 0; i < files; i++) {
    writeFileSync(join(dir, 'secrets', `f${i}.json`), await encryptBytes(Buffer.from(plain(i, values)), { inputFormat: 'json', groups: [recipients.map((k) => createAgeRecipient(k.recipient))] }))
  }
  return dir
}
const read = (dir: string) => readdirSync(join(dir, 'secrets')).filter((n) => n.endsWith('.json')).sort().map((n) => readFileSync(join(dir, 'secrets', n), 'utf8'))

function noLeak(r: { stdout: string; stderr: string }): void {
  assert.not.ok(r.stdout.includes(CANARY), 'canary in stdout')
  assert.not.ok(r.stderr.includes(CANARY), 'canary in stderr')
}
function oneLine(r: { stderr: string; code: number }, code: number): void {
  assert.is(r.code, code, r.stderr)
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, /^sops-like: /)
}

test('rotate --all: every covered file rotated, one progress line per file, summary', async () => {
  const dir = await repo('all', 3, [A])
  writeFileSync(join(dir, 'outside.json'), readFileSync(join(dir, 'secrets', 'f0.json'))) // no rule covers it
  const before = read(dir)
  const r = await runCli(['rotate', '--all'], { cwd: dir, env: env(A) })
  assert.is(r.code, 0, r.stderr)
  noLeak(r)
  assert.match(r.stderr, /secrets\/f0\.json: rotated\n/)
  assert.match(r.stderr, /rotate: 3 files: 3 rotated/)
  const after = read(dir)
  for (const [i, b] of before.entries()) assert.is.not(after[i], b)
  assert.is(readFileSync(join(dir, 'outside.json'), 'utf8'), before[0])
  const dec = await runCli(['decrypt', 'secrets/f1.json'], { cwd: dir, env: env(A) })
  assert.ok(dec.stdout.includes('v1-1'))
})

test('rotate --all --quiet: nothing on stderr on success; a failure is still reported', async () => {
  const dir = await repo('quiet', 2, [A])
  const r = await runCli(['rotate', '--all', '--quiet'], { cwd: dir, env: env(A) })
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stderr, '')
  assert.is(r.stdout, '')
  const f = await runCli(['rotate', '--all', '-q'], { cwd: dir, env: env(B) })
  assert.is.not(f.code, 0)
  assert.match(f.stderr, /secrets\/f0\.json: /)
  assert.match(f.stderr, /rotate: 2 files: 2 failed/)
  noLeak(f)
})

test('rotate: bad input gives one line, the right exit code and no change', async () => {
  const dir = await repo('bad', 1, [A])
  const before = read(dir)
  oneLine(await runCli(['rotate', 'secrets/f0.json'], { cwd: dir, env: env(B) }), 128)
  const secret = readFileSync(A.file, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!
  const r = await runCli(['rotate', 'secrets/f0.json', '--rm-age', secret], { cwd: dir, env: env(A) })
  oneLine(r, 30)
  assert.not.ok(r.stderr.includes(secret.slice(15)), 'secret key echoed')
  oneLine(await runCli(['rotate', 'secrets/f0.json', '--rm-age', A.recipient], { cwd: dir, env: env(A) }), 111)
  oneLine(await runCli(['rotate', 'secrets/f0.json', '--add-pgp', 'xyz'], { cwd: dir, env: env(A) }), 30)
  oneLine(await runCli(['rotate'], { cwd: dir, env: env(A) }), 1)
  oneLine(await runCli(['rotate', 'nope.json'], { cwd: dir, env: env(A) }), 100)
  const warn = await runCli(['rotate', 'secrets/f0.json', '--rm-age', B.recipient], { cwd: dir, env: env(A) })
  assert.is(warn.code, 0)
  assert.match(warn.stderr, /warning: .*does not have recipient/)
  assert.equal(read(dir), before)
})

test('updatekeys: needs -y without a TTY; --dry-run shows the diff; -y adds C keeping the values', async () => {
  const dir = await repo('uk', 2, [A])
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.json$\n    age: ${A.recipient},${C.recipient}\n`)
  const before = read(dir)
  const no = await runCli(['updatekeys', '--all'], { cwd: dir, env: env(A) })
  oneLine(no, 1)
  assert.match(no.stderr, /-y/)
  const dry = await runCli(['updatekeys', '--all', '--dry-run'], { cwd: dir, env: env(A) })
  assert.is(dry.code, 0, dry.stderr)
  assert.ok(dry.stdout.includes(`+++ age ${C.recipient}`))
  assert.equal(read(dir), before)
  const yes = await runCli(['updatekeys', '-y', 'secrets/f0.json', 'secrets/f1.json'], { cwd: dir, env: env(A) })
  assert.is(yes.code, 0, yes.stderr)
  const after = read(dir)
  for (const [i, b] of before.entries()) assert.equal(after[i]!.match(/ENC\[[^\]]+\]/g), b.match(/ENC\[[^\]]+\]/g))
  const dec = await runCli(['decrypt', 'secrets/f1.json'], { cwd: dir, env: env(C) })
  assert.is(dec.code, 0, dec.stderr)
  const again = await runCli(['updatekeys', '-y', '--all'], { cwd: dir, env: env(A) })
  assert.match(again.stderr, /already up to date/)
})

test('status: text and --json, rule match, not-encrypted files', async () => {
  const dir = await repo('st', 1, [A, B])
  writeFileSync(join(dir, 'secrets', 'plain.json'), '{"a": 1}\n')
  const r = await runCli(['status', '--json', 'secrets/f0.json', 'secrets/plain.json'], { cwd: dir, env: env() })
  assert.is(r.code, 0, r.stderr)
  const s = JSON.parse(r.stdout) as Array<Record<string, unknown>>
  assert.is(s[0]!.encrypted, true)
  assert.is(s[0]!.matchesRule, true)
  assert.equal((s[0]!.keyGroups as Array<Array<{ id: string }>>)[0]!.map((x) => x.id), [A.recipient, B.recipient])
  assert.is(s[1]!.encrypted, false)
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.json$\n    age: ${A.recipient}\n`)
  const txt = await runCli(['status', 'secrets/f0.json'], { cwd: dir, env: env() })
  assert.match(txt.stdout, /differs/)
  assert.ok(txt.stdout.includes(`--- age ${B.recipient}`))
  noLeak(txt)
})

test('offboard --json: report of key names, no values anywhere', async () => {
  const dir = await repo('off', 2, [A, B])
  const r = await runCli(['offboard', B.recipient, '--json'], { cwd: dir, env: env(A) })
  assert.is(r.code, 0, r.stderr)
  noLeak(r)
  const rep = JSON.parse(r.stdout) as { exposed: Array<{ path: string; keys: string[] }>; config: { removed: number } }
  assert.equal(rep.exposed, [{ path: 'secrets/f0.json', keys: ['k0', 'k1', 'k2'] }, { path: 'secrets/f1.json', keys: ['k0', 'k1', 'k2'] }])
  assert.is(rep.config.removed, 1)
  const b = await runCli(['decrypt', 'secrets/f0.json'], { cwd: dir, env: env(B) })
  oneLine(b, 128)
  const text = await runCli(['offboard', A.recipient, '--dry-run'], { cwd: dir, env: env(A) })
  assert.is(text.code, 111) // A is the last recipient everywhere: refused
  noLeak(text)
})

test('status and updatekeys show the names the config gives, in the recipient list and the rule diff', async () => {
  const dir = await repo('st-names', 1, [A, B])
  writeFileSync(join(dir, '.sops-like.yaml'), `recipients:\n  alice: ${A.recipient}\n  bob: ${B.recipient}\n  carol: ${C.recipient}\ncreation_rules:\n  - path_regex: secrets/.*\\.json$\n    age: alice, carol\n`)
  const txt = await runCli(['status', 'secrets/f0.json'], { cwd: dir, env: env() })
  assert.is(txt.code, 0, txt.stderr)
  assert.ok(txt.stdout.includes(`  alice: age ${A.recipient}`), txt.stdout)
  assert.ok(txt.stdout.includes(`+++ carol (age ${C.recipient})`), txt.stdout)
  assert.ok(txt.stdout.includes(`--- bob (age ${B.recipient})`), txt.stdout)
  const plan = await runCli(['updatekeys', '--dry-run', 'secrets/f0.json'], { cwd: dir, env: env(A) })
  assert.is(plan.code, 0, plan.stderr)
  assert.ok(plan.stdout.includes(`+++ carol (age ${C.recipient})`) && plan.stdout.includes(`--- bob (age ${B.recipient})`), plan.stdout)
  const js = JSON.parse((await runCli(['status', '--json', 'secrets/f0.json'], { cwd: dir, env: env() })).stdout) as Array<{ keyGroups: Array<Array<{ name?: string }>> }>
  assert.equal(js[0]!.keyGroups[0]!.map((x) => x.name), ['alice', 'bob'])
  // an unknown name in a rule: status still reports the file, the rule verdict names the problem
  writeFileSync(join(dir, '.sops-like.yaml'), `recipients:\n  alice: ${A.recipient}\ncreation_rules:\n  - path_regex: secrets/.*\\.json$\n    age: alice, dave\n`)
  const bad = await runCli(['status', 'secrets/f0.json'], { cwd: dir, env: env() })
  assert.is(bad.code, 0, bad.stderr)
  assert.match(bad.stdout, /creation rule: none \(creation_rules\[0\]\.age: unknown recipient name dave/)
  const enc = await runCli(['encrypt', '--filename-override', 'secrets/new.json'], { cwd: dir, env: env() })
  assert.is(enc.code, 5, enc.stderr)
  assert.match(enc.stderr, /creation_rules\[0\]\.age: unknown recipient name dave/)
})

test('offboard NAME --history through the CLI: the two lists, the refs, the next commands; no values', async () => {
  const dir = await repo('off-hist', 1, [A, B])
  writeFileSync(join(dir, '.sops-like.yaml'), `recipients:\n  alice: ${A.recipient}\n  bob: ${B.recipient}\ncreation_rules:\n  - path_regex: secrets/.*\\.json$\n    age: alice, bob\n`)
  const g = (...args: string[]) => spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, env: env() })
  g('init', '-q', '-b', 'main')
  g('add', '-A')
  g('commit', '-q', '-m', 'one')
  g('branch', 'feature')
  const r = await runCli(['offboard', 'bob', '--history'], { cwd: dir, env: env(A) })
  assert.is(r.code, 0, r.stderr)
  noLeak(r)
  const out = r.stdout
  assert.match(out, new RegExp(`^Offboarded: bob \\(age ${B.recipient}\\)`))
  assert.match(out, /\nFiles that listed bob \(key names they could read\):\n  secrets\/f0\.json: k0, k1, k2\n/)
  assert.match(out, /Must be rotated at the provider: [^\n]*\n  secrets\/f0\.json: k0 \(last changed \d{4}-\d\d-\d\d\), k1 \(last changed \d{4}-\d\d-\d\d\), k2 \(last changed \d{4}-\d\d-\d\d\)\n/)
  assert.match(out, /Changed since access ended: [^\n]*\n  \(none\)\n/)
  assert.match(out, /  branch feature: secrets\/f0\.json\n/)
  assert.match(out, /  branch main \(checked out: the commit below fixes it\): secrets\/f0\.json\n/)
  assert.match(out, /Next: commit and push:\n  git add -- secrets\/f0\.json \.sops-like\.yaml\n  git commit -m 'Offboard bob: [^']+'\n  git push\n  git switch feature && sops-like offboard bob && /)
})

// ---- a real process killed midway ----

const ENTRY = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url))
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

function runKilled(dir: string, killAfterMs: number): Promise<number | null> {
  return new Promise((res) => {
    const child = spawn(process.execPath, ['--import', TSX, ENTRY, 'rotate', '--all'], { cwd: dir, env: env(A), stdio: 'ignore' })
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    child.on('exit', (code) => { clearTimeout(timer); res(code) })
  })
}

test('rotate --all killed with SIGKILL at random moments: each file fully old or fully new, decrypting with a valid MAC', async () => {
  const dir = await repo('kill', 40, [A], 20)
  const expected = await Promise.all(read(dir).map(async (s) => JSON.stringify((await openBytes(Buffer.from(s), { inputFormat: 'json', env: env(A) })).tree)))
  const t0 = Date.now()
  await runKilled(dir, 60_000) // one full run, to learn how long a run takes here
  const full = Math.max(Date.now() - t0, 200)
  for (let it = 0; it < 6; it++) {
    const before = read(dir)
    await runKilled(dir, Math.floor(full * (0.4 + Math.random() * 0.6)))
    const after = read(dir)
    assert.is(after.length, before.length)
    for (const [i, s] of after.entries()) {
      if (s === before[i]) continue
      const doc = await openBytes(Buffer.from(s), { inputFormat: 'json', env: env(A) }) // throws on a torn file or a bad MAC
      assert.is(JSON.stringify(doc.tree), expected[i])
    }
  }
})

test.run()
