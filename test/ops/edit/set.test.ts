/** set/unset on encrypted files: minimal diffs, sops path semantics, typed errors, values from JSON. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { encryptBytes } from '../../../src/ops/crypt/encrypt.js'
import { decryptBytes } from '../../../src/ops/crypt/decrypt.js'
import { parseSetValue, setValue, unsetValue } from '../../../src/ops/edit/set.js'
import { createAgeRecipient } from '../../../src/keys/age.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { CANARY } from '../../helpers/fixtures.js'
import type { FormatName } from '../../../src/formats/index.js'
import type { SopsLikeError } from '../../../src/errors.js'


const JSON_PLAIN = `{
\t"db": {
\t\t"user": "admin",
\t\t"password": "${CANARY}",
\t\t"port": 5432
\t},
\t"hosts": [
\t\t"a.example.com",
\t\t"b.example.com"
\t],
\t"ratio": 1.5,
\t"enabled": true
}
`
const YAML_PLAIN = `# top comment
db:
    user: admin
    password: ${CANARY}
    port: 5432
hosts:
    - a.example.com
    - b.example.com
ratio: 1.5
`
const ENV_PLAIN = `# comment\nUSER=admin\nPASSWORD=${CANARY}\nPORT=5432\n`

let t: ReturnType<typeof tempDir>
let k: TestKey
let n = 0
test.before(async () => {
  t = tempDir()
  k = await makeAgeKey(t.dir)
})
test.after(() => t.cleanup())

const env = () => ({ HOME: '/nonexistent-home', SOPS_AGE_KEY_FILE: k.file })
const opts = () => ({ env: env(), cwd: t.dir })

async function encryptedFile(plain: string, format: FormatName, ext: string): Promise<string> {
  const out = await encryptBytes(Buffer.from(plain), { inputFormat: format, groups: [[createAgeRecipient(k.recipient)]] })
  const name = `f${n++}.${ext}`
  writeFileSync(join(t.dir, name), out)
  return name
}
const read = (name: string) => readFileSync(join(t.dir, name), 'utf8')
const decrypt = async (name: string, format: FormatName) => Buffer.from(await decryptBytes(readFileSync(join(t.dir, name)), { inputFormat: format, env: env() })).toString('utf8')

/** The lines that differ between two texts with the same number of lines. */
function changedLines(a: string, b: string): string[] {
  const x = a.split('\n')
  const y = b.split('\n')
  assert.is(x.length, y.length, 'line count changed')
  return y.filter((line, i) => line !== x[i])
}
const metaLine = (l: string) => /lastmodified|"mac"|^\s*mac[:=]|sops_mac=|sops_lastmodified=/.test(l)

async function expectError(p: Promise<unknown>, code: number): Promise<SopsLikeError> {
  try {
    await p
  } catch (e) {
    const err = e as SopsLikeError
    assert.is(err.exitCode, code, err.message)
    assert.not.ok(err.message.includes(CANARY), 'canary in error message')
    return err
  }
  assert.unreachable('expected an error')
  throw new Error('unreachable')
}

