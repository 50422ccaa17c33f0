/**
 * Every sops fixture decrypts to the plaintext INDEX.md lists, MAC checked:
 * age fixtures with their published test identities, PGP ones with the sops test
 * key through openpgp.js, and (independently of PGP) with the data keys of docs/format.md §13.
 */
import { test as suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { openBytes } from '../src/ops/crypt/decrypt.js'
import { getAtPath } from '../src/core/tree-path.js'
import { formatForPath } from '../src/formats/index.js'
import type { Node } from '../src/core/tree.js'
import { MacMismatchError } from '../src/errors.js'
import { DATA_KEYS, fixture, fixturePath, PGP_TEST_KEY, needsFixtures } from './helpers/fixtures.js'

const test = needsFixtures(suite, import.meta.url)

const text = (n: Node): string => (n.kind === 'scalar' ? n.text : `<${n.kind}>`)
const pgpEnv = { HOME: '/nonexistent-home', SOPS_LIKE_PGP_KEY_FILE: PGP_TEST_KEY, PATH: '/nonexistent' }

interface Case { file: string; format?: 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary'; env: NodeJS.ProcessEnv; checks: Array<[Array<string | number>, string]> }

const cases: Case[] = [
  { file: 'functional-tests/res/format.enc.yaml', env: pgpEnv, checks: [[['foo'], 'bar']] },
  { file: 'functional-tests/res/format.enc.json', env: pgpEnv, checks: [[['foo'], 'bar']] },
  { file: 'functional-tests/res/format.enc.env', env: pgpEnv, checks: [[['foo '], ' bar']] },
  { file: 'functional-tests/res/format.enc.ini', env: pgpEnv, checks: [[['foo', 'bar'], 'baz']] },
  { file: 'functional-tests/res/format-2.enc.ini', env: pgpEnv, checks: [[['foo', 'bar'], 'baz']] },
  { file: 'functional-tests/res/comments.enc.yaml', env: pgpEnv, checks: [[['lorem'], 'ipsum'], [['dolor'], 'sit']] },
  { file: 'functional-tests/res/comments_unencrypted_comments.yaml', env: pgpEnv, checks: [[['lorem'], 'ipsum'], [['dolor'], 'sit']] },
  { file: 'functional-tests/res/multiple_keys.yaml', env: pgpEnv, checks: [[['message'], 'hello']] },
  { file: 'example.yaml', env: pgpEnv, checks: [[['app2', 'db', 'user'], 'eve'], [['number'], '1234568000'], [['somebooleans', 0], 'True'], [['somebooleans', 1], 'False']] },
  { file: 'example.json', env: pgpEnv, checks: [[['firstName'], 'John'], [['age'], '25.4'], [['anEmptyValue'], '']] },
  { file: 'example.ini', env: pgpEnv, checks: [[['name', 'firstName'], 'John'], [['not private', 'notsecret_unencrypted'], 'hi there!']] },
  { file: 'examples/all_in_one/config/secret.enc.json', env: pgpEnv, checks: [[['github_oauth_token'], 't00m4nys3cr3tz']] },
  { file: 'examples/per_file/config.enc/static_github.json', env: pgpEnv, checks: [[['common', 'github_password'], '0xDEADBEEF'], [['common', 'github_username_unencrypted'], 'twolfson-dev']] },
  { file: 'extra/flux/age.yaml', env: { HOME: '/nonexistent-home', SOPS_AGE_KEY_FILE: fixturePath('extra/flux/age.txt') }, checks: [[['stringData', 'key'], 'value'], [['kind'], 'Secret']] },
  { file: 'extra/flux/global-secret.yaml', env: { HOME: '/nonexistent-home', SOPS_AGE_KEY_FILE: fixturePath('extra/flux/age-global.txt') }, checks: [[['stringData', 'key'], 'global-value']] },
]

for (const c of cases) {
  test(`fixture ${c.file} decrypts with its key, MAC checked`, async () => {
    const doc = await openBytes(fixture(c.file), { inputFormat: c.format ?? formatForPath(c.file), env: c.env })
    for (const [path, want] of c.checks) assert.is(text(getAtPath(doc.tree.branches[0]!, path)), want, path.join('.'))
  })
}

test('example.txt (binary) decrypts to the exact bytes', async () => {
  const doc = await openBytes(fixture('example.txt'), { inputFormat: 'binary', env: pgpEnv })
  const data = getAtPath(doc.tree.branches[0]!, ['data'])
  assert.is(data.kind, 'scalar')
  const bytes = data.kind === 'scalar' ? data.raw ?? Buffer.from(data.text) : Buffer.alloc(0)
  assert.is(createHash('sha256').update(bytes).digest('hex'), '4f488155e9a8a9dd470e67a03a11c749e590075c7ba74f33e801f92b25fbb1bb')
})

test('example.yaml keeps its encrypted comment inside app2.db', async () => {
  const doc = await openBytes(fixture('example.yaml'), { inputFormat: 'yaml', env: pgpEnv })
  const db = getAtPath(doc.tree.branches[0]!, ['app2', 'db'])
  assert.ok(db.kind === 'map' && db.entries.some((e) => e.kind === 'comment' && e.text === ' private key for secret operations in app2'))
})

test('comments.enc.yaml decrypts its top-level comments', async () => {
  const doc = await openBytes(fixture('functional-tests/res/comments.enc.yaml'), { inputFormat: 'yaml', env: pgpEnv })
  const comments = doc.tree.branches[0]!.entries.filter((e) => e.kind === 'comment').map((e) => (e.kind === 'comment' ? e.text : ''))
  assert.ok(comments.includes(' first comment in file'))
  assert.ok(comments.includes(' this-is-a-comment'))
})

test('no_mac.yaml fails with 51 unless the MAC is ignored', async () => {
  try {
    await openBytes(fixture('functional-tests/res/no_mac.yaml'), { inputFormat: 'yaml', env: pgpEnv })
    assert.unreachable()
  } catch (e) {
    assert.instance(e, MacMismatchError)
    assert.is((e as MacMismatchError).exitCode, 51)
  }
  const doc = await openBytes(fixture('functional-tests/res/no_mac.yaml'), { inputFormat: 'yaml', env: pgpEnv, ignoreMac: true })
  assert.is(text(getAtPath(doc.tree.branches[0]!, ['myapp1'])), 't00m4nys3cr3tzupdated')
})

for (const [file, hex] of Object.entries(DATA_KEYS)) {
  test(`fixture ${file} decrypts with the data key of docs/format.md §13 (no PGP)`, async () => {
    const doc = await openBytes(fixture(file), { inputFormat: formatForPath(file), dataKey: Buffer.from(hex, 'hex') })
    assert.ok(doc.tree.branches[0]!.entries.length > 0)
  })
}

test.run()
