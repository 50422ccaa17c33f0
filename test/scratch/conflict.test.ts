import { test } from 'uvu'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CMD, Repos } from '../helpers/git-repo.js'
import { makeAgeKey, tempDir } from '../helpers/keys.js'
const t = tempDir('sops-like-scratch-')
test('x', async () => {
  const key = await makeAgeKey(t.dir)
  const g = new Repos(join(t.dir, 'git'), key.file)
  const repo = g.repo(`creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${key.recipient}\n`)
  await g.cliOk(repo, ['git', 'setup', '--command', CMD])
  writeFileSync(join(repo, 's.enc.yaml'), 'token: t0\nuser: u\n')
  await g.cliOk(repo, ['encrypt', '-i', 's.enc.yaml'])
  g.ok(repo, ['add', '.']); g.ok(repo, ['commit', '-q', '-m', 'base'])
  g.ok(repo, ['checkout', '-q', '-b', 'f'])
  await g.cliOk(repo, ['set', 's.enc.yaml', '["token"]', '"theirs"'])
  g.ok(repo, ['commit', '-q', '-am', 'f']); g.ok(repo, ['checkout', '-q', 'main'])
  await g.cliOk(repo, ['set', 's.enc.yaml', '["token"]', '"ours"'])
  g.ok(repo, ['commit', '-q', '-am', 'm'])
  console.log(g.git(repo, ['merge', '--no-edit', 'f']))
  for (const args of [['check'], ['check', '--staged'], ['check', 's.enc.yaml']]) {
    const r = await g.cli(repo, args)
    console.log(args.join(' '), r.code, JSON.stringify(r.stdout), '\n' + r.stderr)
  }
  t.cleanup()
})
test.run()
