/** sops' spellings rewritten into our commands (src/cli/sops-argv.ts), and the refusals that say what to type. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { splitSetArg, translateSopsArgv as t } from '../../src/cli/sops-argv.js'
import { SopsLikeError } from '../../src/errors.js'

const refused = (argv: string[], code: number, re: RegExp): void => {
  try {
    t(argv)
  } catch (e) {
    assert.ok(e instanceof SopsLikeError)
    assert.is(e.exitCode, code)
    assert.match(e.message, re)
    return
  }
  assert.unreachable(`${argv.join(' ')} was not refused`)
}

test('our own commands pass through unchanged', () => {
  for (const a of [['decrypt', 'f.yaml'], ['rotate', '--all'], ['run', '--', 'sh', '-c', 'x'], ['--help'], ['--help', 'rotate'], ['-v'], ['status', 'f'], []]) assert.equal(t(a), a)
})
test('-d / --decrypt FILE → decrypt, flags kept', () => {
  assert.equal(t(['-d', 'f.yaml']), ['decrypt', 'f.yaml'])
  assert.equal(t(['--decrypt', '--output-type', 'json', 'f.yaml']), ['decrypt', '--output-type', 'json', 'f.yaml'])
  assert.equal(t(['-d', '--extract', '["a"]', '--ignore-mac', 'f.yaml']), ['decrypt', '--extract', '["a"]', '--ignore-mac', 'f.yaml'])
  assert.equal(t(['f.yaml', '-d', '--output', 'o.yaml']), ['decrypt', '--output', 'o.yaml', 'f.yaml'])
})
test('-e / --encrypt FILE → encrypt; -i kept', () => {
  assert.equal(t(['-e', '-i', 'f.yaml']), ['encrypt', '-i', 'f.yaml'])
  assert.equal(t(['--encrypt', '--age', 'age1x', '--input-type', 'json', 'f']), ['encrypt', '--age', 'age1x', '--input-type', 'json', 'f'])
})
test('/dev/stdin and - read standard input', () => {
  assert.equal(t(['-d', '/dev/stdin', '--input-type', 'yaml']), ['decrypt', '--input-type', 'yaml', '-'])
  assert.equal(t(['decrypt', '/dev/stdin']), ['decrypt', '-'])
  assert.equal(t(['-e', '--input-type', 'json', '-']), ['encrypt', '--input-type', 'json', '-'])
})
test('-r FILE prints the rotated file (sops); -r -i / --output as given', () => {
  assert.equal(t(['-r', 'f.yaml']), ['rotate', '--output', '-', 'f.yaml'])
  assert.equal(t(['--rotate', '-i', 'f.yaml']), ['rotate', '-q', '-i', 'f.yaml'])
  assert.equal(t(['-r', '--output', 'o.yaml', 'f.yaml']), ['rotate', '--output', 'o.yaml', 'f.yaml'])
  assert.equal(t(['-r', '--add-age', 'age1x', 'f.yaml']), ['rotate', '--output', '-', '--add-age', 'age1x', 'f.yaml'])
})
test('--set \'PATH VALUE\' FILE → set FILE PATH VALUE', () => {
  assert.equal(t(['--set', '["a"]["b"] "v w"', 'f.yaml']), ['set', 'f.yaml', '["a"]["b"]', '"v w"'])
  assert.equal(t(['--set=["a"][0] {"x": 1}', 'f.yaml']), ['set', 'f.yaml', '["a"][0]', '{"x": 1}'])
  assert.equal(t(['-i', '--set', '["k"] 5', 'f.json']), ['set', 'f.json', '["k"]', '5'])
  assert.equal(splitSetArg('["a b"] true'), ['["a b"]', 'true'])
  refused(['--set', '["a"]', 'f.yaml'], 1, /--set takes a path and a JSON value/)
})
test('a bare FILE is edit, as sops\' default; its flags go along', () => {
  assert.equal(t(['f.yaml']), ['edit', 'f.yaml'])
  assert.equal(t(['--input-type', 'json', 'secrets']), ['edit', '--input-type', 'json', 'secrets'])
  assert.equal(t(['./secrets']), ['edit', './secrets'])
  refused(['-'], 1, /decrypt with sops-like -d -/)
})
test('exec-env FILE CMD → run -f FILE --override -- sh -c CMD', () => {
  assert.equal(t(['exec-env', 'f.yaml', 'echo $a']), ['run', '-f', 'f.yaml', '--override', '--', 'sh', '-c', 'echo $a'])
  assert.equal(t(['exec-env', '--pristine', 'f.yaml', 'env']), ['run', '-f', 'f.yaml', '--override', '--pristine', '--', 'sh', '-c', 'env'])
  refused(['exec-env', '--user', 'bob', 'f.yaml', 'id'], 1, /sudo -u USER/)
  refused(['exec-env', 'f.yaml'], 1, /exec-env FILE COMMAND/)
})
test('exec-file FILE CMD → run --as-file FILE --filename tmp-file -- sh -c CMD', () => {
  assert.equal(t(['exec-file', 'f.yaml', 'cat {}']), ['run', '--as-file', 'f.yaml', '--filename', 'tmp-file', '--', 'sh', '-c', 'cat {}'])
  assert.equal(t(['exec-file', '--no-fifo', '--filename', 'c.json', 'f.json', 'cat {}']), ['run', '--as-file', 'f.json', '--filename', 'c.json', '--no-fifo', '--', 'sh', '-c', 'cat {}'])
  refused(['exec-file', '--output-type', 'json', 'f.yaml', 'cat {}'], 1, /sops-like decrypt --output-type/)
})
test('--indent N and groups add|delete are ours now: passed through as sops spells them', () => {
  assert.equal(t(['-d', '--indent', '2', 'f.yaml']), ['decrypt', '--indent', '2', 'f.yaml'])
  assert.equal(t(['--indent', '2', '-e', 'f.json']), ['encrypt', '--indent', '2', 'f.json'])
  assert.equal(t(['groups', 'add', '--file', 'f.yaml', '--age', 'age1x']), ['groups', 'add', '--file', 'f.yaml', '--age', 'age1x'])
  assert.equal(t(['groups', 'delete', '--file', 'f.yaml', '1']), ['groups', 'delete', '--file', 'f.yaml', '1'])
})
test('--decryption-order passes through to decrypt, edit, rotate, exec-env and exec-file (run); encrypt drops it (it decrypts nothing)', () => {
  assert.equal(t(['-d', '--decryption-order', 'hc_vault,age', 'f.yaml']), ['decrypt', '--decryption-order', 'hc_vault,age', 'f.yaml'])
  assert.equal(t(['--decryption-order=kms', 'f.yaml']), ['edit', '--decryption-order=kms', 'f.yaml'])
  assert.equal(t(['-e', '--decryption-order', 'age', '--age', 'age1x', 'f.yaml']), ['encrypt', '--age', 'age1x', 'f.yaml'])
  assert.equal(t(['exec-env', '--decryption-order', 'pgp,age', 'f.yaml', 'env']), ['run', '-f', 'f.yaml', '--override', '--decryption-order', 'pgp,age', '--', 'sh', '-c', 'env'])
  assert.equal(t(['exec-file', '--decryption-order=age', 'f.yaml', 'cat {}']), ['run', '--as-file', 'f.yaml', '--filename', 'tmp-file', '--decryption-order=age', '--', 'sh', '-c', 'cat {}'])
})
test('sops flags and commands we lack are refused with what to type instead', () => {
  refused(['-d', '-e', 'f.yaml'], 8, /give one of -d, -e, -r, --set/)
  refused(['-d', '--keyservice', 'tcp://x', 'f.yaml'], 1, /--keyservice/)
  refused(['exec-env', '--background', 'f.yaml', 'x'], 1, /background yourself/)
  refused(['exec-env', '--same-process', 'f.yaml', 'x'], 1, /as a child/)
  refused(['-d'], 1, /no file given/)
  refused(['-d', 'a.yaml', 'b.yaml'], 1, /one file at a time/)
})

test.run()
