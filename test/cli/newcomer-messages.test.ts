/**
 * Messages a newcomer meets first, each saying what to do next (issue 19): no identity at all,
 * a SOPS_AGE_KEY that holds no key, updatekeys without a config, a shell line given to `run`
 * as the command, and the pre-commit hook, which stays quiet when all is well.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isolatedEnv, runCli } from '../helpers/cli.js'
import { CANARY } from '../helpers/fixtures.js'
import { CMD, Repos } from '../helpers/git-repo.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'

const t = tempDir('sops-like-newcomer-')
let key: TestKey

test.before(async () => {
  key = await makeAgeKey(t.dir)
  writeFileSync(join(t.dir, 'plain.yaml'), `password: ${CANARY}\n`)
  const r = await runCli(['encrypt', '--age', key.recipient, 'plain.yaml', '-o', 'secrets.enc.yaml'], { cwd: t.dir })
  assert.is(r.code, 0, r.stderr)
})
test.after(() => t.cleanup())

const oneLine = (s: string): string[] => s.split('\n').filter(Boolean)

test('no identity at all: exit 128, one line that says to run sops-like keygen and where keys are looked for', async () => {
  const r = await runCli(['decrypt', 'secrets.enc.yaml'], { cwd: t.dir, env: isolatedEnv() })
  assert.is(r.code, 128)
  assert.is(oneLine(r.stderr).length, 1, r.stderr)
  assert.match(r.stderr, /no identity found: make one with "sops-like keygen"/)
  assert.match(r.stderr, /SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, .*keys\.txt/)
  assert.not.ok(r.stderr.includes(CANARY))
})

test('SOPS_AGE_KEY=garbage: a one-line warning (not the value), then the usual failure', async () => {
  const r = await runCli(['decrypt', 'secrets.enc.yaml'], { cwd: t.dir, env: isolatedEnv({ SOPS_AGE_KEY: 'garbage-not-a-key' }) })
  assert.is(r.code, 128)
  const warning = oneLine(r.stderr).filter((l) => l.includes('warning'))
  assert.equal(warning, ['sops-like: warning: SOPS_AGE_KEY is set but holds no age identity (AGE-SECRET-KEY-1…): ignored'])
  assert.not.ok(r.stderr.includes('garbage-not-a-key'))
})

test('SOPS_AGE_KEY=garbage beside a working key file: the warning, and the file still decrypts', async () => {
  const r = await runCli(['decrypt', 'secrets.enc.yaml'], { cwd: t.dir, env: isolatedEnv({ SOPS_AGE_KEY: 'garbage', SOPS_AGE_KEY_FILE: key.file }) })
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, `password: ${CANARY}\n`)
  assert.match(r.stderr, /warning: SOPS_AGE_KEY is set but holds no age identity/)
})

test('a working SOPS_AGE_KEY: no warning', async () => {
  const r = await runCli(['decrypt', 'secrets.enc.yaml'], { cwd: t.dir, env: isolatedEnv({ SOPS_AGE_KEY: key.identity }) })
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stderr, '')
})

test('updatekeys -y FILE with no config: says no config was found and how to make one', async () => {
  const r = await runCli(['updatekeys', '-y', 'secrets.enc.yaml'], { cwd: t.dir, env: isolatedEnv({ SOPS_AGE_KEY_FILE: key.file }) })
  assert.is(r.code, 61)
  assert.is(oneLine(r.stderr).length, 1, r.stderr)
  assert.match(r.stderr, /no config found for secrets\.enc\.yaml \(\.sops-like\.yaml or \.sops\.yaml in its folder or above\)/)
  assert.match(r.stderr, /create one, e\.g\. creation_rules: \[\{path_regex: '\\\.enc\\\.', age: 'age1…'\}\]/)
  assert.not.match(r.stderr, /--config file not found/)
})

test("run -- 'echo $x': command not found, with the hint to use sh -c", async () => {
  const r = await runCli(['run', '-f', 'secrets.enc.yaml', '--', 'echo $password'], { cwd: t.dir, env: isolatedEnv({ SOPS_AGE_KEY_FILE: key.file }) })
  assert.is(r.code, 127)
  assert.match(r.stderr, /echo \$password: command not found \(a shell line is not a command: run it with sh -c '…'/)
  assert.not.ok(r.stderr.includes(CANARY))
})

test('run -- a plain missing command: command not found, no shell hint', async () => {
  const r = await runCli(['run', '-f', 'secrets.enc.yaml', '--', 'no-such-command-x'], { cwd: t.dir, env: isolatedEnv({ SOPS_AGE_KEY_FILE: key.file }) })
  assert.is(r.code, 127)
  assert.match(r.stderr, /no-such-command-x: command not found/)
  assert.not.match(r.stderr, /sh -c/)
})

test('pre-commit hook: quiet when the commit is fine, still loud when it is refused', async () => {
  const g = new Repos(join(t.dir, 'git'), key.file)
  const repo = g.repo(`creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${key.recipient}\n`)
  await g.cliOk(repo, ['git', 'hook', 'install', '--command', CMD])
  writeFileSync(join(repo, 'secrets.enc.yaml'), readFileSync(join(t.dir, 'secrets.enc.yaml')))
  g.ok(repo, ['add', '.sops-like.yaml', 'secrets.enc.yaml'])
  const fine = g.git(repo, ['commit', '-m', 'encrypted'])
  assert.is(fine.code, 0, fine.stderr)
  assert.not.match(fine.stdout + fine.stderr, /files? checked/)
  assert.not.match(fine.stderr, /sops-like/)

  writeFileSync(join(repo, 'plain.enc.yaml'), `a: ${CANARY}\n`)
  g.ok(repo, ['add', 'plain.enc.yaml'])
  const refused = g.git(repo, ['commit', '-m', 'plaintext'])
  assert.is.not(refused.code, 0)
  assert.match(refused.stderr, /plain\.enc\.yaml: is not encrypted/)
})

test.run()
