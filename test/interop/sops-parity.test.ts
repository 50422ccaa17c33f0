/**
 * sops parity at the edges (issue 18): each test is named after the sops 3.13 behaviour it
 * pins. Files are made with the CLI and checked by their text (types, metadata lines) or by
 * decrypting; where a real sops fixture exists (../shared/fixtures/sops) the output is compared
 * byte for byte with the fixture's own decryption (skipped, with one line, when it is absent).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isolatedEnv, runCli, type CliResult } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'
import { CANARY, DATA_KEYS, FIXTURES, fixture } from '../helpers/fixtures.js'
import { decryptBytes } from '../../src/ops/crypt/decrypt.js'

let t: ReturnType<typeof tempDir>
let a: TestKey, b: TestKey, c: TestKey
test.before(async () => {
  t = tempDir('sops-like-parity-')
  ;[a, b, c] = [await makeAgeKey(t.dir, 'a'), await makeAgeKey(t.dir, 'b'), await makeAgeKey(t.dir, 'c')]
})
test.after(() => t.cleanup())

const env = (extra: NodeJS.ProcessEnv = {}) => isolatedEnv({ SOPS_AGE_KEY_FILE: a.file, ...extra })
const run = (args: string[], e = env()) => runCli(args, { cwd: t.dir, env: e })
const write = (name: string, text: string): string => {
  writeFileSync(join(t.dir, name), text)
  return name
}
const read = (name: string) => readFileSync(join(t.dir, name), 'utf8')
let n = 0
async function encrypted(plain: string, ext = 'yaml', flags: string[] = []): Promise<string> {
  const src = write(`plain${n}.${ext}`, plain)
  const out = `f${n++}.enc.${ext}`
  const r = await run(['encrypt', '--age', a.recipient, ...flags, '-o', out, src])
  assert.is(r.code, 0, r.stderr)
  return out
}
function oneLineError(r: CliResult, code: number): void {
  assert.is(r.code, code, r.stderr)
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.not.ok(r.stderr.includes(CANARY), 'canary in stderr')
}
const hasShared = existsSync(FIXTURES)
const skipShared = (name: string): boolean => {
  if (!hasShared) console.log(`skip (no ../shared/fixtures/sops): ${name}`)
  return !hasShared
}

// 1 ----------------------------------------------------------------------------------------------

test('sops refuses to encrypt a YAML int outside int64 (go-yaml reads it as uint64): exit 23, nothing written', async () => {
  for (const big of ['12345678901234567890', '0xFFFFFFFFFFFFFFFF']) {
    const src = write(`big${n++}.yaml`, `secret: ${CANARY}\nbig: ${big}\n`)
    oneLineError(await run(['encrypt', '--age', a.recipient, '-i', src]), 23)
    assert.is(read(src), `secret: ${CANARY}\nbig: ${big}\n`)
  }
  // what go-yaml reads as a float (below int64, no uint64) or a string (quoted) encrypts as sops does
  const f = await encrypted('small: -9223372036854775809\nquoted: "12345678901234567890"\n')
  assert.match(read(f), /small: ENC\[AES256_GCM,[^\]]*type:float\]/)
  assert.match(read(f), /quoted: ENC\[AES256_GCM,[^\]]*type:str\]/)
})

test('a file with a type:int value outside int64 (written by older versions) still decrypts', async () => {
  const f = await encrypted('big: "12345678901234567890"\n')
  // the type label is not authenticated (sops' AAD is the path): relabel str → int
  writeFileSync(join(t.dir, f), read(f).replace(/type:str\]/, 'type:int]'))
  const r = await run(['decrypt', f])
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, 'big: 12345678901234567890\n')
})

// 2 ----------------------------------------------------------------------------------------------

test('sops: "Tree contains a non-string key" — encrypt of `1:` / `true:` / `~:` keys fails with 23, one line', async () => {
  for (const [key, type] of [['1', 'int'], ['true', 'bool'], ['~', 'null'], ['2001-01-01', 'time'], ['1.5', 'float']]) {
    const src = write(`keys${n++}.yaml`, `ok: 1\nnested:\n    ${key}: ${CANARY}\n`)
    const r = await run(['encrypt', '--age', a.recipient, src])
    oneLineError(r, 23)
    assert.match(r.stderr, /non-string key/)
    assert.match(r.stderr, new RegExp(`\\(${type}\\)`))
    assert.is(r.stdout, '')
  }
  // quoted, they are strings
  const f = await encrypted('"1": x\n"true": z\n')
  assert.is((await run(['decrypt', f])).stdout, '"1": x\n"true": z\n')
})

// 3 ----------------------------------------------------------------------------------------------

test('sops leaves the comment matching --unencrypted-comment-regex in clear (and the value under it)', async () => {
  const plain = `# sops:clear\npublic: hello\n# a note\nsecret: ${CANARY}\n`
  const f = await encrypted(plain, 'yaml', ['--unencrypted-comment-regex', 'sops:clear'])
  const enc = read(f)
  assert.ok(enc.startsWith('# sops:clear\npublic: hello\n#ENC[AES256_GCM,'), enc.slice(0, 80))
  assert.match(enc, /\nsecret: ENC\[AES256_GCM,/)
  assert.match(enc, /\n    unencrypted_comment_regex: sops:clear\n/)
  const r = await run(['decrypt', f])
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, plain)
})

test('sops\' --encrypted-comment-regex keeps the matching comment itself in clear and encrypts what follows', async () => {
  const plain = `# sops:enc\n# second\nsecret: ${CANARY}\nother: x\n`
  const f = await encrypted(plain, 'yaml', ['--encrypted-comment-regex', 'sops:enc'])
  const enc = read(f)
  assert.ok(enc.startsWith('# sops:enc\n#ENC[AES256_GCM,'), enc.slice(0, 60))
  assert.match(enc, /\nsecret: ENC\[AES256_GCM,/)
  assert.match(enc, /\nother: x\n/)
  assert.is((await run(['decrypt', f])).stdout, plain)
})

// 4 ----------------------------------------------------------------------------------------------

test('a merge key is written `!!merge <<:` as go-yaml v3.0.4 (sops 3.13) writes it, and decrypts', async () => {
  // go-yaml's encoder writes the string "<<" plain; Node.Encode re-reads it as a !!merge scalar,
  // and the emitter keeps that tag (resolve("", "<<") is !!str): `!!merge <<`, never `"<<"`.
  const plain = 'base:\n    user: admin\nprod:\n    <<:\n        user: admin\n    port: 6543\n'
  const f = await encrypted(plain)
  assert.match(read(f), /\nprod:\n {4}!!merge <<:\n {8}user: ENC\[/)
  assert.is((await run(['decrypt', f])).stdout, plain.replace('    <<:', '    !!merge <<:'))
})

// 5 ----------------------------------------------------------------------------------------------

test('sops\' JSON token reader ignores data after the top-level object: a sops fixture with trailing data decrypts the same, one warning', async () => {
  if (skipShared('JSON trailing data on a sops fixture')) return
  const file = 'functional-tests/res/format.enc.json'
  const dataKey = Buffer.from(DATA_KEYS[file]!, 'hex')
  const want = Buffer.from(await decryptBytes(fixture(file), { inputFormat: 'json', dataKey }))
  const notes: string[] = []
  const got = Buffer.from(await decryptBytes(Buffer.concat([fixture(file), Buffer.from('\n{"trailing": 1}\ngarbage')]), { inputFormat: 'json', dataKey, fileName: 'f.json', onNote: (l) => notes.push(l) }))
  assert.ok(got.equals(want), got.toString())
  assert.is(notes.length, 1)
  assert.match(notes[0]!, /^warning: f\.json is JSON with data after the top-level object \(line \d+\)/)
})

test('sops\' JSON token reader keeps duplicate keys: decrypt keeps both (MAC checked), warns once; encrypt refuses', async () => {
  const f = await encrypted('{\n\t"a_unencrypted": "one",\n\t"b_unencrypted": "two",\n\t"c": "x"\n}\n', 'json')
  // the MAC covers values in order, not key names: renaming b → a keeps it valid
  writeFileSync(join(t.dir, f), read(f).replace('"b_unencrypted"', '"a_unencrypted"') + '\n\n# trailing\n')
  const r = await run(['decrypt', f])
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, '{\n\t"a_unencrypted": "one",\n\t"a_unencrypted": "two",\n\t"c": "x"\n}\n')
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, /warning: .* is JSON with a duplicate key \(line 3\) and data after the top-level object \(line \d+\)/)
  // encrypting such a plaintext would lose the trailing data: refused (2)
  oneLineError(await run(['encrypt', '--age', a.recipient, write('dup.json', `{"a": 1}\n{"b": "${CANARY}"}\n`)]), 2)
})

// 6 ----------------------------------------------------------------------------------------------

test('sops\' set and rotate keep the file\'s version; edit writes its own', async () => {
  const f = await encrypted(`a: 1\nsecret: ${CANARY}\n`)
  writeFileSync(join(t.dir, f), read(f).replace(/\n {4}version: [^\n]+\n/, '\n    version: 3.7.3\n'))
  assert.is((await run(['set', f, '["a"]', '2'])).code, 0)
  assert.match(read(f), /\n {4}version: 3\.7\.3\n/)
  assert.is((await run(['unset', f, '["a"]'])).code, 0)
  assert.match(read(f), /\n {4}version: 3\.7\.3\n/)
  const r = await run(['rotate', f])
  assert.is(r.code, 0, r.stderr)
  assert.match(read(f), /\n {4}version: 3\.7\.3\n/)
  assert.is((await run(['decrypt', f])).stdout, `secret: ${CANARY}\n`)
  const ed = write('ed.sh', '#!/bin/sh\nprintf "secret: changed\\n" > "$1"\n')
  ;(await import('node:fs')).chmodSync(join(t.dir, ed), 0o755)
  const e = await run(['edit', f], env({ EDITOR: join(t.dir, ed) }))
  assert.is(e.code, 0, e.stderr)
  assert.not.match(read(f), /version: 3\.7\.3/)
})

// 7 ----------------------------------------------------------------------------------------------

test('sops\' set stores a JSON number as type:float (encoding/json float64), plaintext `5`', async () => {
  const f = await encrypted('num: 1\n')
  assert.is((await run(['set', f, '["num"]', '5'])).code, 0)
  assert.match(read(f), /^num: ENC\[AES256_GCM,[^\]]*type:float\]\n/)
  assert.is((await run(['decrypt', '--extract', '["num"]', f])).stdout, '5\n') // sops' EmitValue: yaml.Marshal(5.0)
  assert.is((await run(['decrypt', f])).stdout, 'num: 5\n')
  assert.is((await run(['set', f, '["num"]', '2.50'])).code, 0)
  assert.is((await run(['decrypt', f])).stdout, 'num: 2.5\n')
  // numbers inside an object keep sops' file rules (int within int64)
  assert.is((await run(['set', f, '["o"]', '{"i": 7}'])).code, 0)
  assert.match(read(f), /\n {4}i: ENC\[AES256_GCM,[^\]]*type:int\]\n/)
})

test('sops\' set of a top-level JSON array value exits 7 (invalid --set value format), file untouched', async () => {
  const f = await encrypted('n: 1\n')
  const before = read(f)
  oneLineError(await run(['set', f, '["n"]', `["${CANARY}", 2]`]), 7)
  assert.is(read(f), before)
})

// 9 ----------------------------------------------------------------------------------------------

test('sops writes shamir_threshold given with one key group (--shamir-secret-sharing-threshold 2)', async () => {
  const f = await encrypted(`s: ${CANARY}\n`, 'yaml', ['--shamir-secret-sharing-threshold', '2'])
  assert.match(read(f), /\n {4}shamir_threshold: 2\n/)
  assert.is((await run(['decrypt', f])).stdout, `s: ${CANARY}\n`) // one group: no split, one key opens it
  assert.is((await run(['rotate', f])).code, 0)
  assert.match(read(f), /\n {4}shamir_threshold: 2\n/) // kept, as sops' rotate keeps the metadata
})

// 10 ---------------------------------------------------------------------------------------------

test('sops exit codes: malformed input 2, comment-only YAML 2, empty YAML 92, --extract not found 1, set bad path 7', async () => {
  oneLineError(await run(['encrypt', '--age', a.recipient, write('bad.yaml', `a: [\n  b: ${CANARY}\n`)]), 2)
  oneLineError(await run(['encrypt', '--age', a.recipient, write('bad.json', `{"a": ${CANARY}}`)]), 2)
  oneLineError(await run(['encrypt', '--age', a.recipient, write('comments.yaml', '# only a comment\n\n')]), 2)
  oneLineError(await run(['encrypt', '--age', a.recipient, write('empty.yaml', '')]), 92)
  const f = await encrypted(`db:\n    user: admin\nhosts:\n    - a\n`)
  oneLineError(await run(['decrypt', '--extract', '["nope"]', f]), 1)
  oneLineError(await run(['decrypt', '--extract', '["hosts"][5]', f]), 1)
  oneLineError(await run(['decrypt', '--extract', 'db.user', f]), 91)
  oneLineError(await run(['set', f, 'db.user', '"x"']), 7)
  oneLineError(await run(['set', f, '["hosts"]["x"]', '"x"']), 7)
  oneLineError(await run(['unset', f, '["nope"]']), 1)
  oneLineError(await run(['unset', f, 'nope']), 7)
})

// 12 ---------------------------------------------------------------------------------------------

test('a 3-group threshold-2 file opened with one key says "1 of 3 groups opened, 2 needed"', async () => {
  write('.sops-like.yaml', `creation_rules:\n  - path_regex: groups\\.yaml$\n    shamir_threshold: 2\n    key_groups:\n      - age: [${a.recipient}]\n      - age: [${b.recipient}]\n      - age: [${c.recipient}]\n`)
  write('groups.yaml', `s: ${CANARY}\n`)
  assert.is((await run(['encrypt', '-i', 'groups.yaml'])).code, 0)
  const r = await run(['decrypt', 'groups.yaml'])
  oneLineError(r, 128)
  assert.match(r.stderr, /\(1 of 3 groups opened, 2 needed\)/)
  assert.is((await run(['decrypt', 'groups.yaml'], env({ SOPS_AGE_KEY: readFileSync(c.file, 'utf8') }))).code, 0)
})

test.run()
