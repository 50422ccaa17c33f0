/** `git setup`: catch-all rules and check.include in .gitattributes (the list printed), `--hooks-path` (real git repositories). */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CANARY } from '../../helpers/fixtures.js'
import { CMD, Repos } from '../../helpers/git-repo.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'

let t: ReturnType<typeof tempDir>
let k: TestKey
let g: Repos

test.before(async () => {
  t = tempDir('sops-like-git-setup-')
  k = await makeAgeKey(t.dir, 'k')
  g = new Repos(t.dir, k.file)
})
test.after(() => t.cleanup())

test('catch-all rule (was: skipped, only *.prod.* covered): .gitattributes gets the secrets-file globs and check.include, and the list is printed', async () => {
  const repo = g.repo(`creation_rules:\n  - path_regex: \\.prod\\.\n    age: ${k.recipient}\n  - path_regex: ''\n    age: ${k.recipient}\ncheck:\n  include: ['config/*.secret']\n`)
  const r = await g.cliOk(repo, ['git', 'setup', '--command', CMD])
  assert.match(r.stdout, /creation_rules\[1\] matches every file: \.gitattributes covers the files named like secrets files \(\*\.enc\.\* \*\.sops\.\* \.env \.env\.\* \*\.key \*\.pem config\/\*\.secret;/)
  assert.not.match(r.stderr, /skipped/)
  const attrs = readFileSync(join(repo, '.gitattributes'), 'utf8')
  for (const glob of ['*.prod.*', '*.enc.*', '*.sops.*', '.env', '.env.*', '*.key', '*.pem', 'config/*.secret']) assert.ok(attrs.includes(`${glob} diff=sops-like merge=sops-like\n`), glob)
  const attr = g.ok(repo, ['check-attr', 'merge', '--', 'secrets.enc.yaml', 'a/.env.enc.bak', 'config/x.secret', 'README.md'])
  assert.match(attr, /secrets\.enc\.yaml: merge: sops-like/)
  assert.match(attr, /a\/\.env\.enc\.bak: merge: sops-like/)
  assert.match(attr, /config\/x\.secret: merge: sops-like/)
  assert.match(attr, /README\.md: merge: unspecified/)
  const again = await g.cliOk(repo, ['git', 'setup', '--command', CMD])
  assert.match(again.stdout, /nothing to change/)
})

test('a config in a subfolder: catch-all globs are placed under it', async () => {
  const repo = g.repo()
  mkdirSync(join(repo, 'svc'))
  writeFileSync(join(repo, 'svc', '.sops-like.yaml'), `creation_rules:\n  - age: ${k.recipient}\n`)
  await g.cliOk(join(repo, 'svc'), ['git', 'setup', '--command', CMD])
  const attrs = readFileSync(join(repo, '.gitattributes'), 'utf8')
  assert.ok(attrs.includes('svc/**/*.enc.* diff=sops-like'), attrs)
  assert.match(g.ok(repo, ['check-attr', 'diff', '--', 'svc/a/x.enc.yaml', 'other/x.enc.yaml']), /svc\/a\/x\.enc\.yaml: diff: sops-like\nother\/x\.enc\.yaml: diff: unspecified/)
})

test('git setup --hooks-path: hooks in a committed .githooks, core.hooksPath set; a clone needs only this one command', async () => {
  const repo = g.repo(`creation_rules:\n  - path_regex: \\.enc\\.\n    age: ${k.recipient}\n`)
  mkdirSync(join(repo, '.git', 'hooks'), { recursive: true })
  writeFileSync(join(repo, '.git', 'hooks', 'pre-push'), '#!/bin/sh\n', { mode: 0o755 })
  const r = await g.cliOk(repo, ['git', 'setup', '--hooks-path', '--command', CMD])
  assert.match(r.stdout, /core\.hooksPath = \.githooks/)
  assert.match(r.stdout, /installed \.githooks\/pre-commit: commit the \.githooks\/ folder/)
  assert.match(r.stderr, /pre-push no longer runs \(core\.hooksPath is \.githooks\)/)
  assert.is(g.ok(repo, ['config', 'core.hooksPath']).trim(), '.githooks')
  assert.ok(existsSync(join(repo, '.githooks', 'pre-commit')))
  assert.is(g.git(repo, ['config', '--get', 'diff.sops-like.cachetextconv']).code, 1)
  g.ok(repo, ['add', '.sops-like.yaml', '.gitattributes', '.githooks'])
  g.ok(repo, ['commit', '-q', '-m', 'setup'])

  const clone = join(t.dir, 'clone-hooks')
  g.ok(t.dir, ['clone', '-q', repo, clone])
  // before: nothing guards the clone, and git setup says so
  const plain = await g.cliOk(clone, ['git', 'setup', '--command', CMD])
  assert.match(plain.stderr, /\.githooks\/pre-commit is committed but this clone does not use it: run sops-like git setup --hooks-path/)
  const r2 = await g.cliOk(clone, ['git', 'setup', '--hooks-path', '--command', CMD])
  assert.match(r2.stdout, /core\.hooksPath = \.githooks/)
  assert.not.match(r2.stdout, /installed/) // the committed hook is used as it is
  writeFileSync(join(clone, 'x.enc.yaml'), `a: ${CANARY}\n`)
  g.ok(clone, ['add', 'x.enc.yaml'])
  const c = g.git(clone, ['commit', '-q', '-m', 'oops'])
  assert.is.not(c.code, 0)
  assert.match(c.stderr, /x\.enc\.yaml: is not encrypted/)
})

test('git setup --hooks-path refuses another core.hooksPath, a folder outside the work tree, and --global', async () => {
  const repo = g.repo(`creation_rules:\n  - path_regex: \\.enc\\.\n    age: ${k.recipient}\n`)
  g.ok(repo, ['config', 'core.hooksPath', '.husky'])
  const r = await g.cli(repo, ['git', 'setup', '--hooks-path'])
  assert.is(r.code, 1)
  assert.match(r.stderr, /core\.hooksPath is already \.husky: run sops-like git hook install/)
  g.ok(repo, ['config', '--unset', 'core.hooksPath'])
  for (const bad of ['../elsewhere', '.git/hooks']) {
    const b = await g.cli(repo, ['git', 'setup', `--hooks-path=${bad}`])
    assert.is(b.code, 1, bad)
    assert.match(b.stderr, /give a folder inside the work tree/)
  }
  const gl = await g.cli(repo, ['git', 'setup', '--global', '--hooks-path'])
  assert.is(gl.code, 8)
  const custom = await g.cliOk(repo, ['git', 'setup', '--hooks-path', 'tools/hooks', '--command', CMD])
  assert.match(custom.stdout, /core\.hooksPath = tools\/hooks/)
  assert.ok(existsSync(join(repo, 'tools', 'hooks', 'pre-commit')))
})

test.run()
