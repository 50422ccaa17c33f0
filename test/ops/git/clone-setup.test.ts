/**
 * A clone without the driver config its .gitattributes names: check, doctor, textconv and
 * the merge driver say the one command that fixes it, once (real git repositories).
 * Also doctor's git section (src/ops/doctor/git.ts).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CMD, Repos } from '../../helpers/git-repo.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { doctor } from '../../../src/ops/doctor/index.js'
import { cloneSetupGap, cloneSetupNoticeOnce } from '../../../src/ops/git/clone-setup.js'

let t: ReturnType<typeof tempDir>
let k: TestKey
let g: Repos
let origin: string
let n = 0

const FILES = ['a.enc.yaml', 'b.enc.yaml', 'c.enc.yaml']

test.before(async () => {
  t = tempDir('sops-like-clone-setup-')
  k = await makeAgeKey(t.dir, 'k')
  g = new Repos(t.dir, k.file)
  origin = g.repo(`creation_rules:\n  - path_regex: \\.enc\\.\n    age: ${k.recipient}\n`)
  await g.cliOk(origin, ['git', 'setup', '--command', CMD])
  for (const f of FILES) {
    writeFileSync(join(origin, f), 'x: 1\ny: 2\n')
    await g.cliOk(origin, ['encrypt', '-i', f])
  }
  g.ok(origin, ['add', '.'])
  g.ok(origin, ['commit', '-q', '-m', 'base'])
})
test.after(() => t.cleanup())

function clone(): string {
  const dir = join(t.dir, `clone${n++}`)
  g.ok(t.dir, ['clone', '-q', origin, dir])
  return dir
}
const notices = (s: string) => s.split('\n').filter((l) => l.includes('this clone is not set up'))

test('fresh clone without driver config: check prints the fix once (not per file); after git setup, nothing', async () => {
  const c = clone()
  const r = await g.cliOk(c, ['check'])
  assert.match(r.stdout, /3 files checked/)
  assert.is(notices(r.stderr).length, 1, r.stderr)
  assert.match(r.stderr, /lacks diff\.sops-like\.textconv and merge\.sops-like\.driver .*run `sops-like git setup` once in this clone/)
  await g.cliOk(c, ['git', 'setup', '--command', CMD])
  assert.is(notices((await g.cliOk(c, ['check'])).stderr).length, 0)
})

test('textconv: git diff over three files prints the notice once; a second diff right after stays quiet', async () => {
  const c = clone()
  g.ok(c, ['config', 'diff.sops-like.textconv', `${CMD} textconv`]) // diff driver only: merge driver missing
  for (const f of FILES) await g.cliOk(c, ['set', f, '["x"]', '"changed"'])
  const d = g.git(c, ['diff'])
  assert.is(d.code, 0, d.stderr)
  assert.is((d.stdout.match(/^\+x: changed$/gm) ?? []).length, 3, d.stdout)
  assert.is(notices(d.stderr).length, 1, d.stderr)
  assert.match(d.stderr, /lacks merge\.sops-like\.driver/)
  assert.is(notices(g.git(c, ['diff']).stderr).length, 0)
})

test('merge driver: a clone with only the merge driver is told about the missing diff driver', async () => {
  const c = clone()
  g.ok(c, ['config', 'merge.sops-like.driver', `${CMD} git merge %O %A %B %P`])
  g.ok(c, ['checkout', '-q', '-b', 'side'])
  await g.cliOk(c, ['set', 'a.enc.yaml', '["x"]', '"side"'])
  g.ok(c, ['commit', '-q', '-am', 'side'])
  g.ok(c, ['checkout', '-q', 'main'])
  await g.cliOk(c, ['set', 'a.enc.yaml', '["y"]', '"main"'])
  g.ok(c, ['commit', '-q', '-am', 'main'])
  const m = g.git(c, ['merge', '--no-edit', 'side'])
  assert.is(m.code, 0, m.stdout + m.stderr)
  assert.is(notices(m.stdout + m.stderr).length, 1, m.stderr)
  assert.match(m.stderr, /lacks diff\.sops-like\.textconv/)
  const d = await g.cliOk(c, ['decrypt', 'a.enc.yaml'])
  assert.match(d.stdout, /^x: side$/m)
  assert.match(d.stdout, /^"?y"?: main$/m) // both sides kept
})

test('doctor: a git section with each missing piece and the one command; all ok once set up', async () => {
  const c = clone()
  rmSync(join(c, '.git', 'sops-like-setup-notice'), { force: true })
  const r = await g.cli(c, ['doctor', 'a.enc.yaml'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /Git integration/)
  assert.match(r.stdout, /warn {2}diff\.sops-like\.textconv is not set but \.gitattributes names the driver/)
  assert.match(r.stdout, /warn {2}merge\.sops-like\.driver is not set/)
  assert.match(r.stdout, /warn {2}no pre-commit guard/)
  assert.match(r.stdout, /ok {4}\.gitattributes covers what the creation rules and check set cover/)
  assert.match(r.stdout, /fix: sops-like git setup && sops-like git hook install/)
  assert.is(notices(r.stderr).length, 1)

  // rules grew: attributes lag behind
  writeFileSync(join(c, '.sops-like.yaml'), readFileSync(join(c, '.sops-like.yaml'), 'utf8') + `  - path_regex: ^vault/\n    age: ${k.recipient}\n`)
  const lag = await doctor(undefined, { cwd: c, env: g.env() })
  assert.ok(lag.git!.lines.some((l) => l.status === 'warn' && /\.gitattributes lacks the drivers for vault\/\*\*/.test(l.text)), JSON.stringify(lag.git))

  await g.cliOk(c, ['git', 'setup', '--hooks-path', '--command', CMD])
  const ok = await doctor('a.enc.yaml', { cwd: c, env: g.env() })
  assert.ok(ok.git, 'git section present')
  assert.equal(ok.git!.lines.map((l) => l.status), ['ok', 'ok', 'ok', 'ok'])
  assert.is(ok.git!.fix, undefined)
  // outside a repository: no git section
  const outside = await doctor(undefined, { cwd: t.dir, env: g.env() })
  assert.is(outside.git, undefined)
})

