/**
 * config-peek.ts: our driver entries read from git config files without starting git. It may
 * only ever answer "both set"; whatever it cannot tell (a missing key, an include it does not
 * follow, no repository) is "unknown", and clone-setup.ts then asks git.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { configKeys, keysSetInConfigFiles } from '../../../src/ops/git/config-peek.js'
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

test.run()
