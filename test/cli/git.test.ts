/**
 * Git integration end to end with the real `git` in temporary repositories: setup,
 * textconv in git diff / log -p / show (with and without a key), the merge driver,
 * the pre-commit guard and `check`. The drivers run the CLI from source.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCli, isolatedEnv, spawnCli } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'

const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href
const ENTRY = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url))
/** What the drivers and the hook run: the CLI from source. */
const CMD = `'${process.execPath}' --import ${TSX} '${ENTRY}'`

let t: ReturnType<typeof tempDir>
let k: TestKey
let other: TestKey
let home: string

test.before(async () => {
  t = tempDir('sops-like-git-')
  k = await makeAgeKey(t.dir, 'a')
  other = await makeAgeKey(t.dir, 'b')
  home = join(t.dir, 'home') // a HOME without keys
  mkdirSync(home)
})
test.after(() => t.cleanup())

const baseEnv = (extra: NodeJS.ProcessEnv = {}) =>
  isolatedEnv({ HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1', GIT_PAGER: 'cat', PAGER: 'cat', ...extra })
const keyEnv = () => baseEnv({ SOPS_AGE_KEY_FILE: k.file })
const noKeyEnv = () => baseEnv()

interface Out { code: number; stdout: string; stderr: string }
function git(repo: string, args: string[], env = keyEnv()): Out {
  const r = spawnSync('git', args, { cwd: repo, env, encoding: 'utf8' })
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr }
}
function ok(repo: string, args: string[], env = keyEnv()): string {
  const r = git(repo, args, env)
  assert.is(r.code, 0, `git ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

let n = 0
function newRepo(): string {
  const repo = join(t.dir, `repo${n++}`)
  mkdirSync(repo)
  ok(repo, ['init', '-q', '-b', 'main'])
  ok(repo, ['config', 'user.email', 'test@example.com'])
  ok(repo, ['config', 'user.name', 'Test'])
  ok(repo, ['config', 'commit.gpgsign', 'false'])
  writeFileSync(join(repo, '.sops-like.yaml'), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${k.recipient}\n  - path_regex: ^vault/.*\n    age: ${k.recipient}\n  - path_regex: (?i)\\.weird$\n    age: ${k.recipient}\n`)
  return repo
}

async function cli(repo: string, args: string[], env = keyEnv()) {
  return runCli(args, { cwd: repo, env })
}

async function encryptedFile(repo: string, name: string, plain: string): Promise<void> {
  writeFileSync(join(repo, name), plain)
  const r = await cli(repo, ['encrypt', '-i', name])
  assert.is(r.code, 0, r.stderr)
}

async function setValue(repo: string, name: string, key: string, value: string): Promise<void> {
  const r = await cli(repo, ['set', name, `["${key}"]`, JSON.stringify(value)])
  assert.is(r.code, 0, r.stderr)
}

async function setupRepo(): Promise<string> {
  const repo = newRepo()
  const r = await cli(repo, ['git', 'setup', '--command', CMD])
  assert.is(r.code, 0, r.stderr)
  return repo
}

/** Changed lines of a patch, without file headers and the keyless sops summary line. */
const changedLines = (patch: string): string[] =>
  patch.split('\n').filter((l) => /^[+-]/.test(l) && !/^(\+\+\+|---) /.test(l) && !/^[+-]# sops: /.test(l))

const PLAIN = `# database\nuser: admin\npassword: ${CANARY}\nport: 5432\ntoken: t0\n`

test('git setup writes attributes and driver config, skips what it cannot glob, is idempotent, never sets cachetextconv', async () => {
  const repo = newRepo()
  const r1 = await cli(repo, ['git', 'setup', '--command', CMD, '--pattern', 'extra/*.json'])
  assert.is(r1.code, 0, r1.stderr)
  const attrs = readFileSync(join(repo, '.gitattributes'), 'utf8')
  assert.ok(attrs.includes('*.enc.yaml diff=sops-like merge=sops-like\n'), attrs)
  assert.ok(attrs.includes('vault/** diff=sops-like merge=sops-like\n'), attrs)
  assert.ok(attrs.includes('extra/*.json diff=sops-like merge=sops-like\n'), attrs)
  assert.match(r1.stderr, /skipped creation_rules\[2\]\.path_regex .*\(\?i\).*--pattern/)
  assert.match(r1.stdout, /diff\.sops-like\.textconv/)
  assert.is(ok(repo, ['config', '--get', 'diff.sops-like.textconv']).trim(), `${CMD} textconv`)
  assert.is(ok(repo, ['config', '--get', 'merge.sops-like.driver']).trim(), `${CMD} git merge %O %A %B %P`)
  assert.ok(ok(repo, ['config', '--get', 'merge.sops-like.name']).trim().length > 0)
  assert.match(ok(repo, ['check-attr', 'diff', 'merge', '--', 'a/b/s.enc.yaml', 'vault/x/y.env']), /a\/b\/s\.enc\.yaml: diff: sops-like[\s\S]*vault\/x\/y\.env: merge: sops-like/)
  const before = readFileSync(join(repo, '.git', 'config'), 'utf8')
  const r2 = await cli(repo, ['git', 'setup', '--command', CMD, '--pattern', 'extra/*.json'])
  assert.is(r2.code, 0, r2.stderr)
  assert.match(r2.stdout, /nothing to change/)
  assert.is(readFileSync(join(repo, '.gitattributes'), 'utf8'), attrs)
  assert.is(readFileSync(join(repo, '.git', 'config'), 'utf8'), before)
  const cache = git(repo, ['config', '--get', 'diff.sops-like.cachetextconv'])
  assert.is(cache.stdout.trim(), '')
  assert.is.not(cache.code, 0)
})

test('git setup removes a cachetextconv someone set; default command is sops-like', async () => {
  const repo = newRepo()
  ok(repo, ['config', 'diff.sops-like.cachetextconv', 'true'])
  const r = await cli(repo, ['git', 'setup'])
  assert.is(r.code, 0, r.stderr)
  assert.is(git(repo, ['config', '--get', 'diff.sops-like.cachetextconv']).stdout.trim(), '')
  assert.is(ok(repo, ['config', '--get', 'diff.sops-like.textconv']).trim(), 'sops-like textconv')
  assert.match(r.stdout, /removed git config .*cachetextconv/)
})

test('git diff / log -p / show print decrypted changes with a key, the keyless view without one', async () => {
  const repo = await setupRepo()
  await encryptedFile(repo, 'secrets.enc.yaml', PLAIN)
  ok(repo, ['add', '.'])
  ok(repo, ['commit', '-q', '-m', 'one'])
  await setValue(repo, 'secrets.enc.yaml', 'token', 'NEW-TOKEN-VALUE')
  ok(repo, ['commit', '-q', '-am', 'two'])

  for (const args of [['show', 'HEAD'], ['log', '-p', '-1'], ['diff', 'HEAD~1', 'HEAD']]) {
    const out = ok(repo, args)
    assert.ok(out.includes('+token: NEW-TOKEN-VALUE'), `${args.join(' ')}: ${out}`)
    assert.ok(out.includes('-token: t0'), out)
    assert.not.ok(out.includes('ENC['), out)
    assert.equal(changedLines(out), ['-token: t0', '+token: NEW-TOKEN-VALUE'])
  }
  const log = ok(repo, ['log', '-p'])
  assert.ok(log.includes(`+password: ${CANARY}`)) // the first commit, decrypted
  // working tree change
  await setValue(repo, 'secrets.enc.yaml', 'user', 'root')
  assert.equal(changedLines(ok(repo, ['diff'])), ['-user: admin', '+user: root'])

  // without a key: exactly the changed key names, exit 0, nothing on stderr, no plaintext
  for (const args of [['show', 'HEAD'], ['log', '-p', '-1'], ['diff', 'HEAD~1', 'HEAD']]) {
    const r = git(repo, args, noKeyEnv())
    assert.is(r.code, 0, r.stderr)
    assert.is(r.stderr, '')
    assert.not.ok(r.stdout.includes('NEW-TOKEN-VALUE'))
    assert.not.ok(r.stdout.includes('ENC['))
    const lines = changedLines(r.stdout)
    assert.equal(lines.map((l) => l.slice(1).split(':')[0]), ['token', 'token'], r.stdout)
    assert.match(lines[1]!, /^\+token: <encrypted:[0-9a-f]{8}>$/)
  }
  const wt = git(repo, ['diff'], noKeyEnv())
  assert.equal(changedLines(wt.stdout).map((l) => l.slice(1).split(':')[0]), ['user', 'user'])
  const all = git(repo, ['log', '-p'], noKeyEnv())
  assert.not.ok(all.stdout.includes(CANARY))
  assert.match(all.stdout, /\n\+# sops-like: recipients age1\w+; data key [0-9a-f]{12}\n/)
  assert.match(all.stdout, /\n\+# sops: lastmodified /)
})

test('git log -p shows a recipient added, a recipient offboarded (by name) and a rotation as one-line hunks', async () => {
  const repo = await setupRepo()
  const cfg = (age: string) => `recipients:\n  alice: ${k.recipient}\n  bob: ${other.recipient}\ncreation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${age}\n`
  writeFileSync(join(repo, '.sops-like.yaml'), cfg('alice'))
  await encryptedFile(repo, 'secrets.enc.yaml', PLAIN)
  ok(repo, ['add', '.'])
  ok(repo, ['commit', '-q', '-m', 'one'])
  const header = (who: string) => new RegExp(`^# sops-like: recipients ${who}; data key ([0-9a-f]{12})$`)
  const hunk = (): string[] => changedLines(ok(repo, ['show', 'HEAD', '--', 'secrets.enc.yaml']))
  const fp = (line: string, who: string): string => { const m = header(who).exec(line.slice(1)); assert.ok(m, `${line} !~ ${who}`); return m![1]! }
  assert.match(ok(repo, ['show', 'HEAD:secrets.enc.yaml']), /recipient: age1/)

  writeFileSync(join(repo, '.sops-like.yaml'), cfg('alice, bob'))
  const u = await cli(repo, ['updatekeys', '-y', 'secrets.enc.yaml'])
  assert.is(u.code, 0, u.stderr)
  ok(repo, ['commit', '-q', '-am', 'bob joins'])
  const added = hunk()
  assert.is(added.length, 2, added.join('\n'))
  const fp1 = fp(added[0]!, 'alice')
  const fp2 = fp(added[1]!, 'alice, bob')
  assert.is.not(fp1, fp2)

  const o = await cli(repo, ['offboard', 'bob'])
  assert.is(o.code, 0, o.stderr)
  assert.match(o.stdout, /Offboarded: bob \(age age1/)
  ok(repo, ['commit', '-q', '-am', 'bob leaves'])
  const removed = hunk()
  assert.is(removed.length, 2, removed.join('\n'))
  // names come from the working tree's config, which no longer names bob: his key is shown
  assert.is(fp(removed[0]!, `alice, ${other.recipient}`), fp2)
  const fp3 = fp(removed[1]!, 'alice')

  const r = await cli(repo, ['rotate', 'secrets.enc.yaml'])
  assert.is(r.code, 0, r.stderr)
  ok(repo, ['commit', '-q', '-am', 'rotate'])
  const rotated = hunk()
  assert.is(rotated.length, 2, rotated.join('\n'))
  assert.is(fp(rotated[0]!, 'alice'), fp3)
  assert.is.not(fp(rotated[1]!, 'alice'), fp3)

  // the same history without a key still shows who was added and removed
  const noKey = git(repo, ['log', '-p', '--', 'secrets.enc.yaml'], noKeyEnv())
  assert.is(noKey.code, 0, noKey.stderr)
  for (const l of [`+# sops-like: recipients alice, ${other.recipient}; data key`, `-# sops-like: recipients alice, ${other.recipient}; data key`]) assert.ok(noKey.stdout.includes(l), l)
  assert.not.ok(noKey.stdout.includes(CANARY))
})

test('conflicts are readable: git conflicts prints base/ours/theirs decrypted from the index; decrypt of git show :3: via --filename-override; wrong-format errors name --input-type', async () => {
  const repo = await setupRepo()
  await encryptedFile(repo, 'secrets.enc.yaml', PLAIN)
  ok(repo, ['add', '.'])
  ok(repo, ['commit', '-q', '-m', 'base'])
  ok(repo, ['checkout', '-q', '-b', 'feature'])
  await setValue(repo, 'secrets.enc.yaml', 'token', 'theirs-token')
  await setValue(repo, 'secrets.enc.yaml', 'user', 'feature-user')
  ok(repo, ['commit', '-q', '-am', 'feature'])
  ok(repo, ['checkout', '-q', 'main'])
  await setValue(repo, 'secrets.enc.yaml', 'token', 'ours-token')
  ok(repo, ['commit', '-q', '-am', 'main'])
  assert.is.not(git(repo, ['merge', '--no-edit', 'feature']).code, 0)

  const r = await cli(repo, ['git', 'conflicts', 'secrets.enc.yaml'])
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, 'secrets.enc.yaml: 1 conflicting value\n["token"]\n  base:   t0\n  ours:   ours-token\n  theirs: theirs-token\n')
  assert.match(r.stderr, /resolve with: sops-like edit secrets\.enc\.yaml/)
  const js = JSON.parse((await cli(repo, ['git', 'conflicts', '--json', 'secrets.enc.yaml'])).stdout) as { conflicts: unknown[]; stages: unknown }
  assert.equal(js.conflicts, [{ path: '["token"]', base: 't0', ours: 'ours-token', theirs: 'theirs-token' }])
  assert.equal(js.stages, { base: true, ours: true, theirs: true })
  const none = await cli(repo, ['git', 'conflicts', 'secrets.enc.yaml'], noKeyEnv())
  assert.is(none.code, 128, none.stderr)
  assert.not.ok(none.stdout.includes('t0'))

  // one side as git stores it, on standard input: the name given picks the format
  const theirs = Buffer.from(ok(repo, ['show', ':3:secrets.enc.yaml']))
  const d = spawnCli(['decrypt', '--filename-override', 'secrets.enc.yaml', '-'], { cwd: repo, env: keyEnv(), input: theirs })
  assert.is(d.code, 0, d.stderr)
  assert.ok(d.stdout.includes('token: theirs-token\n'), d.stdout)
  const unnamed = spawnCli(['decrypt', '-'], { cwd: repo, env: keyEnv(), input: theirs })
  assert.is(unnamed.code, 2, unnamed.stderr)
  assert.match(unnamed.stderr, /looks like YAML: pass --input-type yaml \(or --filename-override PATH/)
  assert.is(unnamed.stderr.trim().split('\n').length, 1)
  writeFileSync(join(repo, 'named-wrong.json'), theirs)
  const wrong = await cli(repo, ['decrypt', 'named-wrong.json'])
  assert.is(wrong.code, 2)
  assert.match(wrong.stderr, /looks like YAML: pass --input-type yaml$/m)
  // a JSON sops file on unnamed standard input is read as binary: the error names the flags too
  mkdirSync(join(repo, 'vault'))
  await encryptedFile(repo, 'vault/c.json', '{"a": "b"}')
  const js2 = spawnCli(['decrypt', '-'], { cwd: repo, env: keyEnv(), input: readFileSync(join(repo, 'vault/c.json')) })
  assert.is(js2.code, 4, js2.stderr)
  assert.match(js2.stderr, /looks like JSON: pass --input-type json \(or --filename-override PATH/)

  ok(repo, ['merge', '--abort'])
  const clean = await cli(repo, ['git', 'conflicts', 'secrets.enc.yaml'])
  assert.is(clean.code, 1)
  assert.match(clean.stderr, /secrets\.enc\.yaml is not in conflict/)
})

test('merge driver: different keys merge cleanly; the result decrypts (MAC ok) with both changes', async () => {
  const repo = await setupRepo()
  await encryptedFile(repo, 'secrets.enc.yaml', PLAIN)
  ok(repo, ['add', '.'])
  ok(repo, ['commit', '-q', '-m', 'base'])
  ok(repo, ['checkout', '-q', '-b', 'feature'])
  await setValue(repo, 'secrets.enc.yaml', 'user', 'feature-user')
  ok(repo, ['commit', '-q', '-am', 'feature'])
  ok(repo, ['checkout', '-q', 'main'])
  await setValue(repo, 'secrets.enc.yaml', 'token', 'main-token')
  ok(repo, ['commit', '-q', '-am', 'main'])
  const m = git(repo, ['merge', '--no-edit', 'feature'])
  assert.is(m.code, 0, m.stdout + m.stderr)
  const d = await cli(repo, ['decrypt', 'secrets.enc.yaml'])
  assert.is(d.code, 0, d.stderr)
  assert.is(d.stdout, `# database\nuser: feature-user\npassword: ${CANARY}\nport: 5432\ntoken: main-token\n`)
  const raw = readFileSync(join(repo, 'secrets.enc.yaml'), 'utf8')
  assert.not.ok(raw.includes(CANARY))
  assert.is(ok(repo, ['status', '--porcelain']).trim(), '')
})

test('merge driver: a same-key conflict is reported by name and leaves ours; without a key it fails clearly', async () => {
  const repo = await setupRepo()
  await encryptedFile(repo, 'secrets.enc.yaml', PLAIN)
  ok(repo, ['add', '.'])
  ok(repo, ['commit', '-q', '-m', 'base'])
  ok(repo, ['checkout', '-q', '-b', 'feature'])
  await setValue(repo, 'secrets.enc.yaml', 'token', 'theirs-token')
  ok(repo, ['commit', '-q', '-am', 'feature'])
  ok(repo, ['checkout', '-q', 'main'])
  await setValue(repo, 'secrets.enc.yaml', 'token', 'ours-token')
  ok(repo, ['commit', '-q', '-am', 'main'])
  const ours = readFileSync(join(repo, 'secrets.enc.yaml'))
  const m = git(repo, ['merge', '--no-edit', 'feature'])
  assert.is.not(m.code, 0)
  assert.ok((m.stdout + m.stderr).includes('["token"]'), m.stdout + m.stderr)
  assert.ok(/CONFLICT/.test(m.stdout + m.stderr))
  assert.not.ok((m.stdout + m.stderr).includes('ours-token'))
  assert.ok(readFileSync(join(repo, 'secrets.enc.yaml')).equals(ours))
  ok(repo, ['merge', '--abort'])

  // a clean merge attempted without a key: conflict with a clear message, ours kept
  ok(repo, ['checkout', '-q', '-b', 'other', 'HEAD~1'])
  await setValue(repo, 'secrets.enc.yaml', 'user', 'x')
  ok(repo, ['commit', '-q', '-am', 'other'])
  ok(repo, ['checkout', '-q', 'main'])
  const nk = git(repo, ['merge', '--no-edit', 'other'], noKeyEnv())
  assert.is.not(nk.code, 0)
  assert.match(nk.stdout + nk.stderr, /cannot merge secrets\.enc\.yaml: none of your keys decrypts ours/)
  assert.ok(readFileSync(join(repo, 'secrets.enc.yaml')).equals(ours))
  ok(repo, ['merge', '--abort'])
})

test('pre-commit hook: blocks a plaintext secrets.enc.yaml, lets the encrypted one through, chains an old hook', async () => {
  const repo = await setupRepo()
  const hooks = join(repo, '.git', 'hooks')
  mkdirSync(hooks, { recursive: true })
  writeFileSync(join(hooks, 'pre-commit'), '#!/bin/sh\ntouch "$(git rev-parse --git-dir)/old-hook-ran"\n', { mode: 0o755 })
  const i1 = await cli(repo, ['git', 'hook', 'install', '--command', CMD])
  assert.is(i1.code, 0, i1.stderr)
  assert.match(i1.stdout, /previous hook moved to .*pre-commit\.local/)
  assert.ok(existsSync(join(hooks, 'pre-commit.local')))
  assert.ok((statSync(join(hooks, 'pre-commit')).mode & 0o111) !== 0)
  const script = readFileSync(join(hooks, 'pre-commit'), 'utf8')
  const i2 = await cli(repo, ['git', 'hook', 'install', '--command', CMD])
  assert.match(i2.stdout, /already installed/)
  assert.is(readFileSync(join(hooks, 'pre-commit'), 'utf8'), script)

  writeFileSync(join(repo, 'secrets.enc.yaml'), PLAIN)
  writeFileSync(join(repo, 'README.md'), 'hello\n')
  ok(repo, ['add', '.'])
  const c1 = git(repo, ['commit', '-q', '-m', 'oops'])
  assert.is.not(c1.code, 0)
  assert.match(c1.stderr, /secrets\.enc\.yaml: is not encrypted/)
  assert.not.ok(c1.stderr.includes(CANARY))
  assert.ok(existsSync(join(repo, '.git', 'old-hook-ran')))
  assert.is(git(repo, ['rev-parse', '--verify', '-q', 'HEAD']).code, 1) // nothing committed

  const e = await cli(repo, ['encrypt', '-i', 'secrets.enc.yaml'])
  assert.is(e.code, 0, e.stderr)
  ok(repo, ['add', 'secrets.enc.yaml'])
  const c2 = git(repo, ['commit', '-q', '-m', 'encrypted'])
  assert.is(c2.code, 0, c2.stderr)
})

test('check: plaintext, bad MAC and stale recipients fail with exit 40; uncovered files pass', async () => {
  const repo = newRepo()
  await encryptedFile(repo, 'good.enc.yaml', 'a: 1\n')
  writeFileSync(join(repo, 'plain.enc.yaml'), `a: ${CANARY}\n`)
  writeFileSync(join(repo, 'notes.txt'), 'not covered\n')
  const ok1 = await cli(repo, ['check', 'good.enc.yaml', 'notes.txt'])
  assert.is(ok1.code, 0, ok1.stderr)
  assert.match(ok1.stdout, /1 file checked, no problems/)

  const p = await cli(repo, ['check', 'plain.enc.yaml'])
  assert.is(p.code, 40, p.stderr)
  assert.match(p.stderr, /plain\.enc\.yaml: is not encrypted/)
  assert.match(p.stderr, /check failed for 1 file: plain\.enc\.yaml\n$/)
  assert.not.ok(p.stderr.includes(CANARY))

  const good = readFileSync(join(repo, 'good.enc.yaml'), 'utf8')
  writeFileSync(join(repo, 'tampered.enc.yaml'), good.replace(/lastmodified: "[^"]+"/, 'lastmodified: "2001-01-01T00:00:00Z"'))
  const m = await cli(repo, ['check', 'tampered.enc.yaml'])
  assert.is(m.code, 40)
  assert.match(m.stderr, /tampered\.enc\.yaml: fails its MAC check/)
  const mk = await cli(repo, ['check', 'tampered.enc.yaml'], noKeyEnv()) // no key: MAC not checked, noted
  assert.is(mk.code, 0, mk.stderr)
  assert.match(mk.stderr, /MAC not checked/)

  writeFileSync(join(repo, 'stale.yaml'), 'b: 2\n')
  const s = await cli(repo, ['encrypt', '--age', other.recipient, '--filename-override', 'stale.enc.yaml', 'stale.yaml'])
  assert.is(s.code, 0, s.stderr)
  writeFileSync(join(repo, 'stale.enc.yaml'), s.stdout)
  const st = await cli(repo, ['check', 'stale.enc.yaml'], baseEnv({ SOPS_AGE_KEY_FILE: other.file }))
  assert.is(st.code, 40, st.stderr)
  assert.match(st.stderr, /stale\.enc\.yaml: recipients do not match creation_rules\[0\].*run sops-like updatekeys stale\.enc\.yaml/)

  const garbage = await cli(repo, ['check', 'bad.enc.yaml'])
  assert.is(garbage.code, 40) // named but missing
})

test('check --staged reads the staged blob, not the working tree', async () => {
  const repo = newRepo()
  writeFileSync(join(repo, 'x.enc.yaml'), 'a: plain\n')
  ok(repo, ['add', 'x.enc.yaml'])
  await cli(repo, ['encrypt', '-i', 'x.enc.yaml']) // working tree now encrypted, index still plaintext
  const r = await cli(repo, ['check', '--staged'])
  assert.is(r.code, 40, r.stderr)
  assert.match(r.stderr, /x\.enc\.yaml: is not encrypted/)
  ok(repo, ['add', 'x.enc.yaml'])
  const r2 = await cli(repo, ['check', '--staged'])
  assert.is(r2.code, 0, r2.stderr)
})

test.run()
