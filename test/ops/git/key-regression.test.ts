/**
 * `check --since` / `--merging` (src/ops/git/key-regression.ts) on hand-made histories in
 * real git. The check needs no key, so the files carry made-up recipients and wrapped
 * keys: only the metadata is compared.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { checkKeyRegressions } from '../../../src/ops/git/key-regression.js'
import { tempDir } from '../../helpers/keys.js'

let t: ReturnType<typeof tempDir>
test.before(() => { t = tempDir('sops-like-regress-') })
test.after(() => t.cleanup())

const env = { PATH: process.env.PATH ?? '', HOME: '/nonexistent-home', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' }
const F = 'secrets.enc.yaml'

function git(repo: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd: repo, env, encoding: 'utf8' })
  assert.is(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`)
  return r.stdout.trim()
}

/** A sops-shaped file: `keys` maps recipient → wrapped key (made up). */
const file = (value: string, keys: Record<string, string>): string =>
  `token: ENC[AES256_GCM,data:${value},iv:AAAA,tag:AAAA,type:str]\nsops:\n    age:\n` +
  Object.entries(keys).map(([r, e]) => `        - recipient: ${r}\n          enc: |\n            ${e}\n`).join('') +
  '    lastmodified: "2024-01-01T00:00:00Z"\n    mac: ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]\n    version: 3.13.2\n'

let n = 0
function repo(): string {
  const dir = join(t.dir, `r${n++}`)
  mkdirSync(dir)
  git(dir, 'init', '-q', '-b', 'main')
  return dir
}
function commit(dir: string, text: string, msg: string): string {
  writeFileSync(join(dir, F), text)
  git(dir, 'add', F)
  git(dir, 'commit', '-q', '-m', msg)
  return git(dir, 'rev-parse', 'HEAD')
}
/** Records a merge of `other` whose result is `text` (what a merge without the driver may produce). */
function mergeAs(dir: string, other: string, text: string): void {
  spawnSync('git', ['merge', '-q', '--no-commit', '-s', 'ours', other], { cwd: dir, env })
  writeFileSync(join(dir, F), text)
  git(dir, 'add', F)
  git(dir, 'commit', '-q', '--no-edit')
}

const BASE = file('v0', { age1alice: 'K0a', age1bob: 'K0b' })
const OFFBOARDED = file('v0', { age1alice: 'K1a' }) // bob removed, key rotated
const STALE = file('v1', { age1alice: 'K0a', age1bob: 'K0b' }) // a value changed, old keys

/** main: base → offboard bob; feature (from base): a value change. Returns the feature commit. */
function story(dir: string): string {
  commit(dir, BASE, 'base')
  git(dir, 'checkout', '-q', '-b', 'feature')
  const stale = commit(dir, STALE, 'stale change')
  git(dir, 'checkout', '-q', 'main')
  commit(dir, OFFBOARDED, 'offboard bob')
  git(dir, 'checkout', '-q', 'feature')
  return stale
}

test('attack: a merge that keeps the stale side re-lists offboarded bob — flagged with rotate --rm-age, once per file', async () => {
  const dir = repo()
  const stale = story(dir)
  mergeAs(dir, 'main', STALE)
  const r = await checkKeyRegressions({ since: stale, cwd: dir, env })
  assert.is(r.commits, 2)
  assert.equal(r.problems.map((p) => [p.file, p.kind, p.recipient?.id]), [[F, 'recipient-back', 'age1bob']])
  assert.match(r.problems[0]!.message, /^secrets\.enc\.yaml: age age1bob can read it again: commit \w{10} lists this recipient, which \w{10} had removed .*; run sops-like rotate --rm-age age1bob secrets\.enc\.yaml, then commit and push$/)
})

test('a correct merge (bob out, a new key), a later fix, and an addition on one side are not flagged', async () => {
  const dir = repo()
  const stale = story(dir)
  mergeAs(dir, 'main', file('v1', { age1alice: 'K2a', age1dave: 'K2d' })) // dave added on this side: fine
  assert.equal((await checkKeyRegressions({ since: stale, cwd: dir, env })).problems, [])
  const dir2 = repo()
  const stale2 = story(dir2)
  mergeAs(dir2, 'main', STALE)
  commit(dir2, file('v1', { age1alice: 'K3a' }), 'fixed: rotate --rm-age bob')
  assert.equal((await checkKeyRegressions({ since: stale2, cwd: dir2, env })).problems, []) // no longer in effect at HEAD
})

test('attack: a rotation undone by a stale rebased commit (no recipient change) — data key back, flagged with rotate', async () => {
  const dir = repo()
  commit(dir, BASE, 'base')
  git(dir, 'checkout', '-q', '-b', 'feature')
  const stale = commit(dir, STALE, 'stale change')
  git(dir, 'checkout', '-q', 'main')
  commit(dir, file('v0', { age1alice: 'K1a', age1bob: 'K1b' }), 'rotate')
  // the stale commit replayed on top of main, keeping its own (old-key) file: what a rebase conflict "take mine" gives
  commit(dir, STALE, 'stale change (rebased)')
  const r = await checkKeyRegressions({ since: stale, cwd: dir, env })
  assert.equal(r.problems.map((p) => p.kind), ['key-back'])
  assert.match(r.problems[0]!.message, /its data key went back to the one from before the rotation in \w{10} \(commit \w{10}\); run sops-like rotate secrets\.enc\.yaml, then commit and push$/)
})

test('--merging: the staged result of a conflicted merge is compared with HEAD and MERGE_HEAD', async () => {
  const dir = repo()
  story(dir)
  assert.is((await checkKeyRegressions({ merging: true, cwd: dir, env })).noMerge, true)
  spawnSync('git', ['merge', '-q', '--no-commit', 'main'], { cwd: dir, env }) // stops before committing, as on a conflict
  writeFileSync(join(dir, F), STALE) // "take ours"
  git(dir, 'add', F)
  const r = await checkKeyRegressions({ merging: true, cwd: dir, env })
  assert.equal(r.problems.map((p) => [p.kind, p.commit, p.recipient?.id]), [['recipient-back', '', 'age1bob']])
  assert.match(r.problems[0]!.message, /the staged merge result lists this recipient.*then git add it and commit$/)
  writeFileSync(join(dir, F), file('v1', { age1alice: 'K5a' }))
  git(dir, 'add', F)
  assert.equal((await checkKeyRegressions({ merging: true, cwd: dir, env })).problems, [])
})

test.run()
