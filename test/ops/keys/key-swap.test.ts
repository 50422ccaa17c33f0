/**
 * A data key the attacker knows: they encrypt a look-alike file to the team's recipients
 * plus their own, then delete their own entry (recipients look unchanged). `set`/`edit`
 * rotate the data key when the wrapped keys differ from HEAD; `check` (and the hook, on
 * staged files) flags swapped wrapped keys whose values were not all re-encrypted.
 * Real git repositories in temp folders.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadFormat } from '../../../src/formats/index.js'
import { decryptString } from '../../../src/core/cipher.js'
import type { Mapping } from '../../../src/core/tree.js'
import { createAgeRecipient } from '../../../src/keys/age.js'
import { checkFiles } from '../../../src/ops/git/check.js'
import { openBytes, parseEncrypted } from '../../../src/ops/crypt/decrypt.js'
import { editFile } from '../../../src/ops/edit/edit.js'
import { encryptBytes } from '../../../src/ops/crypt/encrypt.js'
import { fullyReencrypted, wrappedKeysChanged } from '../../../src/ops/keys/key-swap.js'
import { emitWithMetadata, rotateFile } from '../../../src/ops/keys/rotate.js'
import { setValue } from '../../../src/ops/edit/set.js'
import { isolatedEnv, runCli } from '../../helpers/cli.js'
import { CANARY } from '../../helpers/fixtures.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'

let t: ReturnType<typeof tempDir>
let victim: TestKey
let attacker: TestKey
let n = 0
test.before(async () => {
  t = tempDir('sops-like-keyswap-')
  victim = await makeAgeKey(t.dir, 'victim')
  attacker = await makeAgeKey(t.dir, 'attacker')
})
test.after(() => t.cleanup())

const env = (key: TestKey | null = victim) => isolatedEnv({ GIT_CONFIG_NOSYSTEM: '1', ...(key ? { SOPS_AGE_KEY_FILE: key.file } : {}) })
const git = (dir: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, env: env(), stdio: 'pipe' })
const NAME = 'secrets.enc.yaml'
const PLAIN = `user: admin\npassword: ${CANARY}\n`
const NEW_SECRET = 'NEW-SECRET-after-the-swap'

const encrypt = async (plain: string, keys: TestKey[]) =>
  encryptBytes(Buffer.from(plain), { inputFormat: 'yaml', groups: [keys.map((k) => createAgeRecipient(k.recipient))] })

/** A repository whose committed secrets.enc.yaml (encrypted to the victim) holds `plain`. */
async function repoWith(plain = PLAIN, opts: { git?: boolean } = {}): Promise<string> {
  const dir = join(t.dir, `repo${n++}`)
  mkdirSync(dir)
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${victim.recipient}\n`)
  writeFileSync(join(dir, NAME), await encrypt(plain, [victim]))
  if (opts.git !== false) {
    git(dir, 'init', '-q')
    git(dir, 'add', '-A')
    git(dir, 'commit', '-q', '-m', 'secrets')
  }
  return dir
}

/**
 * The attack: a look-alike file encrypted to the victim and the attacker, the attacker's
 * entry then deleted. Returns the data key the attacker kept.
 */
async function plantLookAlike(dir: string, plain: string): Promise<Buffer> {
  const bytes = await encrypt(plain, [victim, attacker])
  const { dataKey } = await openBytes(bytes, { inputFormat: 'yaml', env: env(attacker) })
  const { tree, metadata } = await parseEncrypted(bytes, 'yaml')
  metadata.keyGroups = [metadata.keyGroups[0]!.filter((e) => e.fields.recipient !== attacker.recipient)]
  writeFileSync(join(dir, NAME), await emitWithMetadata(tree, metadata, await loadFormat('yaml')))
  return Buffer.from(dataKey)
}

/** A swap that keeps every value: the victim's entry re-wrapped for another key, values and MAC untouched. */
async function swapWrappedKeyOnly(dir: string): Promise<void> {
  const bytes = readFileSync(join(dir, NAME))
  const { tree, metadata } = await parseEncrypted(bytes, 'yaml')
  const other = await createAgeRecipient(victim.recipient).wrap(Buffer.alloc(32, 7))
  metadata.keyGroups = [[other]]
  writeFileSync(join(dir, NAME), await emitWithMetadata(tree, metadata, await loadFormat('yaml')))
}

/** The ENC text of a top-level key. */
async function encOf(dir: string, key: string): Promise<string> {
  const { tree } = await parseEncrypted(readFileSync(join(dir, NAME)), 'yaml')
  const e = (tree.branches[0] as Mapping).entries.find((x) => x.kind === 'pair' && x.key === key)
  assert.ok(e && e.kind === 'pair' && e.value.kind === 'scalar', `${key} present`)
  return (e as { value: { text: string } }).value.text
}

const opensWith = (enc: string, key: Uint8Array, aad: string): boolean => {
  try {
    decryptString(enc, key, aad, 'x')
    return true
  } catch {
    return false
  }
}

async function recipientsOf(dir: string): Promise<string[]> {
  const { metadata } = await parseEncrypted(readFileSync(join(dir, NAME)), 'yaml')
  return metadata.keyGroups.flat().map((e) => e.fields.recipient ?? '')
}

test('key swap attack: set after a look-alike file replaced the committed one rotates the data key (the attacker cannot read the new value)', async () => {
  const dir = await repoWith()
  const known = await plantLookAlike(dir, 'user: admin\npassword: placeholder\n')
  await setValue(NAME, '["api_token"]', { kind: 'scalar', type: 'str', text: NEW_SECRET }, { env: env(), cwd: dir })
  const enc = await encOf(dir, 'api_token')
  assert.not.ok(opensWith(enc, known, 'api_token:'), 'the new secret is under the attacker\'s data key')
  assert.equal(await recipientsOf(dir), [victim.recipient], 'same recipients after the rotation')
  const doc = await openBytes(readFileSync(join(dir, NAME)), { inputFormat: 'yaml', env: env() })
  assert.not.ok(Buffer.from(doc.dataKey).equals(known))
  assert.ok(opensWith(await encOf(dir, 'user'), doc.dataKey, 'user:'), 'every value re-encrypted under the new key')
})

test('key swap attack: --no-rotate (noRotate) keeps the swapped key, as the old code did', async () => {
  const dir = await repoWith()
  const known = await plantLookAlike(dir, 'user: admin\npassword: placeholder\n')
  await setValue(NAME, '["api_token"]', { kind: 'scalar', type: 'str', text: NEW_SECRET }, { env: env(), cwd: dir, noRotate: true })
  assert.ok(opensWith(await encOf(dir, 'api_token'), known, 'api_token:'))
})

test('key swap attack: sops-like set (CLI) rotates and says so; --no-rotate keeps the key', async () => {
  const dir = await repoWith()
  const known = await plantLookAlike(dir, 'user: admin\npassword: placeholder\n')
  const r = await runCli(['set', NAME, '["api_token"]', JSON.stringify(NEW_SECRET)], { env: env(), cwd: dir })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /rotated the data key/)
  assert.not.ok(r.stderr.includes(NEW_SECRET) || r.stderr.includes(CANARY))
  assert.not.ok(opensWith(await encOf(dir, 'api_token'), known, 'api_token:'))

  const dir2 = await repoWith()
  const known2 = await plantLookAlike(dir2, 'user: admin\npassword: placeholder\n')
  const r2 = await runCli(['set', '--no-rotate', NAME, '["api_token"]', JSON.stringify(NEW_SECRET)], { env: env(), cwd: dir2 })
  assert.is(r2.code, 0, r2.stderr)
  assert.not.match(r2.stderr, /rotated/)
  assert.ok(opensWith(await encOf(dir2, 'api_token'), known2, 'api_token:'))
})

test('key swap attack: edit after a look-alike file replaced the committed one rotates the data key', async () => {
  const dir = await repoWith()
  const known = await plantLookAlike(dir, 'user: admin\npassword: placeholder\n')
  await editFile(NAME, { env: env(), cwd: dir, editor: ['sh', '-c', `printf 'api_token: ${NEW_SECRET}\\n' >> "$1"`, 'editor'] })
  assert.not.ok(opensWith(await encOf(dir, 'api_token'), known, 'api_token:'))
  assert.equal(await recipientsOf(dir), [victim.recipient])
})

test('no rotation when the wrapped keys match HEAD, outside git, or for an uncommitted file: unchanged values keep their ciphertext', async () => {
  for (const dir of [await repoWith(), await repoWith(PLAIN, { git: false })]) {
    const before = await encOf(dir, 'password')
    await setValue(NAME, '["api_token"]', { kind: 'scalar', type: 'str', text: 'x' }, { env: env(), cwd: dir })
    assert.is(await encOf(dir, 'password'), before)
  }
  const dir = await repoWith()
  writeFileSync(join(dir, 'other.enc.yaml'), await encrypt(PLAIN, [victim])) // never committed
  const r = await runCli(['set', 'other.enc.yaml', '["a"]', '"x"'], { env: env(), cwd: dir })
  assert.is(r.code, 0, r.stderr)
  assert.not.match(r.stderr, /rotated/)
})

test('key swap attack: check flags wrapped keys swapped under unchanged recipients while the values were kept (working tree and staged)', async () => {
  const dir = await repoWith()
  await swapWrappedKeyOnly(dir)
  const r = await checkFiles({ cwd: dir, files: [NAME], env: env(null) })
  assert.ok(r.problems.some((p) => p.kind === 'key-swap'), JSON.stringify(r.problems))
  git(dir, 'add', NAME)
  const s = await checkFiles({ cwd: dir, staged: true, env: env(null) })
  assert.ok(s.problems.some((p) => p.kind === 'key-swap' && p.file === NAME), JSON.stringify(s.problems))
  const cli = await runCli(['check', '--staged'], { env: env(null), cwd: dir })
  assert.is(cli.code, 40, cli.stdout + cli.stderr)
  assert.match(cli.stdout + cli.stderr, /wrapped data keys changed since the last commit/)
})

test('key swap attack on a file with no encrypted value yet: the forged file passes its MAC, check flags it, set rotates', async () => {
  const template = 'api_token: ""\nnote_unencrypted: fill me in\n'
  const dir = await repoWith(template)
  const known = await plantLookAlike(dir, template)
  await openBytes(readFileSync(join(dir, NAME)), { inputFormat: 'yaml', env: env() }) // valid: MAC verifies
  const r = await checkFiles({ cwd: dir, files: [NAME], env: env() })
  assert.ok(r.problems.some((p) => p.kind === 'key-swap'), JSON.stringify(r.problems))
  await setValue(NAME, '["api_token"]', { kind: 'scalar', type: 'str', text: NEW_SECRET }, { env: env(), cwd: dir })
  assert.not.ok(opensWith(await encOf(dir, 'api_token'), known, 'api_token:'))
})

test('check does not flag a genuine rotation (every value and the MAC re-encrypted) nor a plain set', async () => {
  const dir = await repoWith()
  await rotateFile(NAME, { cwd: dir, env: env() })
  let r = await checkFiles({ cwd: dir, files: [NAME], env: env() })
  assert.equal(r.problems, [])
  git(dir, 'commit', '-qam', 'rotated')
  await setValue(NAME, '["user"]', { kind: 'scalar', type: 'str', text: 'root' }, { env: env(), cwd: dir })
  r = await checkFiles({ cwd: dir, files: [NAME], env: env() })
  assert.equal(r.problems, [])
})

test('wrappedKeysChanged: an added recipient alone is not a change; a re-wrapped common one is', async () => {
  const a = await parseEncrypted(await encrypt(PLAIN, [victim]), 'yaml')
  const withAttacker = { ...a.metadata, keyGroups: [[...a.metadata.keyGroups[0]!, await createAgeRecipient(attacker.recipient).wrap(Buffer.alloc(32, 1))]] }
  assert.not.ok(wrappedKeysChanged(a.metadata, withAttacker))
  const rewrapped = { ...a.metadata, keyGroups: [[await createAgeRecipient(victim.recipient).wrap(Buffer.alloc(32, 1))]] }
  assert.ok(wrappedKeysChanged(a.metadata, rewrapped))
  assert.not.ok(fullyReencrypted(a, a))
})

test.run()
