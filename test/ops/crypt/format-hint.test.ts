/** Wrong-format errors name the flag that fixes them; the guess picks words only and never echoes input. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sniffFormat, withFormatHint } from '../../../src/ops/crypt/format-hint.js'
import { EmitError, FormatError, MacMismatchError } from '../../../src/errors.js'
import { CANARY } from '../../helpers/fixtures.js'

const b = (s: string) => Buffer.from(s)

test('sniffFormat guesses the format sops files are written in', () => {
  assert.is(sniffFormat(b(`db:\n    password: ENC[…]\nsops:\n    age: []\n`)), 'yaml')
  assert.is(sniffFormat(b(`  {"a": 1}`)), 'json')
  assert.is(sniffFormat(b(`A=ENC[…]\nsops_version=3.13.2\n`)), 'dotenv')
  assert.is(sniffFormat(b(`[db]\nuser = ENC[…]\n\n[sops]\nversion = 3.13.2\n`)), 'ini')
  assert.is(sniffFormat(b(`user = "ENC[…]"\n\n[sops]\nversion = "3.13.2"\n`)), 'toml')
  assert.is(sniffFormat(b('\u0000\u0001')), undefined)
})

test('a YAML file read as JSON: same class and exit code, names --input-type yaml, never the input text', () => {
  const e = withFormatHint(new FormatError('sops only supports JSON files with a top-level object', 1, 1), b(`secret: ${CANARY}\nsops:\n  x: 1\n`), 'json', false) as FormatError
  assert.ok(e instanceof FormatError)
  assert.is(e.exitCode, 2)
  assert.match(e.message, /at line 1, column 1; it looks like YAML: pass --input-type yaml$/)
  assert.not.ok(e.message.includes(CANARY))
  const stdin = withFormatHint(new FormatError('x'), b('a: 1\n'), 'binary', true) as FormatError
  assert.match(stdin.message, /pass --input-type yaml \(or --filename-override PATH: the name standard input came from\)$/)
})

test('JSON on unnamed stdin (read as binary) names --input-type json; unknown shapes name the flag generally; other errors untouched', () => {
  const e = withFormatHint(new EmitError('error emitting binary store: no binary data found in tree'), b('{"a": "x", "sops": {}}'), 'binary', true) as EmitError
  assert.ok(e instanceof EmitError)
  assert.match(e.message, /looks like JSON: pass --input-type json/)
  const g = withFormatHint(new FormatError('invalid dotenv line'), b('\u0000'), 'dotenv', false) as FormatError
  assert.match(g.message, /read as dotenv from its name: pass --input-type \(yaml, json, dotenv, ini, toml, binary\)$/)
  const other = new MacMismatchError('MAC mismatch')
  assert.is(withFormatHint(other, b('a: 1'), 'json', false), other)
})

test.run()
