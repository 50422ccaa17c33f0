/** Interop with the real `age` binary: it opens the `enc` we wrote; we open what it wrapped. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createAgeRecipient, createAgeIdentity } from '../../src/keys/age.js'
import { makeAgeKey, tempDir } from '../helpers/keys.js'
import { fixture, needsFixtures } from '../helpers/fixtures.js'
import { parseIdentityFile } from '../../src/keys/age-identities.js'

const fixtureTest = needsFixtures(test, import.meta.url)

const hasAge = spawnSync('age', ['--version']).status === 0
if (!hasAge) console.log('note: `age` is not installed; age interop tests skipped')

test('real age decrypts the enc blob we wrote', async () => {
  if (!hasAge) return
  const t = tempDir()
  try {
    const k = await makeAgeKey(t.dir)
    const dataKey = randomBytes(32)
    const entry = await createAgeRecipient(k.recipient).wrap(dataKey)
    assert.match(entry.fields.enc!, /^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+\n-----END AGE ENCRYPTED FILE-----\n$/)
    const r = spawnSync('age', ['-d', '-i', k.file], { input: entry.fields.enc })
    assert.is(r.status, 0, r.stderr.toString())
    assert.ok(r.stdout.equals(dataKey))
  } finally {
    t.cleanup()
  }
})

test('we unwrap a data key that real age wrapped', async () => {
  if (!hasAge) return
  const t = tempDir()
  try {
    const k = await makeAgeKey(t.dir)
    const dataKey = randomBytes(32)
    writeFileSync(join(t.dir, 'dk'), dataKey)
    const r = spawnSync('age', ['-a', '-r', k.recipient, join(t.dir, 'dk')])
    assert.is(r.status, 0)
    const id = createAgeIdentity([k.identity], 'test')
    const out = await id.unwrap({ type: 'age', fields: { enc: r.stdout.toString(), recipient: k.recipient } })
    assert.ok(out && Buffer.from(out).equals(dataKey))
  } finally {
    t.cleanup()
  }
})

fixtureTest('the sops age fixture opens with the sops test identity', async () => {
  const keys = parseIdentityFile(fixture('age-test-keys.txt').toString())
  assert.ok(keys.length >= 2)
  const id = createAgeIdentity(keys, 'fixture')
  const out = await id.unwrap({ type: 'age', fields: { enc: fixture('age-test-encrypted-data.age').toString() } })
  assert.is(Buffer.from(out!).toString(), 'data')
})

test('an identity that does not match returns null (not an error)', async () => {
  const t = tempDir()
  try {
    const a = await makeAgeKey(t.dir, 'a')
    const b = await makeAgeKey(t.dir, 'b')
    const entry = await createAgeRecipient(a.recipient).wrap(randomBytes(32))
    assert.is(await createAgeIdentity([b.identity], 'b').unwrap(entry), null)
  } finally {
    t.cleanup()
  }
})

test.run()
