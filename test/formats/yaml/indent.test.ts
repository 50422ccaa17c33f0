/** The YAML format's `indent` option (sops --indent / go-yaml SetIndent): 0 = 4, outside 2…9 → 2, negative refused; --extract ignores it. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createYamlFormat, yamlFormat } from '../../../src/formats/yaml/index.js'
import type { Node } from '../../../src/core/tree.js'

const SRC = 'a:\n    b: 1\n    l:\n        - x\n        - k: v\n          m: |-\n            one\n            two\n# c\nz: q\n'
const tree = yamlFormat.parse(Buffer.from(SRC))
const emit = (indent: number) => Buffer.from(createYamlFormat({ indent }).emit(tree)).toString()

test('indent 0 is sops\' default 4 (byte for byte the default format)', () => {
  assert.is(emit(0), SRC)
})

test('indent 2: maps by 2, a list item\'s map 2 past its "-" (go-yaml), literal blocks at the next level', () => {
  assert.is(emit(2), 'a:\n  b: 1\n  l:\n    - x\n    - k: v\n      m: |-\n        one\n        two\n# c\nz: q\n')
})

test('indent 3: go-yaml rounds nested levels up to multiples of the indent', () => {
  assert.is(emit(3), 'a:\n   b: 1\n   l:\n      - x\n      - k: v\n        m: |-\n         one\n         two\n# c\nz: q\n')
})

test('go-yaml writes an indent outside 2…9 as 2 (1 and 10 give the indent-2 text)', () => {
  assert.is(emit(1), emit(2))
  assert.is(emit(10), emit(2))
})

test('a negative indent is refused (sops: "YAML Negative indentation not accepted"), exit 4', () => {
  try {
    createYamlFormat({ indent: -1 })
    assert.unreachable()
  } catch (e) {
    assert.is((e as { exitCode?: number }).exitCode, 4)
  }
})

test('each indent reads back to the same tree', () => {
  for (const i of [2, 3, 5, 8]) assert.equal(yamlFormat.parse(Buffer.from(emit(i))), tree)
})

test('--extract (emitValue) keeps go-yaml\'s default layout whatever the indent, as sops\' yaml.Marshal', () => {
  const m = (tree.branches[0]!.entries[0] as { value: Node }).value
  assert.is(Buffer.from(createYamlFormat({ indent: 2 }).emitValue(m)).toString(), Buffer.from(yamlFormat.emitValue(m)).toString())
})

test.run()
