/**
 * README "Coming from sops": one runnable check per row, named after the row's sops column,
 * so every claim in the table is exercised end to end; and a guard that every row of the
 * README's table is matched by a check here (a new row needs a check).
 * Deeper tests of each row live beside their feature (sops-spellings, sops-argv, groups,
 * indent, formats/corpus, ops/edit/set…); these are the table's smoke tests.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCli, spawnCli, isolatedEnv } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY } from '../helpers/fixtures.js'

let t: ReturnType<typeof tempDir>
let k: TestKey, k2: TestKey
let rt: string
let n = 0
test.before(async () => {
  t = tempDir()
  k = await makeAgeKey(t.dir, 'k')
  k2 = await makeAgeKey(t.dir, 'k2')
  rt = join(t.dir, 'runtime')
  mkdirSync(rt, { mode: 0o700 })
})
test.after(() => t.cleanup())

const PLAIN = `db:\n    password: ${CANARY}\n    port: 5432\n`
const env = (extra: NodeJS.ProcessEnv = {}) => isolatedEnv({ SOPS_AGE_KEY_FILE: k.file, XDG_RUNTIME_DIR: rt, ...extra })
const run = (args: string[], e = env()) => runCli(args, { cwd: t.dir, env: e })
const read = (f: string) => readFileSync(join(t.dir, f), 'utf8')
const write = (ext: string, text: string): string => {
  const name = `r${n++}.${ext}`
  writeFileSync(join(t.dir, name), text)
  return name
}
async function encrypted(ext = 'yaml', text = PLAIN, args: string[] = []): Promise<string> {
  const f = write(ext, text)
  const r = await run(['encrypt', '-i', '--age', k.recipient, ...args, f])
  assert.is(r.code, 0, r.stderr)
  return f
}
function script(body: string): string {
  const p = join(t.dir, `ed${n++}.sh`)
  writeFileSync(p, `#!/bin/sh\n${body}\n`)
  chmodSync(p, 0o755)
  return p
}

/** Each row: its sops column (test name), a pattern matching the README row's first cell, the check. */
const ROWS: Array<{ sops: string; row: RegExp; check: () => Promise<void> }> = [
  {
    sops: 'sops -e f.yaml with an int outside int64',
    row: /int outside int64/,
    check: async () => {
      const r = await run(['encrypt', '--age', k.recipient, write('yaml', 'big: 12345678901234567890\n')])
      assert.is(r.code, 23)
    },
  },
  {
    sops: 'sops -e with non-string keys (1:, true:)',
    row: /non-string keys/,
    check: async () => {
      const r = await run(['encrypt', '--age', k.recipient, write('yaml', '1: x\n')])
      assert.is(r.code, 23)
      assert.match(r.stderr, /non-string key/)
    },
  },
  {
    sops: '--unencrypted-comment-regex / --encrypted-comment-regex',
    row: /comment-regex/,
    check: async () => {
      const f = await encrypted('yaml', '# keep me\na: 1\n# other\nb: 2\n', ['--unencrypted-comment-regex', 'keep'])
      assert.match(read(f), /^# keep me\na: 1\n#ENC\[/)
      assert.is((await run(['decrypt', f])).stdout, '# keep me\na: 1\n# other\nb: 2\n')
      const e = await encrypted('yaml', '# enc this\na: x\nb: w\n', ['--encrypted-comment-regex', 'enc this'])
      assert.match(read(e), /^# enc this\na: ENC\[[^\n]*\nb: w\n/)
    },
  },
  {
    sops: 'YAML merge keys',
    row: /merge keys/,
    check: async () => {
      const f = await encrypted('yaml', 'base: &b\n    a: 1\nx:\n    <<: *b\n    c: 2\n')
      assert.match(read(f), /\n    !!merge <<:\n/)
      assert.is((await run(['decrypt', f])).code, 0)
    },
  },
  {
    sops: 'JSON with duplicate keys or data after }',
    row: /duplicate keys/,
    check: async () => {
      const f = await encrypted('json', '{"a": "1"}')
      writeFileSync(join(t.dir, f), read(f) + 'trailing\n')
      const d = await run(['decrypt', f])
      assert.is(d.code, 0, d.stderr)
      assert.match(d.stderr, /warning/)
      assert.is((await run(['encrypt', '--age', k.recipient, write('json', '{"a": "1", "a": "2"}')])).code, 2)
    },
  },
  {
    sops: 'sops set f \'["k"]\' 5',
    row: /sops set f/,
    check: async () => {
      const f = await encrypted()
      assert.is((await run(['set', f, '["db"]["port"]', '5'])).code, 0)
      assert.match(read(f), /port: ENC\[[^\]]*type:float\]/)
      assert.is((await run(['set', f, '["db"]', '[1]'])).code, 7)
    },
  },
  {
    sops: 'sops set / rotate / updatekeys',
    row: /`sops set` \/ `rotate`/,
    check: async () => {
      const f = await encrypted()
      writeFileSync(join(t.dir, f), read(f).replace(/version: .*/, 'version: 3.7.3'))
      assert.is((await run(['set', f, '["db"]["x"]', '"y"'])).code, 0)
      assert.match(read(f), /version: 3\.7\.3/)
      assert.is((await run(['rotate', '-q', f])).code, 0)
      assert.match(read(f), /version: 3\.7\.3/)
    },
  },
  {
    sops: '--shamir-secret-sharing-threshold N with one key group',
    row: /one key group/,
    check: async () => {
      const f = await encrypted('yaml', PLAIN, ['--shamir-secret-sharing-threshold', '2'])
      assert.match(read(f), /\n    shamir_threshold: 2\n/)
    },
  },
  {
    sops: '--hc-vault-transit URI, --kms ARN, hc_vault_transit_uri, kms:',
    row: /--hc-vault-transit URI/,
    check: async () => {
      const r = await run(['encrypt', '--hc-vault-transit', 'https://127.0.0.1:1/v1/transit/keys/k', write('yaml', PLAIN)], env({ VAULT_TOKEN: 'tok', VAULT_ADDR: 'https://127.0.0.1:8200' }))
      assert.is(r.code, 30)
      assert.match(r.stderr, /token is not sent/)
    },
  },
  {
    sops: 'sops updatekeys',
    row: /^`sops updatekeys`$/,
    check: async () => {
      const dir = join(t.dir, `uk${n++}`)
      mkdirSync(dir)
      writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - age: ${k.recipient}\n`)
      writeFileSync(join(dir, 's.yaml'), PLAIN)
      assert.is((await runCli(['encrypt', '-i', '--age', `${k.recipient},${k2.recipient}`, 's.yaml'], { cwd: dir, env: env() })).code, 0)
      const before = readFileSync(join(dir, 's.yaml'), 'utf8')
      const u = await runCli(['updatekeys', '-y', 's.yaml'], { cwd: dir, env: env() })
      assert.is(u.code, 0, u.stderr)
      const after = readFileSync(join(dir, 's.yaml'), 'utf8')
      assert.is.not(/password: (.*)/.exec(after)?.[1], /password: (.*)/.exec(before)?.[1], 'a recipient was removed: new data key')
      assert.is((await runCli(['decrypt', 's.yaml'], { cwd: dir, env: env({ SOPS_AGE_KEY_FILE: k2.file }) })).code, 128)
    },
  },
  {
    sops: 'sops -d f, sops -e f, -i, --output F, --input-type/--output-type, --extract, --ignore-mac',
    row: /`sops -d f`, `sops -e f`/,
    check: async () => {
      const f = await encrypted('yaml', `a_unencrypted: clear\nb: ${CANARY}\n`)
      assert.is((await run(['-d', '--extract', '["b"]', f])).stdout, CANARY)
      assert.is((await run(['-d', '--output-type', 'json', f])).stdout, `{\n\t"a_unencrypted": "clear",\n\t"b": "${CANARY}"\n}\n`)
      assert.is((await run(['-d', f], env({ SOPS_AGE_KEY_FILE: k2.file }))).code, 128)
      writeFileSync(join(t.dir, f), read(f).replace('clear', 'changed'))
      assert.is((await run(['-d', f])).code, 51)
      assert.is((await run(['-d', '--ignore-mac', '--output', 'out.yaml', f])).code, 0)
      assert.is(read('out.yaml'), `a_unencrypted: changed\nb: ${CANARY}\n`)
    },
  },
  {
    sops: 'sops -d /dev/stdin, sops -e -',
    row: /dev\/stdin/,
    check: async () => {
      const e = spawnCli(['-e', '--input-type', 'yaml', '--age', k.recipient, '-'], { cwd: t.dir, env: env(), input: PLAIN })
      assert.is(e.code, 0, e.stderr)
      const d = spawnCli(['-d', '--input-type', 'yaml', '/dev/stdin'], { cwd: t.dir, env: env(), input: e.stdout })
      assert.is(d.stdout, PLAIN)
    },
  },
  {
    sops: 'sops f (edit)',
    row: /`sops f` \(edit\)/,
    check: async () => {
      const f = await encrypted()
      assert.is((await run([f], env({ SOPS_EDITOR: script('printf "new: v\\n" >> "$1"') }))).code, 0)
      assert.match((await run(['-d', f])).stdout, /\nnew: v\n$/)
      assert.is((await run([f], env({ SOPS_EDITOR: script('true') }))).code, 200)
    },
  },
  {
    sops: 'sops --set \'["k"] "v"\' f',
    row: /sops --set/,
    check: async () => {
      const f = await encrypted()
      const r = await run(['--set', '["db"]["user"] "u"', f])
      assert.is(r.code, 0, r.stderr)
      assert.is(r.stdout, '')
      assert.match((await run(['-d', f])).stdout, /user: u/)
      assert.is((await run(['--set', '["db"]["user"] nope', f])).code, 7)
    },
  },
  {
    sops: 'sops -r f',
    row: /`sops -r f`/,
    check: async () => {
      const f = await encrypted()
      const before = read(f)
      const r = await run(['-r', f])
      assert.is(r.code, 0, r.stderr)
      assert.is(read(f), before)
      assert.match(r.stdout, /\nsops:\n/)
      const i = await run(['-r', '-i', f])
      assert.is(i.stdout, '')
      assert.is.not(read(f), before)
    },
  },
  {
    sops: 'sops exec-env f \'cmd\'',
    row: /exec-env/,
    check: async () => {
      const f = await encrypted('yaml', `password: ${CANARY}\n`)
      const r = await run(['exec-env', f, 'printf %s "$password" > env.out; exit 3'])
      assert.is(r.code, 3)
      assert.is(read('env.out'), CANARY)
    },
  },
  {
    sops: 'sops exec-file f \'cmd {}\'',
    row: /exec-file/,
    check: async () => {
      const f = await encrypted()
      const r = await run(['exec-file', f, 'cat {} > file.out'])
      assert.is(r.code, 0, r.stderr)
      assert.is(read('file.out'), PLAIN)
    },
  },
  {
    sops: 'sops filestatus f',
    row: /filestatus/,
    check: async () => {
      assert.is((await run(['filestatus', await encrypted()])).stdout, '{"encrypted":true}\n')
      assert.is((await run(['filestatus', write('yaml', PLAIN)])).stdout, '{"encrypted":false}\n')
    },
  },
  {
    sops: '--indent N',
    row: /--indent/,
    check: async () => {
      const f = await encrypted('yaml', PLAIN, ['--indent', '2'])
      assert.match(read(f), /^db:\n  password: ENC\[/)
      assert.is((await run(['-d', '--indent', '2', f])).stdout, PLAIN.replace(/^ {4}/gm, '  '))
      const j = await encrypted('json', '{"a": {"b": "c"}}')
      assert.is((await run(['-d', '--indent', '2', j])).stdout, '{\n  "a": {\n    "b": "c"\n  }\n}\n')
    },
  },
  {
    sops: 'sops groups add / groups delete',
    row: /groups/,
    check: async () => {
      const f = await encrypted()
      const add = await run(['groups', 'add', '--file', f, '--age', k2.recipient, '-i'])
      assert.is(add.code, 0, add.stderr)
      assert.match(read(f), /\n    shamir_threshold: 2\n/)
      assert.is((await run(['-d', f])).code, 128, 'one of two groups is not enough')
      assert.is((await run(['groups', 'delete', '--file', f, '1'])).code, 1, 'threshold 2 with one group left: refused as sops')
      const both = join(t.dir, 'both-keys.txt')
      writeFileSync(both, readFileSync(k.file, 'utf8') + readFileSync(k2.file, 'utf8'), { mode: 0o600 })
      const del = await run(['groups', 'delete', '--file', f, '--shamir-secret-sharing-threshold', '1', '1'], env({ SOPS_AGE_KEY_FILE: both }))
      assert.is(del.code, 0, del.stderr)
      assert.match(del.stdout, /\nsops:\n/)
      assert.not.match(del.stdout, k2.recipient)
    },
  },
  {
    sops: '--keyservice',
    row: /--keyservice/,
    check: async () => {
      const r = await run(['-d', '--keyservice', 'tcp://localhost:5000', await encrypted()])
      assert.is(r.code, 1)
      assert.match(r.stderr, /--keyservice is a sops flag/)
    },
  },
]

for (const r of ROWS) test(`README "Coming from sops": ${r.sops}`, r.check)

/** Rows another test file answers for: test/cli/decryption-order.test.ts, test/cli/edit.test.ts (`set --value-…`). */
const ELSEWHERE = [/^`--decryption-order/, /^`sops set --value-stdin/]

const README = fileURLToPath(new URL('../../README.md', import.meta.url))
test('every row of README\'s "Coming from sops" table has a check here', () => {
  if (!existsSync(README)) return
  const text = readFileSync(README, 'utf8')
  const start = text.indexOf('### Coming from sops')
  assert.ok(start >= 0, 'README has the table')
  const body = text.slice(start + 4).split(/\n##+ /)[0]!
  const rows = body.split('\n').filter((x) => x.startsWith('| ') && !x.startsWith('| sops |') && !x.startsWith('|---')).map((x) => x.split(' | ')[0]!.slice(2).trim())
  assert.ok(rows.length >= 15)
  const unmatched = rows.filter((cell) => !ROWS.some((r) => r.row.test(cell)) && !ELSEWHERE.some((re) => re.test(cell)))
  assert.equal(unmatched, [], 'README rows without a check: add one to ROWS')
})

test.run()
