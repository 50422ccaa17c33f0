/** parseDotenvx on hostile text: an unterminated quote must not make the parse quadratic (run checks every plaintext file with it). */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { looksLikeDotenvx, parseDotenvx } from '../../../src/ops/crypt/dotenvx.js'

test('multi-line quoted values end at the same quote; an unterminated one runs to the end', () => {
  assert.equal(parseDotenvx('A="one\ntwo" # c\nB=3\n'), [{ kind: 'var', key: 'A', value: 'one\ntwo', line: 1 }, { kind: 'var', key: 'B', value: '3', line: 3 }])
  assert.equal(parseDotenvx("A='x\ny\nz"), [{ kind: 'var', key: 'A', value: 'x\ny\nz', line: 1 }])
  assert.equal(parseDotenvx('A=`k`'), [{ kind: 'var', key: 'A', value: 'k', line: 1 }])
})

test('unterminated-quote hang: a file with A=" and 5,000 more lines is searched once per line, not once per line for the whole value so far', () => {
  const text = 'DOTENV_PUBLIC_KEY="02ab"\nA="' + `${'x'.repeat(20)}\n`.repeat(5000)
  // count the characters indexOf is asked to search (time-free: the old parse searched ~260 million here)
  const original = String.prototype.indexOf
  let scanned = 0
  String.prototype.indexOf = function (this: string, ...args: Parameters<string['indexOf']>) { scanned += this.length; return original.apply(this, args) }
  try {
    assert.ok(looksLikeDotenvx(Buffer.from(text)))
  } finally {
    String.prototype.indexOf = original
  }
  assert.ok(scanned < 4 * text.length, `searched ${scanned} characters for a ${text.length}-character file`)
})

test.run()
