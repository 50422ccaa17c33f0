/**
 * End to end: sops' `--indent N` on encrypt, decrypt, set, rotate (and through sops' own
 * spellings): YAML (0 = 4), JSON (-1 = tab, 0 = no indentation), the binary format's JSON
 * envelope; dotenv/INI/TOML have no indentation. groups add/delete: test/cli/groups.test.ts.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli, isolatedEnv } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'

let t: ReturnType<typeof tempDir>
let k: TestKey
let n = 0
test.before(async () => {
  t = tempDir()
  k = await makeAgeKey(t.dir)
})
test.after(() => t.cleanup())

const run = (args: string[]) => runCli(args, { cwd: t.dir, env: isolatedEnv({ SOPS_AGE_KEY_FILE: k.file }) })
const read = (f: string) => readFileSync(join(t.dir, f), 'utf8')
function file(ext: string, text: string): string {
  const name = `f${n++}.${ext}`
  writeFileSync(join(t.dir, name), text)
  return name
}
const YAML = 'db:\n    user: u\n    hosts:\n        - a\n        - b\n'
const JSON_TEXT = '{\n\t"db": {\n\t\t"user": "u"\n\t}\n}\n'

test('encrypt --indent 2 (YAML): data and sops metadata by 2; decrypt without --indent gives sops\' 4', async () => {
  const f = file('yaml', YAML)
  const e = await run(['encrypt', '--indent', '2', '--age', k.recipient, '-i', f])
  assert.is(e.code, 0, e.stderr)
  const out = read(f)
  assert.match(out, /^db:\n  user: ENC\[[^\n]*\n  hosts:\n    - ENC\[/)
  assert.match(out, /\nsops:\n  age:\n    - enc: \|\n        -----BEGIN AGE ENCRYPTED FILE-----\n/)
  const d = await run(['decrypt', f])
  assert.is(d.code, 0, d.stderr)
  assert.is(d.stdout, YAML)
  const d2 = await run(['decrypt', '--indent', '2', f])
  assert.is(d2.stdout, 'db:\n  user: u\n  hosts:\n    - a\n    - b\n')
})

test('sops spelling: sops-like -d --indent 3 FILE and --indent 0 (= 4)', async () => {
  const f = file('yaml', YAML)
  assert.is((await run(['-e', '-i', '--age', k.recipient, f])).code, 0)
  const d = await run(['-d', '--indent', '3', f])
  assert.is(d.code, 0, d.stderr)
  assert.is(d.stdout, 'db:\n   user: u\n   hosts:\n      - a\n      - b\n')
  assert.is((await run(['--indent', '0', '-d', f])).stdout, YAML)
})

test('JSON: --indent 2 spaces, 0 no indentation, -1 a tab (the default)', async () => {
  const f = file('json', JSON_TEXT)
  assert.is((await run(['encrypt', '-i', '--age', k.recipient, f])).code, 0)
  assert.is((await run(['decrypt', '--indent', '2', f])).stdout, '{\n  "db": {\n    "user": "u"\n  }\n}\n')
  assert.is((await run(['decrypt', '--indent', '0', f])).stdout, '{\n"db": {\n"user": "u"\n}\n}\n')
  assert.is((await run(['decrypt', '--indent', '-1', f])).stdout, JSON_TEXT)
  const e = await run(['encrypt', '--indent', '4', '--age', k.recipient, file('json', JSON_TEXT)])
  assert.match(e.stdout, /^\{\n    "db": \{\n        "user": "ENC\[/)
  assert.match(e.stdout, /\n    "sops": \{\n        "age": \[\n            \{/)
})

test('binary: --indent shapes the encrypted JSON envelope; the decrypted bytes are as they were', async () => {
  const f = file('bin', 'raw\nbytes\n')
  const e = await run(['encrypt', '--indent', '2', '--age', k.recipient, '-i', f])
  assert.is(e.code, 0, e.stderr)
  assert.match(read(f), /^\{\n  "data": "ENC\[[^\n]*\n  "sops": \{\n    "age": \[/)
  assert.is((await run(['decrypt', '--indent', '2', f])).stdout, 'raw\nbytes\n')
})

test('dotenv, INI and TOML have no indentation: --indent changes nothing', async () => {
  for (const [ext, text] of [['env', 'A=1\n'], ['ini', '[s]\na = 1\n'], ['toml', '[s]\na = 1\n']] as const) {
    const f = file(ext, text)
    assert.is((await run(['encrypt', '-i', '--age', k.recipient, f])).code, 0)
    assert.is((await run(['decrypt', '--indent', '2', f])).stdout, (await run(['decrypt', f])).stdout, ext)
  }
})

test('bad values: YAML negative exits 4 (sops: "YAML Negative indentation not accepted"), JSON below -1 exits 4, not a number exits 1', async () => {
  const y = file('yaml', YAML)
  assert.is((await run(['encrypt', '-i', '--age', k.recipient, y])).code, 0)
  const neg = await run(['decrypt', '--indent', '-1', y])
  assert.is(neg.code, 4)
  assert.match(neg.stderr, /negative indentation/)
  const j = file('json', JSON_TEXT)
  assert.is((await run(['encrypt', '-i', '--age', k.recipient, j])).code, 0)
  assert.is((await run(['decrypt', '--indent', '-2', j])).code, 4)
  const nan = await run(['decrypt', '--indent', 'two', j])
  assert.is(nan.code, 1)
  assert.match(nan.stderr, /--indent takes a whole number/)
})

test('set, unset and rotate write with --indent (sops applies it to every output store)', async () => {
  const f = file('yaml', YAML)
  assert.is((await run(['encrypt', '-i', '--age', k.recipient, f])).code, 0)
  const s = await run(['set', '--indent', '2', f, '["db"]["pass"]', '"p"'])
  assert.is(s.code, 0, s.stderr)
  assert.match(read(f), /^db:\n  user: ENC\[[^\n]*\n  hosts:\n/)
  const r = await run(['rotate', '--indent', '4', f])
  assert.is(r.code, 0, r.stderr)
  assert.match(read(f), /^db:\n    user: ENC\[/)
  const o = await run(['-r', '--indent', '2', f])
  assert.is(o.code, 0, o.stderr)
  assert.match(o.stdout, /^db:\n  user: ENC\[/)
  const u = await run(['unset', '--indent', '2', f, '["db"]["pass"]'])
  assert.is(u.code, 0, u.stderr)
  assert.match(read(f), /^db:\n  user: ENC\[/)
  assert.is((await run(['decrypt', f])).stdout, YAML)
})

test.run()
