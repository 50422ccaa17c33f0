/**
 * Selector downgrade: the selectors in a file's metadata are not authenticated. Changing
 * `unencrypted_suffix` into `unencrypted_regex: ^api_token$` needs no key and keeps the MAC
 * valid; the next `set`/`edit` would write `api_token` in clear. `set`/`edit` refuse
 * (exit 41) unless `--allow-unencrypted`; `check` and `status` report selectors that differ
 * from the creation rule. Real git repositories in temp folders.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createAgeRecipient } from '../../../src/keys/age.js'
import { checkFiles } from '../../../src/ops/git/check.js'
import { decryptBytes } from '../../../src/ops/crypt/decrypt.js'
import { editFile } from '../../../src/ops/edit/edit.js'
import { encryptBytes } from '../../../src/ops/crypt/encrypt.js'
import { selectorDifferences } from '../../../src/ops/keys/selector-guard.js'
import { setValue } from '../../../src/ops/edit/set.js'
import { fileStatus } from '../../../src/ops/keys/status.js'
import type { SopsLikeError } from '../../../src/errors.js'
import type { Selectors } from '../../../src/core/selection.js'
import { isolatedEnv, runCli } from '../../helpers/cli.js'
import { CANARY } from '../../helpers/fixtures.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'

let t: ReturnType<typeof tempDir>
let k: TestKey
let n = 0
test.before(async () => {
  t = tempDir('sops-like-selectors-')
  k = await makeAgeKey(t.dir)
})
test.after(() => t.cleanup())

const env = () => isolatedEnv({ GIT_CONFIG_NOSYSTEM: '1', SOPS_AGE_KEY_FILE: k.file })
const git = (dir: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, env: env(), stdio: 'pipe' })
const NAME = 'secrets.enc.yaml'
const PLAIN = `user: admin\npassword: ${CANARY}\n`
const TOKEN = 'TOKEN-that-must-stay-encrypted'
const strValue = (text: string) => ({ kind: 'scalar' as const, type: 'str' as const, text })

async function repoWith(plain = PLAIN, o: { git?: boolean; selectors?: Selectors } = {}): Promise<string> {
  const dir = join(t.dir, `repo${n++}`)
  mkdirSync(dir)
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${k.recipient}\n`)
  const bytes = await encryptBytes(Buffer.from(plain), { inputFormat: 'yaml', groups: [[createAgeRecipient(k.recipient)]], ...(o.selectors ? { selectors: o.selectors } : {}) })
  writeFileSync(join(dir, NAME), bytes)
  if (o.git !== false) {
    git(dir, 'init', '-q')
    git(dir, 'add', '-A')
    git(dir, 'commit', '-q', '-m', 'secrets')
  }
  return dir
}

/** The attack: no key needed, only the metadata's selector is edited; the MAC still verifies. */
function downgradeSelector(dir: string): void {
  const p = join(dir, NAME)
  const text = readFileSync(p, 'utf8')
  assert.ok(text.includes('unencrypted_suffix: _unencrypted'))
  writeFileSync(p, text.replace('unencrypted_suffix: _unencrypted', 'unencrypted_regex: ^api_token$'))
}

const fileText = (dir: string) => readFileSync(join(dir, NAME), 'utf8')
const decrypts = async (dir: string) => Buffer.from(await decryptBytes(readFileSync(join(dir, NAME)), { inputFormat: 'yaml', env: env() })).toString('utf8')

async function expectDowngrade(p: Promise<unknown>): Promise<SopsLikeError> {
  try {
    await p
  } catch (e) {
    const err = e as SopsLikeError
    assert.is(err.exitCode, 41, err.message)
    assert.is(err.code, 'SELECTOR_DOWNGRADE')
    assert.not.ok(err.message.includes(TOKEN) || err.message.includes(CANARY) || err.message.includes('^api_token$'), 'no value or selector text in the message')
    return err
  }
  assert.unreachable('expected SelectorDowngradeError')
  throw new Error('unreachable')
}

test('selector downgrade attack: set refuses to write api_token in clear after unencrypted_regex ^api_token$ was planted', async () => {
  const dir = await repoWith()
  downgradeSelector(dir)
  assert.match(await decrypts(dir), /password: CANARY/) // the MAC still verifies: the change needed no key
  const before = fileText(dir)
  const err = await expectDowngrade(setValue(NAME, '["api_token"]', strValue(TOKEN), { env: env(), cwd: dir }))
  assert.match(err.message, /\["api_token"\] in clear: the selectors of the last commit encrypt it/)
  assert.match(err.message, /--allow-unencrypted/)
  assert.is(fileText(dir), before, 'nothing written')
})

test('selector downgrade attack: --allow-unencrypted writes the value in clear (what the old code did silently)', async () => {
  const dir = await repoWith()
  downgradeSelector(dir)
  await setValue(NAME, '["api_token"]', strValue(TOKEN), { env: env(), cwd: dir, allowUnencrypted: true })
  assert.ok(fileText(dir).includes(`api_token: ${TOKEN}`))
})