test('JSON: set a nested value changes only that line plus lastmodified and mac', async () => {
  const f = await encryptedFile(JSON_PLAIN, 'json', 'json')
  const before = read(f)
  const r = await setValue(f, '["db"]["user"]', await parseSetValue('"root"'), opts())
  assert.equal(r, { changed: true, written: true })
  const after = read(f)
  const diff = changedLines(before, after)
  assert.is(diff.filter((l) => !metaLine(l)).length, 1, diff.join('\n'))
  assert.match(diff.find((l) => !metaLine(l))!, /"user": "ENC\[/)
  assert.ok(diff.some((l) => /"mac"/.test(l)), 'the MAC changes with the value')
  assert.is(await decrypt(f, 'json'), JSON_PLAIN.replace('"admin"', '"root"'))
})

test('JSON: set in a list, a new nested key (created maps), a number (float, as sops) and an object (ints kept)', async () => {
  const f = await encryptedFile(JSON_PLAIN, 'json', 'json')
  await setValue(f, '["hosts"][1]', await parseSetValue('"c.example.com"'), opts())
  await setValue(f, '["hosts"][9]', await parseSetValue('"d.example.com"'), opts())
  await setValue(f, '["new"]["deep"]["n"]', await parseSetValue('9007199254740993'), opts())
  await setValue(f, '["obj"]', await parseSetValue('{"z": 1, "a": [true, null, 2.50]}'), opts())
  const plain = JSON.parse(await decrypt(f, 'json'))
  assert.equal(plain.hosts, ['a.example.com', 'c.example.com', 'd.example.com'])
  assert.equal(Object.keys(plain.obj), ['z', 'a'])
  assert.equal(plain.obj.a, [true, null, 2.5])
  // sops decodes a lone --set number with encoding/json into a float64: 2^53+1 becomes 2^53
  assert.match(await decrypt(f, 'json'), /"n": 9007199254740992\b/)
  assert.match(read(f), /"n": "ENC\[AES256_GCM,[^"]*type:float\]"/)
  assert.match(read(f), /"z": "ENC\[AES256_GCM,[^"]*type:int\]"/)
})

test('unchanged values keep their exact ciphertext across many rewrites', async () => {
  const f = await encryptedFile(JSON_PLAIN, 'json', 'json')
  const pw = () => read(f).match(/"password": "(ENC\[[^"]+)"/)![1]
  const first = pw()
  await setValue(f, '["db"]["port"]', await parseSetValue('6543'), opts())
  await unsetValue(f, '["hosts"][0]', opts())
  await setValue(f, '["x"]', await parseSetValue('1'), opts())
  assert.is(pw(), first)
})

test('set of the same value: rewritten (as sops) unless --idempotent', async () => {
  const f = await encryptedFile(JSON_PLAIN, 'json', 'json')
  const before = read(f)
  const r1 = await setValue(f, '["db"]["user"]', await parseSetValue('"admin"'), { ...opts(), idempotent: true })
  assert.equal(r1, { changed: false, written: false })
  assert.is(read(f), before)
  const r2 = await setValue(f, '["db"]["user"]', await parseSetValue('"admin"'), opts())
  assert.equal(r2, { changed: false, written: true })
  assert.ok(changedLines(before, read(f)).every(metaLine))
  // a --set number is a float (as sops): the float 5432 is a different value from the file's int 5432
  const r3 = await setValue(f, '["db"]["port"]', await parseSetValue('5432'), { ...opts(), idempotent: true })
  assert.is(r3.changed, true)
})

test('unset removes keys and list items; missing path → 1 (sops) and nothing written; --idempotent → no write', async () => {
  const f = await encryptedFile(JSON_PLAIN, 'json', 'json')
  await unsetValue(f, '["db"]["password"]', opts())
  await unsetValue(f, '["hosts"][0]', opts())
  const plain = JSON.parse(await decrypt(f, 'json'))
  assert.equal(plain.db, { user: 'admin', port: 5432 })
  assert.equal(plain.hosts, ['b.example.com'])
  const before = read(f)
  await expectError(unsetValue(f, '["db"]["nope"]', opts()), 1)
  await expectError(unsetValue(f, '["hosts"][3]', opts()), 1)
  assert.is(read(f), before)
  assert.equal(await unsetValue(f, '["nope"]', { ...opts(), idempotent: true }), { changed: false, written: false })
  assert.is(read(f), before)
})

