/** get: names, dotted and bracket paths, run's variable names, later file wins, a missing key (exit 1), --all formats. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { getAll, getValue, formatVars, keyPaths, shellQuote } from '../../../src/ops/run/get.js'
import { isolatedEnv } from '../../helpers/cli.js'
import { CANARY } from '../../helpers/fixtures.js'
import { makeAgeKey, tempDir, type TestKey } from '../../helpers/keys.js'
import { writeEncrypted } from '../../helpers/run.js'

const t = tempDir('sops-like-get-')
let k: TestKey
test.before(async () => {
  k = await makeAgeKey(t.dir)
  await writeEncrypted(t.dir, 'app.enc.yaml', `db:\n  password: ${CANARY}\n  port: 5432\nhosts:\n  - a\n  - b\nSHARED: yaml\n`, 'yaml', k.recipient)
  await writeEncrypted(t.dir, 'dots.enc.yaml', `"dotted.key": whole\n`, 'yaml', k.recipient)
  await writeEncrypted(t.dir, 'prod.enc.env', `SHARED=env\nAPI_KEY=k-123\n`, 'dotenv', k.recipient)
})
test.after(() => t.cleanup())

const opts = () => ({ cwd: t.dir, env: isolatedEnv({ SOPS_AGE_KEY_FILE: k.file }) })

test('a key as a name, a dotted path, a tree path, a list index, a whole key with a dot, a variable name', async () => {
  const f = ['app.enc.yaml']
  assert.is(await getValue('db.password', f, opts()), CANARY)
  assert.is(await getValue('["db"]["password"]', f, opts()), CANARY)
  assert.is(await getValue('db.port', f, opts()), '5432')
  assert.is(await getValue('hosts.1', f, opts()), 'b')
  assert.is(await getValue('["hosts"][0]', f, opts()), 'a')
  assert.is(await getValue('dotted.key', ['dots.enc.yaml'], opts()), 'whole')
  assert.is(await getValue('db_password', f, opts()), CANARY) // as run exports it
  assert.is(await getValue('db', f, opts()), `{"password":"${CANARY}","port":5432}`)
  assert.is(await getValue('hosts', f, opts()), '["a","b"]')
})

test('several files: the later one wins, as in run', async () => {
  assert.is(await getValue('SHARED', ['app.enc.yaml', 'prod.enc.env'], opts()), 'env')
  assert.is(await getValue('SHARED', ['prod.enc.env', 'app.enc.yaml'], opts()), 'yaml')
})

test('a missing key: PathNotFoundError, exit 1 (sops\' code for a missing --extract path), naming key and file, no value', async () => {
  for (const key of ['NOPE', 'db.nope', '["hosts"][9]']) {
    try {
      await getValue(key, ['app.enc.yaml'], opts())
      assert.unreachable('should throw')
    } catch (e) {
      const err = e as Error & { exitCode: number; code: string }
      assert.is(err.code, 'PATH_NOT_FOUND', key)
      assert.is(err.exitCode, 1)
      assert.ok(err.message.includes(key) && err.message.includes('app.enc.yaml'), err.message)
      assert.not.ok(err.message.includes(CANARY))
    }
  }
})

test('getAll: every variable run would export, later file wins', async () => {
  assert.equal(Object.fromEntries(await getAll(['app.enc.yaml', 'prod.enc.env'], opts())), {
    db_password: CANARY, db_port: '5432', hosts: '["a","b"]', SHARED: 'env', API_KEY: 'k-123',
  })
})

test('formatVars: json, shell (one line), eval (one line each); values that need it are single-quoted', () => {
  const vars: Array<[string, string]> = [['A', 'plain'], ['B', "it's $(rm -rf /)"], ['C', 'two\nlines']]
  assert.is(formatVars(vars, 'json'), '{"A":"plain","B":"it\'s $(rm -rf /)","C":"two\\nlines"}\n')
  assert.is(formatVars(vars, 'shell'), `A=plain B='it'\\''s $(rm -rf /)' C='two\nlines'\n`)
  assert.is(formatVars(vars, 'eval'), `A=plain\nB='it'\\''s $(rm -rf /)'\nC='two\nlines'\n`)
  assert.is(shellQuote(''), "''")
})

test('zsh equals expansion: a value starting with = is single-quoted (zsh turns A==ls into the path of ls); = inside stays bare', () => {
  assert.is(shellQuote('=ls'), "'=ls'")
  assert.is(formatVars([['A', '==x']], 'eval'), "A='==x'\n")
  assert.is(shellQuote('a=b'), 'a=b')
})

test('keyPaths: bracket paths as sops parses them; else the whole key, then its dotted split', () => {
  assert.equal(keyPaths('["a"][0]'), [['a', 0]])
  assert.equal(keyPaths('a.b.0'), [['a.b.0'], ['a', 'b', 0]])
  assert.equal(keyPaths('NAME'), [['NAME']])
})

test.run()
