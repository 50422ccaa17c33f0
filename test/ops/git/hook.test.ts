/** git hook install / uninstall, in process: uninstall deletes only a hook that is exactly ours, never follows a link. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { existsSync, lstatSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { hookScriptFor, installGitHooks, isOurScript, uninstallHook } from '../../../src/ops/git/hook.js'
import { tempDir } from '../../helpers/keys.js'
import { isolatedEnv } from '../../helpers/cli.js'

const env = isolatedEnv({})
function repo(): { dir: string; hooks: string; cleanup: () => void } {
  const t = tempDir()
  execFileSync('git', ['init', '-q', t.dir], { env })
  return { dir: t.dir, hooks: join(t.dir, '.git', 'hooks'), cleanup: t.cleanup }
}

test('isOurScript: the scripts install writes, for any command; an edited one is not', () => {
  for (const n of ['pre-commit', 'post-merge', 'post-rewrite'] as const) {
    assert.ok(isOurScript(n, hookScriptFor(n)), n)
    assert.ok(isOurScript(n, hookScriptFor(n, 'npx sops-like')), n)
    assert.not.ok(isOurScript(n, hookScriptFor(n) + 'curl https://example.invalid\n'), n)
  }
})

test('hand-merged hook: uninstall leaves a hook that carries our marker plus the user\'s own commands (install told them to merge by hand)', () => {
  const r = repo()
  try {
    installGitHooks({ cwd: r.dir, env })
    const p = join(r.hooks, 'pre-commit')
    const merged = readFileSync(p, 'utf8').replace('#!/bin/sh\n', '#!/bin/sh\n./scripts/lint-staged.sh || exit 1\n')
    writeFileSync(p, merged)
    assert.is(uninstallHook('pre-commit', { cwd: r.dir, env }).action, 'foreign')
    assert.is(readFileSync(p, 'utf8'), merged, 'the merged hook is untouched')
    // the untouched ones are still removed
    assert.is(uninstallHook('post-merge', { cwd: r.dir, env }).action, 'removed')
    assert.not.ok(existsSync(join(r.hooks, 'post-merge')))
  } finally {
    r.cleanup()
  }
})

test('symlinked hook: uninstall neither deletes the link nor its target, even when the target is our script', () => {
  const r = repo()
  const t = tempDir()
  try {
    const target = join(t.dir, 'shared-pre-commit')
    writeFileSync(target, hookScriptFor('pre-commit'))
    const p = join(r.hooks, 'pre-commit')
    if (existsSync(p)) unlinkSync(p)
    symlinkSync(target, p)
    assert.is(uninstallHook('pre-commit', { cwd: r.dir, env }).action, 'foreign')
    assert.ok(lstatSync(p).isSymbolicLink())
    assert.is(readFileSync(target, 'utf8'), hookScriptFor('pre-commit'))
  } finally {
    r.cleanup()
    t.cleanup()
  }
})

test.run()
