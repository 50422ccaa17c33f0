/**
 * README.md's "A five-minute tour", run as written. The shell block is taken from the
 * README literally and split into its numbered steps; each step runs with `bash -e -o
 * pipefail` in a new git repository, as the installed CLI (bin/sops-like.cjs through a
 * `sops-like` on PATH), with a HOME of its own. What the test adds, and nothing else:
 *   - placeholders `age1NAME…` become real recipients: `age1alice…` is what step 1's
 *     `sops-like keygen` printed, any other name gets a fresh key made by the test;
 *   - the files a reader already has: `secrets.yaml`, a `package.json` whose start/test
 *     scripts need `db_password`, and a non-interactive `$EDITOR` (it appends one line);
 *   - the prose of step 7 ("add her recipient to .sops-like.yaml") done by editing the config;
 *   - step 6 ("every other clone") runs in a `git clone` of the repository, step 9 ("CI")
 *     with an empty HOME and the identity in SOPS_AGE_KEY.
 * After the tour: the pre-commit guard refuses plaintext named like the encrypted files
 * (the issue's `git add -f leaked.enc.yaml .env.enc.bak`), and nothing is committed.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(ROOT, 'bin/sops-like.cjs')
const BUILT = existsSync(join(ROOT, 'dist/cli'))
const PASSWORD = 'tour-canary-5b1e0c'

interface Step { title: string; script: string }

/** The numbered steps of the README's tour (the `# N.` comments start one; the last comment-led block too). */
export function tourSteps(readme: string): Step[] {
  const section = readme.slice(readme.indexOf('## A five-minute tour'))
  const block = /```sh\n([\s\S]*?)```/.exec(section.slice(0, section.indexOf('\n## ', 5)))
  if (!block) throw new Error('README.md: no sh block in "A five-minute tour"')
  const steps: Step[] = []
  for (const line of block[1]!.split('\n')) {
    if (/^# (\d+\.|something)/.test(line)) steps.push({ title: line.slice(2), script: '' })
    else if (steps.length) steps[steps.length - 1]!.script += line + '\n'
  }
  return steps
}

let t: ReturnType<typeof tempDir>
let bin: string
let home: string
let repo: string
const keys = new Map<string, TestKey>()
let alice = ''

test.before(() => {
  t = tempDir('sops-like-tour-')
  bin = join(t.dir, 'bin')
  home = join(t.dir, 'home-alice')
  repo = join(t.dir, 'project')
  for (const d of [bin, home, repo]) mkdirSync(d)
  writeFileSync(join(bin, 'sops-like'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`)
  chmodSync(join(bin, 'sops-like'), 0o755)
  const editor = join(bin, 'tour-editor')
  writeFileSync(editor, '#!/bin/sh\nprintf \'edited: "by the tour"\\n\' >> "$1"\n')
  chmodSync(editor, 0o755)
  writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Alice\n\temail = alice@example.com\n[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n')
})
test.after(() => t.cleanup())

function env(h = home, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    HOME: h,
    XDG_CONFIG_HOME: join(h, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_PAGER: 'cat',
    PAGER: 'cat',
    EDITOR: join(bin, 'tour-editor'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_cache: join(t.dir, 'npm-cache'),
    ...extra,
  }
}

interface Out { code: number; stdout: string; stderr: string }
function sh(script: string, cwd: string, e: NodeJS.ProcessEnv): Out {
  const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd, env: e, encoding: 'utf8' })
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr }
}

/** Real recipients for the `age1NAME…` placeholders (alice: step 1's key; others: made here). */
async function substitute(script: string): Promise<string> {
  for (const m of script.matchAll(/age1([a-z]+)…/g)) {
    const name = m[1]!
    if (name === 'alice' || keys.has(name)) continue
    keys.set(name, await makeAgeKey(t.dir, name))
  }
  return script.replace(/age1([a-z]+)…/g, (_, name: string) => (name === 'alice' ? alice : keys.get(name)!.recipient))
}

test('the README tour runs as written, top to bottom, and its guard refuses plaintext', async () => {
  if (!BUILT) { console.log('  tour: skipped (run npm run build first: the tour uses the built CLI)'); return }
  const steps = tourSteps(readFileSync(join(ROOT, 'README.md'), 'utf8'))
  assert.ok(steps.length >= 9, `tour steps found: ${steps.map((s) => s.title).join(' | ')}`)
  assert.is(sh('git init -q', repo, env()).code, 0)
  writeFileSync(join(repo, 'secrets.yaml'), `db:\n  user: app\n  password: ${PASSWORD}\n`)
  const needPw = `node -e "process.exit(process.env.db_password === '${PASSWORD}' || process.env.db_password === 'n3w' ? 0 : 7)"`
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'tour', private: true, scripts: { start: needPw, test: needPw } }, null, 2))

  for (const step of steps) {
    const n = Number(/^(\d+)\./.exec(step.title)?.[1] ?? 0)
    const script = await substitute(step.script)
    let cwd = repo
    let e = env()
    if (n === 6) {
      // "every other clone": a fresh clone is not set up, and check says the one command that fixes it
      const clone = join(t.dir, 'clone')
      assert.is(sh(`git clone -q '${repo}' '${clone}'`, t.dir, env()).code, 0)
      const before = sh('sops-like check', clone, env())
      assert.is(before.code, 0, before.stderr)
      assert.match(before.stderr, /this clone is not set up.*sops-like git setup --hooks-path/)
      assert.is(before.stderr.split('\n').filter((l) => l.includes('not set up')).length, 1)
      cwd = clone
    }
    if (n === 7) {
      // the prose "add her recipient to .sops-like.yaml"
      const carol = await makeAgeKey(t.dir, 'carol')
      const cfgPath = join(repo, '.sops-like.yaml')
      const cfg = readFileSync(cfgPath, 'utf8')
      const teamLine = `${alice},${keys.get('bob')!.recipient}`
      assert.ok(cfg.includes(teamLine), 'the team rule is where the tour put it')
      writeFileSync(cfgPath, cfg.replace(teamLine, `${teamLine},${carol.recipient}`))
      keys.set('carol', carol)
    }
    if (n === 9) {
      // CI: no keys.txt, the identity in SOPS_AGE_KEY
      const ciHome = join(t.dir, 'home-ci')
      mkdirSync(ciHome)
      const keysTxt = readFileSync(join(home, '.config/sops/age/keys.txt'), 'utf8')
      e = env(ciHome, { SOPS_AGE_KEY: keysTxt })
    }
    const r = sh(script, cwd, e)
    assert.is(r.code, 0, `step "${step.title}" failed (exit ${r.code}):\n${r.stderr}`)
    if (n === 1) {
      alice = /age1[0-9a-z]{58}/.exec(r.stdout + r.stderr)?.[0] ?? ''
      assert.ok(alice, 'keygen printed a recipient')
    }
    if (n === 3) {
      const attrs = readFileSync(join(repo, '.gitattributes'), 'utf8')
      assert.ok(attrs.includes('*.enc.* diff=sops-like merge=sops-like'), attrs)
      assert.ok(existsSync(join(repo, '.githooks/pre-commit')))
    }
    if (n === 4) {
      assert.not.ok(existsSync(join(repo, 'secrets.yaml')))
      const committed = sh('git show HEAD:secrets.enc.yaml', repo, env()).stdout
      assert.ok(committed.includes('ENC[AES256_GCM,') && !committed.includes(PASSWORD), 'the committed file is encrypted')
      assert.is(sh('git log --oneline', repo, env()).stdout.split('\n').filter(Boolean).length, 1)
    }
    if (n === 5) {
      assert.match(r.stdout, new RegExp(PASSWORD)) // decrypt
      assert.match(r.stdout, /^\+\s+password: n3w$/m, r.stdout) // git diff through the textconv driver
      assert.match(r.stdout, /^\+edited: by the tour$/m)
    }
    if (n === 6) {
      const after = sh('sops-like check', cwd, env())
      assert.is(after.code, 0, after.stderr)
      assert.not.match(after.stderr, /not set up/)
      assert.is(sh('git config core.hooksPath', cwd, env()).stdout.trim(), '.githooks')
    }
    if (n === 8) {
      const cfg = readFileSync(join(repo, '.sops-like.yaml'), 'utf8')
      assert.not.ok(cfg.includes(keys.get('bob')!.recipient), 'bob left the config')
      assert.not.ok(readFileSync(join(repo, 'secrets.enc.yaml'), 'utf8').includes(keys.get('bob')!.recipient), 'bob left the file')
    }
  }

  // the guard: plaintext named like an encrypted file cannot be committed, even with add -f
  writeFileSync(join(repo, 'leaked.enc.yaml'), `password: ${PASSWORD}\n`)
  writeFileSync(join(repo, '.env.enc.bak'), `DB_PASSWORD=${PASSWORD}\n`)
  const head = sh('git rev-parse HEAD', repo, env()).stdout
  const r = sh('git add -A && git add -f leaked.enc.yaml .env.enc.bak && git commit -q -m "oops"', repo, env())
  assert.is.not(r.code, 0, 'the commit of plaintext went through')
  assert.match(r.stderr, /leaked\.enc\.yaml: is not encrypted/)
  assert.match(r.stderr, /\.env\.enc\.bak: is not encrypted/)
  assert.not.ok(r.stderr.includes(PASSWORD), 'the guard printed a value')
  assert.is(sh('git rev-parse HEAD', repo, env()).stdout, head)
})

test.run()
