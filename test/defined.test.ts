/** `defined()`: drops undefined properties only (0, '', false and null stay), so options and reports leave a property out. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { defined } from '../src/defined.js'

test('drops undefined properties and keeps every other value, falsy ones included', () => {
  const o = defined({ a: undefined, b: 0, c: '', d: false, e: null, f: 'x' })
  assert.equal(o, { b: 0, c: '', d: false, e: null, f: 'x' })
  assert.not.ok('a' in o)
})

test('a spread of it leaves the property out, as `...(x ? { x } : {})` did for objects', () => {
  const env: NodeJS.ProcessEnv | undefined = undefined
  assert.equal(Object.keys({ cwd: '/', ...defined({ env }) }), ['cwd'])
  assert.equal({ cwd: '/', ...defined({ env: { A: '1' } }) }, { cwd: '/', env: { A: '1' } })
})

test.run()
