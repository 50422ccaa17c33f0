import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { compileSelectors, effectiveSelectors } from '../../src/core/selection.js'
import { goRegex } from '../../src/core/go-regex.js'

test('default: _unencrypted suffix on any key of the path', () => {
  const d = compileSelectors(effectiveSelectors({}))
  assert.ok(d(['a', 'b'], [], false))
  assert.not.ok(d(['x_unencrypted', 'b'], [], false))
})
test('encrypted_regex covers children of a matching parent', () => {
  const d = compileSelectors({ encrypted_regex: '^(data|stringData)$' })
  assert.ok(d(['stringData', 'key'], [], false))
  assert.not.ok(d(['metadata', 'name'], [], false))
  assert.not.ok(d([], [], true))
})
test('comment regexes', () => {
  const d = compileSelectors({ encrypted_comment_regex: 'sops:enc' })
  assert.ok(d(['a'], [['sops:enc']], false))
  assert.not.ok(d(['a'], [['sops:enc']], true), 'the comment itself is not covered by itself')
  const u = compileSelectors({ unencrypted_comment_regex: 'clear' })
  assert.not.ok(u(['a'], [['keep clear']], false))
})
test('Go regex syntax', () => {
  assert.ok(goRegex('(?i)^SECRET', 'x').test('secret_x'))
  assert.ok(goRegex('\\Aab\\z', 'x').test('ab'))
  assert.not.ok(goRegex('\\Aab\\z', 'x').test('ab\n'))
})
test.run()
