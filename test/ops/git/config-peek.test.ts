/**
 * config-peek.ts: our driver entries read from git config files without starting git. It may
 * only ever answer "both set"; whatever it cannot tell (a missing key, an include it does not
 * follow, no repository) is "unknown", and clone-setup.ts then asks git.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { configKeys, keysSetInConfigFiles, peekRepository } from '../../../src/ops/git/config-peek.js'
import { tempDir } from '../../helpers/keys.js'

const KEYS = ['diff.sops-like.textconv', 'merge.sops-like.driver']
const BOTH = '[core]\n\tbare = false\n[diff "sops-like"]\n\ttextconv = sops-like textconv\n[merge "sops-like"]\n\tname = x\n\tdriver = sops-like git merge %O %A %B %P\n'

test('configKeys: sections, subsections, the old dotted spelling, key case, empty values', () => {
  const k = configKeys('[Diff "sops-like"]\n  TextConv = a ; comment\n[merge.sops-like]\ndriver=b\n[diff "other"]\ntextconv =\n')
  assert.ok(k.has('diff.sops-like.textconv'))
  assert.ok(k.has('merge.sops-like.driver'))
  assert.not.ok(k.has('diff.other.textconv'), 'an empty value is not set')
  assert.not.ok(configKeys('[diff "Sops-Like"]\ntextconv = a\n').has('diff.sops-like.textconv'), 'subsections are case-sensitive')
})

test('keysSetInConfigFiles: both in .git/config → true, from a subfolder too; one missing → unknown', () => {
  const t = tempDir()
  try {
    const env = { HOME: join(t.dir, 'home') }
    mkdirSync(join(t.dir, 'repo', '.git'), { recursive: true })
    mkdirSync(join(t.dir, 'repo', 'sub'))
    writeFileSync(join(t.dir, 'repo', '.git', 'config'), BOTH)
    assert.is(keysSetInConfigFiles(KEYS, join(t.dir, 'repo'), env), true)
    assert.is(keysSetInConfigFiles(KEYS, join(t.dir, 'repo', 'sub'), env), true)
    writeFileSync(join(t.dir, 'repo', '.git', 'config'), '[diff "sops-like"]\n\ttextconv = x\n')
    assert.is(keysSetInConfigFiles(KEYS, join(t.dir, 'repo'), env), undefined)
    // the other entry in the user's global config completes it
    writeFileSync(join(t.dir, 'global'), '[merge "sops-like"]\n\tdriver = y\n')
    assert.is(keysSetInConfigFiles(KEYS, join(t.dir, 'repo'), { ...env, GIT_CONFIG_GLOBAL: join(t.dir, 'global') }), true)
  } finally {
    t.cleanup()
  }
})

test('keysSetInConfigFiles: an include it does not follow, or no repository, is unknown (git is asked)', () => {
  const t = tempDir()
  try {
    const env = { HOME: join(t.dir, 'home') }
    assert.is(keysSetInConfigFiles(KEYS, t.dir, env), undefined)
    mkdirSync(join(t.dir, 'repo', '.git'), { recursive: true })
    writeFileSync(join(t.dir, 'repo', '.git', 'config'), '[include]\n\tpath = drivers.inc\n')
    writeFileSync(join(t.dir, 'repo', '.git', 'drivers.inc'), BOTH)
    assert.is(keysSetInConfigFiles(KEYS, join(t.dir, 'repo'), env), undefined)
  } finally {
    t.cleanup()
  }
})

test('keysSetInConfigFiles: a linked worktree (.git file) reads the common config', () => {
  const t = tempDir()
  try {
    const env = { HOME: join(t.dir, 'home') }
    const common = join(t.dir, 'main', '.git')
    mkdirSync(join(common, 'worktrees', 'wt'), { recursive: true })
    writeFileSync(join(common, 'config'), BOTH)
    writeFileSync(join(common, 'worktrees', 'wt', 'commondir'), '../..\n')
    mkdirSync(join(t.dir, 'wt'))
    writeFileSync(join(t.dir, 'wt', '.git'), `gitdir: ${join(common, 'worktrees', 'wt')}\n`)
    assert.is(keysSetInConfigFiles(KEYS, join(t.dir, 'wt'), env), true)
  } finally {
    t.cleanup()
  }
})

test('peekRepository: a plain repository gives its top folder, .git and the keys found; anything else is left to git', () => {
  const t = tempDir()
  try {
    const env = { HOME: join(t.dir, 'home') }
    const repo = join(t.dir, 'repo')
    mkdirSync(join(repo, '.git'), { recursive: true })
    mkdirSync(join(repo, 'sub'))
    assert.is(peekRepository(repo, env), undefined, 'a .git folder without HEAD is not a repository to git')
    writeFileSync(join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n')
    writeFileSync(join(repo, '.git', 'config'), '[diff "sops-like"]\n\ttextconv = x\n')
    const p = peekRepository(join(repo, 'sub'), env)
    assert.is(p?.root, repo)
    assert.is(p?.gitDir, join(repo, '.git'))
    assert.ok(p?.keys.has('diff.sops-like.textconv'))
    assert.not.ok(p?.keys.has('merge.sops-like.driver'))
    assert.is(peekRepository(join(repo, '.git'), env), undefined, 'inside the git dir: no work tree')
    assert.is(peekRepository(repo, { ...env, GIT_DIR: join(repo, '.git') }), undefined)
    assert.is(peekRepository(repo, { ...env, GIT_WORK_TREE: repo }), undefined)
    assert.is(peekRepository(t.dir, env), undefined, 'outside a repository')
    writeFileSync(join(repo, '.git', 'config'), '[core]\n\tbare = false\n')
    assert.is(peekRepository(repo, env)?.root, repo, 'git init writes bare = false')
    writeFileSync(join(repo, '.git', 'config'), '[core]\n\tbare = true\n')
    assert.is(peekRepository(repo, env), undefined, 'a bare repository has no work tree')
    writeFileSync(join(repo, '.git', 'config'), '[core]\n\tworktree = /elsewhere\n')
    assert.is(peekRepository(repo, env), undefined, 'core.worktree moves the top folder')
    const linked = join(t.dir, 'linked')
    mkdirSync(join(repo, '.git', 'worktrees', 'l'), { recursive: true })
    writeFileSync(join(repo, '.git', 'worktrees', 'l', 'commondir'), '../..\n')
    mkdirSync(linked)
    writeFileSync(join(linked, '.git'), `gitdir: ${join(repo, '.git', 'worktrees', 'l')}\n`)
    assert.is(peekRepository(linked, env), undefined, 'a linked worktree')
  } finally {
    t.cleanup()
  }
})

test.run()
