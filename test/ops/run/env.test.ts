/** Decrypted tree → environment: flattening, --upper, value texts, name errors, precedence. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { applyEnv, KEY_ENV_VARS, mergeEnv, nodeJson, scrubKeyEnv, treeToEnv } from '../../../src/ops/run/env.js'
import { comment, mapping, pair, scalar, sequence, str, nullScalar, type Comment, type Pair, type Tree } from '../../../src/core/tree.js'
import { CANARY } from '../../helpers/fixtures.js'

const tree = (...entries: Array<Pair | Comment>): Tree => ({ branches: [mapping(entries)] })
const asObject = (t: Tree, upper = false) => Object.fromEntries(treeToEnv(t, { upper }).map((e) => [e.name, e.value]))

function envError(fn: () => unknown): Error & { exitCode: number; code: string } {
  try {
    fn()
  } catch (e) {
    return e as Error & { exitCode: number; code: string }
  }
  throw new Error('expected an error')
}

test('top-level keys as written, nested maps joined with _', () => {
  const t = tree(
    comment(' a comment'),
    pair('API_KEY', str('k')),
    pair('db', mapping([pair('password', str(CANARY)), pair('conn', mapping([pair('host', str('h'))]))])),
  )
  assert.equal(asObject(t), { API_KEY: 'k', db_password: CANARY, db_conn_host: 'h' })
  assert.equal(treeToEnv(t).map((e) => e.path), [['API_KEY'], ['db', 'password'], ['db', 'conn', 'host']])
})

test('--upper upper-cases every name', () => {
  assert.equal(asObject(tree(pair('db', mapping([pair('password', str('x'))])), pair('Mixed_1', str('y'))), true), { DB_PASSWORD: 'x', MIXED_1: 'y' })
})

test('scalar texts: sops ValToString, null → empty', () => {
  const t = tree(
    pair('b_true', scalar('bool', 'True')),
    pair('b_false', scalar('bool', 'False')),
    pair('f', scalar('float', '1.5')),
    pair('f_whole', scalar('float', '2')),
    pair('f_big', scalar('float', '100000000000000000000000')),
    pair('i', scalar('int', '9007199254740993')),
    pair('n', nullScalar()),
    pair('t', scalar('time', '2024-01-02T03:04:05.123Z')),
    pair('s', str('  spaced "quoted" \n multi-line ')),
  )
  assert.equal(asObject(t), {
    b_true: 'true',
    b_false: 'false',
    f: '1.5',
    f_whole: '2.0',
    f_big: '1E+23',
    i: '9007199254740993',
    n: '',
    t: '2024-01-02T03:04:05Z',
    s: '  spaced "quoted" \n multi-line ',
  })
})

test('a list becomes its JSON text (maps inside keep their order)', () => {
  const list = sequence([str('a'), comment('c'), scalar('int', '1'), scalar('float', '1.5'), scalar('bool', 'True'), nullScalar(), mapping([pair('z', str('1')), pair('a', str('2'))])])
  assert.is(nodeJson(list), '["a",1,1.5,true,null,{"z":"1","a":"2"}]')
  assert.equal(asObject(tree(pair('hosts', sequence([str('a.example'), str('b.example')])))), { hosts: '["a.example","b.example"]' })
})

test('every document of a multi-document tree contributes', () => {
  const t: Tree = { branches: [mapping([pair('a', str('1'))]), mapping([pair('b', str('2'))])] }
  assert.equal(asObject(t), { a: '1', b: '2' })
})

test('a key that cannot be a variable name is EnvNameError (13) naming the key, not the value', () => {
  for (const bad of ['has space', '1abc', 'a-b', 'x=y', '', 'ünïcode']) {
    const e = envError(() => treeToEnv(tree(pair(bad, str(CANARY))), { file: 'secrets.enc.yaml' }))
    assert.is(e.exitCode, 13, bad)
    assert.is(e.code, 'ENV_NAME')
    assert.ok(e.message.includes(JSON.stringify(bad)), e.message)
    assert.ok(e.message.includes('secrets.enc.yaml'))
    assert.not.ok(e.message.includes(CANARY))
  }
  const nested = envError(() => treeToEnv(tree(pair('db', mapping([pair('pass word', str(CANARY))])))))
  assert.match(nested.message, /\["db"\]\["pass word"\]/)
})

test('two paths mapping to one name is an error naming both keys', () => {
  const e = envError(() => treeToEnv(tree(pair('db_password', str(CANARY)), pair('db', mapping([pair('password', str(CANARY))])))))
  assert.is(e.exitCode, 13)
  assert.match(e.message, /\["db_password"\] and \["db"\]\["password"\]/)
  assert.match(e.message, /db_password/)
  assert.not.ok(e.message.includes(CANARY))
  const upper = envError(() => treeToEnv(tree(pair('token', str('a')), pair('TOKEN', str('b'))), { upper: true }))
  assert.match(upper.message, /TOKEN/)
  // without --upper the two are distinct
  assert.equal(asObject(tree(pair('token', str('a')), pair('TOKEN', str('b')))), { token: 'a', TOKEN: 'b' })
})

test('a NUL in a value is refused without showing it', () => {
  const e = envError(() => treeToEnv(tree(pair('k', str(`${CANARY}\0x`)))))
  assert.is(e.exitCode, 13)
  assert.not.ok(e.message.includes(CANARY))
})

test('__proto__ is just a name', () => {
  const env = mergeEnv({}, Object.fromEntries([['__proto__', 'x']]), {})
  assert.is(Object.getOwnPropertyDescriptor(env, '__proto__')?.value, 'x')
})

test('precedence: the environment wins by default; --override; --pristine', () => {
  const base = { PATH: '/bin', A: 'env', EMPTY: '' }
  const vars = { A: 'file', B: 'file', EMPTY: 'file' }
  assert.equal({ ...mergeEnv(base, vars) }, { PATH: '/bin', A: 'env', EMPTY: '', B: 'file' })
  assert.equal({ ...mergeEnv(base, vars, { override: true }) }, { PATH: '/bin', A: 'file', EMPTY: 'file', B: 'file' })
  assert.equal({ ...mergeEnv(base, vars, { pristine: true }) }, { A: 'file', B: 'file', EMPTY: 'file' })
})

test('scrubKeyEnv removes every key variable and nothing else', () => {
  const env: NodeJS.ProcessEnv = { KEEP: '1' }
  for (const k of KEY_ENV_VARS) env[k] = 'secret'
  assert.equal(scrubKeyEnv(env), { KEEP: '1' })
  for (const k of ['SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'SOPS_AGE_KEY_CMD', 'SOPS_LIKE_PGP_KEY_FILE', 'SOPS_LIKE_PGP_PASSPHRASE', 'SOPS_LIKE_SSH_PASSPHRASE', 'SOPS_AGE_SSH_PRIVATE_KEY_FILE', 'SOPS_LIKE_AGE_PASSPHRASE']) {
    assert.ok(KEY_ENV_VARS.includes(k), k)
  }
  assert.is(env.SOPS_AGE_KEY, 'secret') // the input is not changed
})

test('applyEnv keeps existing variables unless override', () => {
  const target: NodeJS.ProcessEnv = { A: 'keep' }
  assert.equal(applyEnv(target, { A: 'new', B: 'b' }), ['B'])
  assert.equal(target, { A: 'keep', B: 'b' })
  applyEnv(target, { A: 'new' }, { override: true })
  assert.is(target.A, 'new')
})

test.run()