test('selector downgrade attack: sops-like set (CLI) exits 41 without writing; --allow-unencrypted overrides', async () => {
  const dir = await repoWith()
  downgradeSelector(dir)
  const before = fileText(dir)
  const r = await runCli(['set', NAME, '["api_token"]', JSON.stringify(TOKEN)], { env: env(), cwd: dir })
  assert.is(r.code, 41, r.stderr)
  assert.match(r.stderr, /refusing to write \["api_token"\] in clear/)
  assert.not.ok((r.stdout + r.stderr).includes(TOKEN))
  assert.is(fileText(dir), before)
  const r2 = await runCli(['set', '--allow-unencrypted', NAME, '["api_token"]', JSON.stringify(TOKEN)], { env: env(), cwd: dir })
  assert.is(r2.code, 0, r2.stderr)
})

test('selector downgrade attack: edit refuses to save api_token in clear', async () => {
  const dir = await repoWith()
  downgradeSelector(dir)
  const before = fileText(dir)
  await expectDowngrade(editFile(NAME, { env: env(), cwd: dir, editor: ['sh', '-c', `printf 'api_token: ${TOKEN}\\n' >> "$1"`, 'editor'] }))
  assert.is(fileText(dir), before)
})

test('selector downgrade attack committed to HEAD: check and status report selectors that differ from the creation rule', async () => {
  const dir = await repoWith()
  downgradeSelector(dir)
  git(dir, 'commit', '-qam', 'innocent-looking change')
  const r = await checkFiles({ cwd: dir, env: env() })
  const p = r.problems.find((x) => x.kind === 'selectors')
  assert.ok(p, JSON.stringify(r.problems))
  assert.match(p!.message, /unencrypted_suffix, unencrypted_regex|unencrypted_regex/)
  assert.not.ok(p!.message.includes('^api_token$'))
  const s = await fileStatus(NAME, { cwd: dir, env: env() })
  assert.is(s.selectorsMatchRule, false)
  assert.equal(s.selectorDiff, ['unencrypted_suffix', 'unencrypted_regex'])
  const cli = await runCli(['status', NAME], { env: env(), cwd: dir })
  assert.is(cli.code, 0, cli.stderr)
  assert.match(cli.stdout, /selectors: differ from the creation rule \(unencrypted_suffix, unencrypted_regex\)/)
  const chk = await runCli(['check', NAME], { env: env(), cwd: dir })
  assert.is(chk.code, 40)
})

test('files whose selectors match their rule: check and status are quiet', async () => {
  const dir = await repoWith()
  const r = await checkFiles({ cwd: dir, env: env() })
  assert.equal(r.problems, [])
  const s = await fileStatus(NAME, { cwd: dir, env: env() })
  assert.is(s.selectorsMatchRule, true)
  assert.is(s.selectorDiff, undefined)
})

test('a value the file as read kept encrypted is not written in clear (comment selector removed in the editor), also outside git', async () => {
  const dir = await repoWith(`# sops:enc\npassword: ${CANARY}\nuser: admin\n`, { git: false, selectors: { encrypted_comment_regex: 'sops:enc' } })
  assert.ok(fileText(dir).includes('user: admin'), 'user is in clear, password encrypted')
  const err = await expectDowngrade(editFile(NAME, { env: env(), cwd: dir, editor: ['sh', '-c', `sed -i '/sops:enc/d' "$1"`, 'editor'] }))
  assert.match(err.message, /\["password"\] in clear: the file as read held it encrypted/)
  // unrelated writes keep working: password stays encrypted, user stays clear
  await setValue(NAME, '["port"]', strValue('5432'), { env: env(), cwd: dir })
  assert.ok(fileText(dir).includes('user: admin') && !fileText(dir).includes(CANARY))
})

test('no false alarm: values clear by unchanged selectors, lists mixing encrypted and clear items', async () => {
  const dir = await repoWith(`note_unencrypted: hello\nhosts:\n  # sops:enc\n  - ${CANARY}\n  - b.example.com\n`, { selectors: { encrypted_comment_regex: 'sops:enc' } })
  await setValue(NAME, '["other"]', strValue('x'), { env: env(), cwd: dir })
  const dir2 = await repoWith(`note_unencrypted: hello\npassword: ${CANARY}\n`)
  await setValue(NAME, '["note_unencrypted"]', strValue('changed'), { env: env(), cwd: dir2 })
  await setValue(NAME, '["extra_unencrypted"]', strValue('new'), { env: env(), cwd: dir2 })
  assert.ok(fileText(dir2).includes('extra_unencrypted: new'))
})

test('selectorDifferences applies sops\' default selector and ignores binary files', () => {
  assert.equal(selectorDifferences({}, { unencrypted_suffix: '_unencrypted' }, 'yaml'), [])
  assert.equal(selectorDifferences({ encrypted_regex: '^a$' }, {}, 'json'), ['unencrypted_suffix', 'encrypted_regex'])
  assert.equal(selectorDifferences({ mac_only_encrypted: true }, {}, 'yaml'), ['mac_only_encrypted'])
  assert.equal(selectorDifferences({ encrypted_regex: '^a$' }, {}, 'binary'), [])
})

test.run()