test('errors: bad path 7 (sops), bad JSON 7, top-level sops 203, wrong key 128; file untouched', async () => {
  const f = await encryptedFile(JSON_PLAIN, 'json', 'json')
  const before = read(f)
  await expectError(setValue(f, 'db.password', await parseSetValue('1'), opts()), 7)
  await expectError(setValue(f, '["hosts"]["x"]', await parseSetValue('1'), opts()), 7)
  await expectError(parseSetValue(`${CANARY}`), 7)
  await expectError(parseSetValue(`"${CANARY}`), 7)
  await expectError(parseSetValue('1, "w": 2'), 7)
  await expectError(parseSetValue('1} {"v": 2'), 7)
  await expectError(parseSetValue(''), 7)
  await expectError(setValue(f, '["sops"]', await parseSetValue('1'), opts()), 203)
  await expectError(setValue(f, '["sops"]["x"]', await parseSetValue('1'), opts()), 203)
  const other = await makeAgeKey(t.dir, 'other')
  await expectError(setValue(f, '["a"]', await parseSetValue('1'), { env: { HOME: '/nonexistent-home', SOPS_AGE_KEY_FILE: other.file }, cwd: t.dir }), 128)
  assert.is(read(f), before)
})

test('parseSetValue: a lone number is a float (sops), strings and objects kept in order', async () => {
  assert.equal(await parseSetValue('5'), { kind: 'scalar', type: 'float', text: '5' })
  assert.equal(await parseSetValue('-12'), { kind: 'scalar', type: 'float', text: '-12' })
  assert.equal(await parseSetValue('9223372036854775807'), { kind: 'scalar', type: 'float', text: '9223372036854776000' })
  assert.equal(await parseSetValue('1.50'), { kind: 'scalar', type: 'float', text: '1.5' })
  assert.equal(await parseSetValue(' true\n'), { kind: 'scalar', type: 'bool', text: 'True' })
  assert.equal(await parseSetValue('"a\\nb"'), { kind: 'scalar', type: 'str', text: 'a\nb' })
  assert.equal(await parseSetValue('null'), { kind: 'scalar', type: 'null', text: '' })
  assert.equal(await parseSetValue(Buffer.from('"from bytes"\n')), { kind: 'scalar', type: 'str', text: 'from bytes' })
})

test('dotenv: set and unset keep other lines; a nested value cannot be written (EmitError 4)', async () => {
  const f = await encryptedFile(ENV_PLAIN, 'dotenv', 'env')
  const before = read(f)
  await setValue(f, '["PORT"]', await parseSetValue('"6543"'), opts())
  const diff = changedLines(before, read(f))
  assert.equal(diff.filter((l) => !metaLine(l)).map((l) => l.split('=')[0]), ['PORT'])
  await unsetValue(f, '["USER"]', opts())
  assert.is(await decrypt(f, 'dotenv'), `# comment\nPASSWORD=${CANARY}\nPORT=6543\n`)
  const mid = read(f)
  await expectError(setValue(f, '["NESTED"]', await parseSetValue('{"a":1}'), opts()), 4)
  await expectError(setValue(f, '["sops_x"]', await parseSetValue('"y"'), opts()), 203)
  assert.is(read(f), mid)
})

test('binary files have one path, ["data"]: set replaces it with a string; anything else is refused', async () => {
  const f = await encryptedFile('raw bytes', 'binary', 'bin')
  await expectError(setValue(f, '["other"]', await parseSetValue('"x"'), opts()), 7)
  await expectError(setValue(f, '["data"]["x"]', await parseSetValue('"x"'), opts()), 7)
  await expectError(setValue(f, '["data"]', await parseSetValue('5'), opts()), 7)
  await expectError(unsetValue(f, '["data"]', opts()), 91)
  await setValue(f, '["data"]', await parseSetValue('"new bytes"'), opts())
  assert.is(await decrypt(f, 'binary'), 'new bytes')
})

test('YAML: set one value changes one line plus lastmodified and mac; comments stay', async () => {
  const f = await encryptedFile(YAML_PLAIN, 'yaml', 'yaml')
  const before = read(f)
  await setValue(f, '["db"]["port"]', await parseSetValue('6543'), opts())
  const diff = changedLines(before, read(f))
  assert.equal(diff.filter((l) => !metaLine(l)).map((l) => l.trim().split(':')[0]), ['port'])
  assert.is(await decrypt(f, 'yaml'), YAML_PLAIN.replace('5432', '6543'))
})

test.run()
