/**
 * findConfig's order (explicit, SOPS_LIKE_CONFIG, SOPS_CONFIG, then the folders up) and
 * the `--config ''` case: an empty explicit path is the flag not given, as in sops, so the
 * variables and the search still apply; explicitConfig resolves the flag for the ops.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { explicitConfig, findConfig } from '../../src/config/find.js'
import { tempDir } from '../helpers/keys.js'

const dirs: Array<() => void> = []
test.after(() => { for (const c of dirs) c() })

const layout = () => {
  const { dir: root, cleanup } = tempDir()
  dirs.push(cleanup)
  const sub = join(root, 'a', 'b')
  mkdirSync(sub, { recursive: true })
  writeFileSync(join(root, '.sops.yaml'), 'creation_rules: []\n')
  writeFileSync(join(root, 'other.yaml'), 'creation_rules: []\n')
  return { root, sub }
}

test('the search walks up from the folder to the first .sops.yaml', () => {
  const { root, sub } = layout()
  assert.is(findConfig(sub, { env: {} }).path, join(root, '.sops.yaml'))
})

test("an explicit '' is --config not given: SOPS_LIKE_CONFIG applies, else the search", () => {
  const { root, sub } = layout()
  assert.is(findConfig(sub, { explicit: '', env: { SOPS_LIKE_CONFIG: join(root, 'other.yaml') } }).path, join(root, 'other.yaml'))
  assert.is(findConfig(sub, { explicit: '', env: {} }).path, join(root, '.sops.yaml'))
})

test('an explicit path wins over the variables', () => {
  const { root, sub } = layout()
  assert.is(findConfig(sub, { explicit: join(root, '.sops.yaml'), env: { SOPS_LIKE_CONFIG: join(root, 'other.yaml') } }).path, join(root, '.sops.yaml'))
})

test("explicitConfig resolves against the call's folder; none or '' stays undefined", () => {
  assert.is(explicitConfig('/work/repo', 'cfg/.sops.yaml'), '/work/repo/cfg/.sops.yaml')
  assert.is(explicitConfig('/work/repo', '/etc/sops.yaml'), '/etc/sops.yaml')
  assert.is(explicitConfig('/work/repo', ''), undefined)
  assert.is(explicitConfig('/work/repo', undefined), undefined)
})

test.run()
