import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { floatValToString, formatFloatF, formatFloatG, formatFloatJSON } from '../../src/core/go-number.js'

const cases: Array<[number, string, string, string]> = [
  [1234568000, '1234568000', '1.234568e+09', '1.234568E+09'],
  [25.4, '25.4', '25.4', '25.4'],
  [1, '1', '1', '1.0'],
  [1e21, '1000000000000000000000', '1e+21', '1E+21'],
  [1.5e-7, '0.00000015', '1.5e-07', '1.5E-07'],
  [123456, '123456', '123456', '123456.0'],
  [1234567, '1234567', '1.234567e+06', '1.234567E+06'],
  [0.0001, '0.0001', '0.0001', '0.0001'],
  [0.00001, '0.00001', '1e-05', '1E-05'],
  [999999, '999999', '999999', '999999.0'],
  [Infinity, '+Inf', '+Inf', '+Inf'],
  [NaN, 'NaN', 'NaN', 'NaN'],
]
for (const [x, f, g, G] of cases) {
  test(`Go spellings of ${x}`, () => {
    assert.is(formatFloatF(x), f)
    assert.is(formatFloatG(x), g)
    assert.is(floatValToString(x), G)
  })
}
test('JSON float spelling', () => {
  assert.is(formatFloatJSON(1.5e-7), '1.5e-7')
  assert.is(formatFloatJSON(1e21), '1e+21')
  assert.is(formatFloatJSON(25.4), '25.4')
  assert.throws(() => formatFloatJSON(NaN))
})
test.run()
