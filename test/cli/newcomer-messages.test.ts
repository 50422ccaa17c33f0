/**
 * Messages a newcomer meets first, each saying what to do next (issue 19): no identity at all,
 * a SOPS_AGE_KEY that holds no key, updatekeys without a config, a shell line given to `run`
 * as the command, the pre-commit hook, which stays quiet when all is well, updatekeys' counts
 * and -q, check during a merge conflict, git hook uninstall, and help texts with one Examples block.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
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

test('updatekeys --dry-run: the summary counts every file it listed; -q prints no diffs', async () => {
  const g = new Repos(join(t.dir, 'upd'), key.file)
  const other = await makeAgeKey(t.dir, 'other')
  const repo = g.repo(`creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${key.recipient}\n`)
  for (const n of ['a', 'b', 'c', 'd']) {
    writeFileSync(join(repo, `${n}.enc.yaml`), `v: ${n}\n`)
    await g.cliOk(repo, ['encrypt', '-i', `${n}.enc.yaml`])
  }
  writeFileSync(join(repo, '.sops-like.yaml'), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${key.recipient},${other.recipient}\n`)
  await g.cliOk(repo, ['updatekeys', '-y', 'a.enc.yaml']) // one file up to date, three to update
  const files = ['a.enc.yaml', 'b.enc.yaml', 'c.enc.yaml', 'd.enc.yaml']
  const dry = await g.cliOk(repo, ['updatekeys', '--dry-run', ...files])
  const listed = files.filter((f) => dry.stdout.includes(`${f}:`) || dry.stderr.includes(`${f}: already up to date`))
  assert.is(listed.length, 4, dry.stdout + dry.stderr)
  assert.match(dry.stderr, /updatekeys \(dry run\): 4 files: 1 already up to date, 3 would update \(data key kept\)/)
  const quiet = await g.cliOk(repo, ['updatekeys', '--dry-run', '-q', ...files])
  assert.is(quiet.stdout, '')
  assert.not.match(quiet.stderr, /\+\+\+|---|already up to date/)
})

test('check during a merge conflict: each file and each line once', async () => {
  const g = new Repos(join(t.dir, 'conflict'), key.file)
  const repo = g.repo(`creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${key.recipient}\n`)
  await g.cliOk(repo, ['git', 'setup', '--command', CMD])
  writeFileSync(join(repo, 's.enc.yaml'), 'token: t0\n')
  await g.cliOk(repo, ['encrypt', '-i', 's.enc.yaml'])
  g.ok(repo, ['add', '.'])
  g.ok(repo, ['commit', '-q', '-m', 'base'])
  g.ok(repo, ['checkout', '-q', '-b', 'side'])
  await g.cliOk(repo, ['set', 's.enc.yaml', '["token"]', '"theirs"'])
  g.ok(repo, ['commit', '-q', '-am', 'side'])
  g.ok(repo, ['checkout', '-q', 'main'])
  await g.cliOk(repo, ['set', 's.enc.yaml', '["token"]', '"ours"'])
  g.ok(repo, ['commit', '-q', '-am', 'main'])
  assert.is.not(g.git(repo, ['merge', '--no-edit', 'side']).code, 0)
  const clean = await g.cliOk(repo, ['check'])
  assert.match(clean.stdout, /^check: 1 file checked, no problems$/m)
  // resolved by hand into plaintext: the problem is reported once, not once per stage
  writeFileSync(join(repo, 's.enc.yaml'), `token: ${CANARY}\n`)
  const bad = await g.cli(repo, ['check'])
  assert.is(bad.code, 40)
  const lines = oneLine(bad.stderr)
  assert.is(new Set(lines).size, lines.length, bad.stderr)
  assert.is(lines.filter((l) => l.includes('s.enc.yaml')).length, 2, bad.stderr) // the problem and the summary
  assert.not.ok(bad.stderr.includes(CANARY))
})

test('git hook uninstall: removes only our hooks, puts a chained hook back, leaves a foreign one (exit 1)', async () => {
  const g = new Repos(join(t.dir, 'hooks'), key.file)
  const repo = g.repo()
  const hooks = join(repo, '.git', 'hooks')
  mkdirSync(hooks, { recursive: true })
  const mine = '#!/bin/sh\necho my own pre-commit\n'
  writeFileSync(join(hooks, 'pre-commit'), mine)
  chmodSync(join(hooks, 'pre-commit'), 0o755)
  await g.cliOk(repo, ['git', 'hook', 'install', '--command', CMD])
  assert.ok(existsSync(join(hooks, 'pre-commit.local')), 'install chained the old hook')
  const un = await g.cliOk(repo, ['git', 'hook', 'uninstall'])
  assert.match(un.stdout, /removed .*pre-commit; the hook it ran first is back in its place/)
  assert.match(un.stdout, /removed .*post-merge\n/)
  assert.is(readFileSync(join(hooks, 'pre-commit'), 'utf8'), mine)
  assert.not.ok(existsSync(join(hooks, 'pre-commit.local')))
  assert.not.ok(existsSync(join(hooks, 'post-merge')))
  // now only a foreign hook is left: refused, untouched
  const again = await g.cli(repo, ['git', 'hook', 'uninstall'])
  assert.is(again.code, 1)
  assert.match(again.stderr, /left .*pre-commit: it is not the hook sops-like installs \(another tool's, a link, or edited by hand\); remove it by hand if you mean to/)
  assert.is(readFileSync(join(hooks, 'pre-commit'), 'utf8'), mine)
})

test('help texts: one Examples block each (unset, example, get, import-dotenvx, git hook uninstall)', async () => {
  for (const args of [['unset', '--help'], ['example', '--help'], ['get', '--help'], ['import-dotenvx', '--help'], ['git', 'hook', 'uninstall', '--help']]) {
    const r = await runCli(args)
    assert.is(r.code, 0, r.stderr)
    assert.is((r.stdout.match(/^Examples?:$/gm) ?? []).length, 1, `${args.join(' ')}:\n${r.stdout}`)
  }
})

test.run()
