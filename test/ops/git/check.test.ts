/** `check` and the pre-commit hook cover what the config covers: catch-all rules, check.include / check.exclude (real git repositories). */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CANARY } from '../../helpers/fixtures.js'
import { CMD, Repos } from '../../helpers/git-repo.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'

let t: ReturnType<typeof tempDir>
let k: TestKey
let g: Repos

test.before(async () => {
  t = tempDir('sops-like-check-')
  k = await makeAgeKey(t.dir, 'k')
  g = new Repos(t.dir, k.file)
})
test.after(() => t.cleanup())

const catchAll = () => `creation_rules:\n  - path_regex: \\.prod\\.\n    age: ${k.recipient}\n  - path_regex: ''\n    age: ${k.recipient}\n`

test('guard bypass via a catch-all rule: git add -f leaked.enc.yaml .env.enc.bak && git commit is refused (was: "0 files checked", plaintext committed)', async () => {
  const repo = g.repo(catchAll())
  await g.cliOk(repo, ['git', 'hook', 'install', '--command', CMD])
  writeFileSync(join(repo, '.gitignore'), '*.bak\nleaked*\n')
  writeFileSync(join(repo, 'leaked.enc.yaml'), `password: ${CANARY}\n`)
  writeFileSync(join(repo, '.env.enc.bak'), `PASSWORD=${CANARY}\n`)
  writeFileSync(join(repo, 'README.md'), 'hello\n')
  g.ok(repo, ['add', '.sops-like.yaml', '.gitignore', 'README.md'])
  g.ok(repo, ['add', '-f', 'leaked.enc.yaml', '.env.enc.bak'])
  const c = g.git(repo, ['commit', '-q', '-m', 'oops'])
  assert.is.not(c.code, 0, 'the plaintext was committed')
  assert.match(c.stderr, /leaked\.enc\.yaml: is not encrypted but creation_rules\[1\] \(a catch-all rule: files named like \*\.enc\.\*\) covers it/)
  assert.match(c.stderr, /\.env\.enc\.bak: is not encrypted/)
  assert.match(c.stderr, /check failed for 2 files/)
  assert.not.ok(c.stderr.includes(CANARY))
  assert.is(g.git(repo, ['rev-parse', '--verify', '-q', 'HEAD']).code, 1)
  // the same through check directly: exit 40
  const r = await g.cli(repo, ['check', '--staged'])
  assert.is(r.code, 40, r.stderr)
  // encrypted, they pass; README.md (not a secrets-looking name) never needed to be
  await g.cliOk(repo, ['encrypt', '-i', 'leaked.enc.yaml'])
  await g.cliOk(repo, ['encrypt', '-i', '--input-type', 'dotenv', '.env.enc.bak'])
  g.ok(repo, ['add', '-f', 'leaked.enc.yaml', '.env.enc.bak'])
  const c2 = g.git(repo, ['commit', '-q', '-m', 'encrypted'])
  assert.is(c2.code, 0, c2.stderr)
})

test('catch-all rule: .env, .env.local, *.key, *.pem in plaintext fail check; .env.example and README.md do not', async () => {
  const repo = g.repo(catchAll())
  for (const f of ['.env', '.env.local', 'tls.key', 'tls.pem', '.env.example', 'README.md', 'app.sops.json']) writeFileSync(join(repo, f), f.endsWith('.json') ? '{"a": "b"}\n' : 'A=b\n')
  g.ok(repo, ['add', '-f', '.'])
  const r = await g.cli(repo, ['check'])
  assert.is(r.code, 40, r.stderr)
  for (const f of ['.env', '.env.local', 'tls.key', 'tls.pem', 'app.sops.json']) assert.match(r.stderr, new RegExp(`check: ${f.replace(/\./g, '\\.')}: is not encrypted`), f)
  assert.not.match(r.stderr, /\.env\.example:|README\.md:/)
})

test('check.include / check.exclude: an included name is guarded even without a rule; an excluded one is not', async () => {
  const repo = g.repo(`creation_rules:\n  - path_regex: ''\n    age: ${k.recipient}\ncheck:\n  include: ['*.secret']\n  exclude: ['public.pem', 'fixtures/**']\n`)
  for (const f of ['db.secret', 'public.pem', 'other.pem']) writeFileSync(join(repo, f), 'x\n')
  g.ok(repo, ['add', '.'])
  const r = await g.cli(repo, ['check'])
  assert.is(r.code, 40)
  assert.match(r.stderr, /db\.secret: is not encrypted but check\.include \*\.secret covers it/)
  assert.match(r.stderr, /other\.pem: is not encrypted/)
  assert.not.match(r.stderr, /public\.pem:/)

  const noRule = g.repo(`creation_rules:\n  - path_regex: ^prod/\n    age: ${k.recipient}\ncheck:\n  include: ['*.secret']\n`)
  writeFileSync(join(noRule, 'db.secret'), 'x\n')
  writeFileSync(join(noRule, 'x.enc.yaml'), 'a: 1\n') // no catch-all: the default names are not guarded
  g.ok(noRule, ['add', '.'])
  const r2 = await g.cli(noRule, ['check'])
  assert.is(r2.code, 40)
  assert.match(r2.stderr, /db\.secret: is not encrypted but check\.include \*\.secret covers it: add a creation rule for it/)
  assert.not.match(r2.stderr, /x\.enc\.yaml/)
})

test.run()
