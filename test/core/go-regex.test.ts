/**
 * Regexes from files and configs run on RE2 (re2js) with Go's syntax: linear time on the
 * catastrophic-backtracking patterns a hostile file or config can carry, Go's accepts and
 * rejects, and typed errors that name the regex's origin, never its text.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { goRegex, MAX_REGEX_SOURCE, RegexBudget } from '../../src/core/go-regex.js'
import { compileSelectors } from '../../src/core/selection.js'
import { LimitExceededError, RegexError } from '../../src/errors.js'
import { isolatedEnv, TSX_IMPORT } from '../helpers/cli.js'
import { makeAgeKey, tempDir, type TestKey } from '../helpers/keys.js'

const EVIL = '^([a-z_]+)+[0-9]$'
const EVIL_KEY = 'a'.repeat(40) + '!' // a JS RegExp takes ~2^40 steps to reject this

const throwsTyped = (fn: () => unknown, C: new (...a: never[]) => Error, re: RegExp, notIn?: string): void => {
  try { fn() } catch (e) {
    assert.ok(e instanceof C, `${(e as Error).name}: ${(e as Error).message}`)
    assert.match((e as Error).message, re)
    if (notIn) assert.not.ok((e as Error).message.includes(notIn), `the message quotes the regex: ${(e as Error).message}`)
    return
  }
  assert.unreachable('expected an error')
}

test('catastrophic backtracking pattern: RE2 answers at once (in-process, a 40-character key)', () => {
  const re = goRegex(EVIL, 'x')
  assert.not.ok(re.test(EVIL_KEY))
  assert.ok(re.test('abc_d7'))
  const d = compileSelectors({ encrypted_regex: EVIL }, 'metadata')
  assert.not.ok(d([EVIL_KEY], [], false))
})

test("Go's syntax: flags, \\A \\z, (?U), Perl and POSIX classes, \\Q…\\E, named groups, case folding", () => {
  const m = (re: string, s: string) => goRegex(re, 'x').test(s)
  assert.ok(m('(?i)^SECRET', 'secret_x'))
  assert.ok(m('^a(?i:b)c$', 'aBc'))
  assert.not.ok(m('^a(?i:b)c$', 'aBC'))
  assert.ok(m('x(?i)y', 'xY'), 'a flag group in the middle (JS rejects it)')
  assert.ok(m('(?U)^a+$', 'aaa'), 'Go accepts the ungreedy flag')
  assert.ok(m('\\Aab\\z', 'ab'))
  assert.not.ok(m('\\Aab\\z', 'ab\n'))
  assert.not.ok(m('ab$', 'ab\n'), '$ is the end of text without (?m)')
  assert.ok(m('(?m)^b$', 'a\nb\nc'))
  assert.not.ok(m('^.$', '\n'))
  assert.ok(m('(?s)^.$', '\n'))
  assert.ok(m('^.$', '\u{1F600}'), '. is one code point')
  assert.ok(m('^\\pL+$', 'héllo'))
  assert.ok(m('^[[:alpha:]]+$', 'abc'))
  assert.ok(m('^\\Qa.b\\E$', 'a.b'))
  assert.not.ok(m('^\\Qa.b\\E$', 'axb'))
  assert.ok(m('^(?P<n>ab)$', 'ab'))
  assert.ok(m('(?i)k', '\u212A'), 'Go folds K, k and the Kelvin sign')
  assert.ok(m('^a{,3}$', 'a{,3}'), 'a{,3} is literal in Go')
  assert.ok(m('^(data|stringData)$', 'stringData'))
})

test('what Go rejects is a RegexError (14) naming the origin, without the regex text', () => {
  for (const bad of ['(a)\\1', '(?=x)', '(?!x)', '(?<=x)a', '(?<!x)a', 'a**', '\\Z', '\\C', '[', '(', 'a{1001}', '(a{1000}){1000}', 'x\\', '(?#c)']) {
    throwsTyped(() => goRegex(bad, 'sops.encrypted_regex in the file\'s metadata'), RegexError, /^sops\.encrypted_regex in the file's metadata: not a valid Go \(RE2\) regular expression: [A-Za-z ]+( \]| \))?$/)
    assert.is(new RegexError('').exitCode, 14)
  }
  // selectors name their field and origin
  throwsTyped(() => compileSelectors({ unencrypted_comment_regex: '(?<=secret)' }, 'metadata'), RegexError, /^sops\.unencrypted_comment_regex in the file's metadata: /, 'secret')
  throwsTyped(() => compileSelectors({ encrypted_regex: '\\1' }, 'creation_rules[3]'), RegexError, /^creation_rules\[3\]\.encrypted_regex: /)
})

test('regex resource limits: source length, RE2 program size and the work budget are LimitExceededError (15)', () => {
  throwsTyped(() => goRegex('a'.repeat(MAX_REGEX_SOURCE + 1), 'r'), LimitExceededError, /^r: .*longer than/)
  throwsTyped(() => goRegex('(?:ab|cd|ef|gh|ij|kl|mn|op){1000}'.repeat(100), 'r'), LimitExceededError, /^r: .*too large/)
  // a big program over a long input: refused before matching (it would take seconds)
  const re = goRegex('\\pL{1000}'.repeat(8), 'r')
  assert.not.ok(re.test('x'.repeat(2000)), 'within the budget it runs (8,000 letters needed)')
  throwsTyped(() => re.test('x'.repeat(40_000)), LimitExceededError, /^r: .*work budget/)
  // the regexes of one operation share the budget
  const budget = new RegexBudget(10_000)
  const a = goRegex('^a', 'a', budget)
  throwsTyped(() => { for (let i = 0; i < 1000; i++) a.test('a'.repeat(100)) }, LimitExceededError, /^a: /)
  throwsTyped(() => goRegex('^b', 'b', budget), LimitExceededError, /^b: /)
  assert.is(new LimitExceededError('').exitCode, 15)
})

// --- the CLI, in a real process: a hang would be killed by the timeout (20 s, far below 2^40 steps)

const ENTRY = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url))
let t: ReturnType<typeof tempDir>
let k: TestKey
test.before(async () => {
  t = tempDir('sops-like-regex-')
  k = await makeAgeKey(t.dir)
})
test.after(() => t.cleanup())

function cli(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, ['--import', TSX_IMPORT, ENTRY, ...args], {
    cwd, env: isolatedEnv({ SOPS_AGE_KEY_FILE: k.file }), encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL',
  })
  assert.is(r.signal, null, `${args[0]} did not finish (killed by the timeout)`)
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

test('regex DoS: a metadata selector ^([a-z_]+)+[0-9]$ and a 40-character key — encrypt, decrypt, textconv and check finish', () => {
  const dir = join(t.dir, 'meta')
  spawnSync('mkdir', [dir])
  writeFileSync(join(dir, 'plain.yaml'), `${EVIL_KEY}: hello\npassword1: s3cret\n`)
  const enc = cli(['encrypt', '--age', k.recipient, '--encrypted-regex', EVIL, 'plain.yaml'], dir)
  assert.is(enc.code, 0, enc.stderr)
  assert.ok(enc.stdout.includes(`encrypted_regex: ${EVIL}`) || enc.stdout.includes(`encrypted_regex: '${EVIL}'`), 'the selector is in the metadata')
  writeFileSync(join(dir, 'evil.enc.yaml'), enc.stdout)
  const dec = cli(['decrypt', 'evil.enc.yaml'], dir)
  assert.is(dec.code, 0, dec.stderr)
  assert.is(dec.stdout, `${EVIL_KEY}: hello\npassword1: s3cret\n`)
  const tc = cli(['textconv', 'evil.enc.yaml'], dir)
  assert.is(tc.code, 0, tc.stderr)
  assert.ok(tc.stdout.includes('s3cret'))
  const ck = cli(['check', 'evil.enc.yaml'], dir)
  assert.is(ck.code, 0, ck.stderr)
})

test('regex DoS: path_regex ^([a-z_]+)+[0-9]$ in a repository config and a 40-character file name — encrypt and check finish', () => {
  const dir = join(t.dir, 'cfg')
  spawnSync('mkdir', [dir])
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: '${EVIL}'\n    age: age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun\n  - age: ${k.recipient}\n`)
  const name = 'a'.repeat(40) + '.yaml'
  writeFileSync(join(dir, name), 'k: v\n')
  const enc = cli(['encrypt', '-i', name], dir)
  assert.is(enc.code, 0, enc.stderr)
  assert.ok(readFileSync(join(dir, name), 'utf8').includes(k.recipient), 'the second rule was used')
  const ck = cli(['check', name], dir)
  assert.is(ck.code, 0, ck.stderr)
})

test('a regex Go rejects (lookbehind, backreference) is RegexError, exit 14, naming its origin; a (?U) selector (an internal error before) works as in Go', () => {
  const dir = join(t.dir, 'bad')
  spawnSync('mkdir', [dir])
  writeFileSync(join(dir, '.sops-like.yaml'), `creation_rules:\n  - path_regex: '(?<=x)secret'\n    age: ${k.recipient}\n`)
  writeFileSync(join(dir, 'a.yaml'), 'k: v\n')
  const r = cli(['encrypt', 'a.yaml'], dir)
  assert.is(r.code, 14, r.stderr)
  assert.match(r.stderr, /creation_rules\[0\]\.path_regex: not a valid Go \(RE2\) regular expression/)
  assert.not.match(r.stderr, /secret/)
  // metadata selectors put in by hand after encryption (no key needed to do that)
  const plain = join(t.dir, 'bad-meta')
  spawnSync('mkdir', [plain])
  writeFileSync(join(plain, 'a.yaml'), 'k: v\n')
  const enc = cli(['encrypt', '--age', k.recipient, '--encrypted-regex', '^k$', 'a.yaml'], plain)
  assert.is(enc.code, 0, enc.stderr)
  writeFileSync(join(plain, 'b.enc.yaml'), enc.stdout.replace(/encrypted_regex: .*/, () => "encrypted_regex: '(k)\\1'"))
  const d = cli(['decrypt', 'b.enc.yaml'], plain)
  assert.is(d.code, 14, d.stderr)
  assert.match(d.stderr, /sops\.encrypted_regex in the file's metadata: not a valid Go \(RE2\) regular expression: invalid escape sequence/)
  writeFileSync(join(plain, 'u.enc.yaml'), enc.stdout.replace(/encrypted_regex: .*/, () => "encrypted_regex: '(?U)^k+$'"))
  const u = cli(['decrypt', 'u.enc.yaml'], plain)
  assert.is(u.code, 0, u.stderr)
  assert.is(u.stdout, 'k: v\n')
})

test.run()