test('no git call when the config files hold what the attributes need, or a notice was printed less than a minute ago', () => {
  const dir = join(t.dir, 'plain')
  const repo = join(dir, 'repo')
  mkdirSync(join(repo, '.git', 'info'), { recursive: true })
  writeFileSync(join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n')
  // a `git` that only leaves a trace: any call is seen
  const bin = join(dir, 'bin')
  const trace = join(dir, 'git-called')
  mkdirSync(bin)
  writeFileSync(join(bin, 'git'), `#!/bin/sh\n: > '${trace}'\nexit 128\n`)
  chmodSync(join(bin, 'git'), 0o755)
  const env = { PATH: bin, HOME: join(dir, 'home') }
  writeFileSync(join(repo, '.gitattributes'), '*.enc.yaml diff=sops-like\n')
  writeFileSync(join(repo, '.git', 'config'), '[core]\n\tbare = false\n[diff "sops-like"]\n\ttextconv = sops-like textconv\n') // as git init and git config write it
  assert.is(cloneSetupGap({ cwd: repo, env }), undefined)
  assert.not.ok(existsSync(trace), 'only the diff driver is named and it is set: git is not asked')
  writeFileSync(join(repo, '.gitattributes'), '*.enc.yaml diff=sops-like merge=sops-like\n')
  assert.is(cloneSetupGap({ cwd: repo, env }), undefined, 'git (here failing) is asked when the merge driver is not in the files')
  assert.ok(existsSync(trace))
  rmSync(trace)
  writeFileSync(join(repo, '.git', 'sops-like-setup-notice'), '')
  assert.is(cloneSetupNoticeOnce({ cwd: repo, env }), undefined)
  assert.not.ok(existsSync(trace), 'a fresh stamp: quiet without asking git')
})

test.run()
