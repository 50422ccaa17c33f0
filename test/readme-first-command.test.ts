/**
 * The README's first command (`npm ci && npm run demo`), taken from the README and run literally,
 * as a newcomer would, in a fresh `git clone` of this repository's HEAD in a temporary folder:
 * npm installs from its cache where it can (`prefer-offline`; the registry is used only for what
 * the cache lacks), `prepare` builds, and the demo runs to the end. Slow (a whole `npm ci`): it is
 * in the e2e set. Uncommitted changes are not in the clone: it checks what would be pushed.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tempDir } from './helpers/keys.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** The first line of the README's first sh block, without its comment. */
export function firstCommand(readme: string): string {
  const block = /^```sh\n([\s\S]*?)^```$/m.exec(readme)?.[1] ?? ''
  return (block.split('\n')[0] ?? '').replace(/\s+#.*$/, '').trim()
}

/** No key variables of the developer, none of the `npm_*` that `npm test` sets; npm's own cache, preferred over the network. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!/^SOPS_/.test(k) && !/^npm_/.test(k)) env[k] = v
  return {
    ...env,
    npm_config_cache: process.env.npm_config_cache ?? join(homedir(), '.npm'),
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  }
}

const run = (cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> =>
  spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })

test('README\'s first command, run literally in a fresh clone, installs, builds and runs the demo to the end', () => {
  const command = firstCommand(readFileSync(join(ROOT, 'README.md'), 'utf8'))
  assert.is(command, 'npm ci && npm run demo', 'the README starts with another command: update this test with it')
  const head = run('git', ['rev-parse', 'HEAD'], ROOT)
  if (head.status !== 0) {
    console.log('  (not a git checkout: README first-command test skipped)')
    return
  }
  const t = tempDir('sops-like-first-command-')
  try {
    const clone = join(t.dir, 'sops-like')
    const c = run('git', ['clone', '-q', '--no-checkout', ROOT, clone], t.dir)
    assert.is(c.status, 0, c.stderr)
    const co = run('git', ['-c', 'advice.detachedHead=false', 'checkout', '-q', head.stdout.trim()], clone)
    assert.is(co.status, 0, co.stderr)
    assert.not.ok(existsSync(join(clone, 'node_modules')) || existsSync(join(clone, 'dist')))
    const r = run('sh', ['-ec', command], clone)
    assert.is(r.status, 0, `${command} failed (exit ${r.status}): ${r.error?.message ?? ''}${(r.stdout + r.stderr).slice(-3000)}`)
    assert.ok(existsSync(join(clone, 'dist', 'cli', 'main.cjs')), 'prepare built the CLI')
    for (const f of ['app.env', 'config.json', 'settings.ini', 'settings.toml', 'notes.txt']) assert.match(r.stdout, new RegExp(`^ok   ${f.replace('.', '\\.')}$`, 'm'))
    assert.match(r.stdout, /demo finished/)
  } finally {
    t.cleanup()
  }
})

test('firstCommand: the first line of the first sh block, comment dropped', () => {
  assert.is(firstCommand('# x\n\n```sh\nnpm ci && npm run demo     # install\nnpm test\n```\n'), 'npm ci && npm run demo')
})

test.run()
