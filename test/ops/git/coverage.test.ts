/** Which files must be encrypted: globs, catch-all rules, check.include / check.exclude, and the config's `check` section. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { parseConfig } from '../../../src/config/schema.js'
import { catchAllGlobs, coverageOf, globMatch } from '../../../src/ops/git/coverage.js'

const DIR = '/repo'
const cfg = (text: string) => parseConfig(text, join(DIR, '.sops-like.yaml'), DIR)
const at = (p: string) => join(DIR, p)

test('globMatch: base-name globs at any depth, anchored globs, **, classes', () => {
  const yes: Array<[string, string]> = [
    ['*.enc.*', 'secrets.enc.yaml'], ['*.enc.*', 'a/b/.env.enc.bak'], ['.env', 'sub/.env'], ['.env.*', '.env.local'],
    ['*.pem', 'certs/tls.pem'], ['config/*.json', 'config/a.json'], ['/config/*.json', 'config/a.json'],
    ['deploy/**/values.yaml', 'deploy/values.yaml'], ['deploy/**/values.yaml', 'deploy/a/b/values.yaml'],
    ['*.[kp]em', 'x.kem'], ['*.[!a]ey', 'x.key'], ['?.key', 'a.key'], ['**/*.secret', 'x/y.secret'],
  ]
  const no: Array<[string, string]> = [
    ['*.enc.*', 'README.md'], ['.env.*', '.env'], ['config/*.json', 'x/config/a.json'], ['config/*.json', 'config/a/b.json'],
    ['*.[!k]ey', 'x.key'], ['?.key', 'ab.key'], ['deploy/**/values.yaml', 'other/values.yaml'],
  ]
  for (const [g, p] of yes) assert.ok(globMatch(g, p), `${g} should match ${p}`)
  for (const [g, p] of no) assert.not.ok(globMatch(g, p), `${g} should not match ${p}`)
})

test('globMatch is linear on hostile globs (no backtracking blow-up)', () => {
  const g = '*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b'
  const p = 'a'.repeat(4000)
  assert.not.ok(globMatch(g, p))
  assert.not.ok(globMatch('**/**/**/**/**/**/**/x', Array(200).fill('d').join('/')))
})

test('catch-all rule: covers files named like secrets files, not README.md or .env.example', () => {
  const c = cfg(`creation_rules:\n  - path_regex: \\.prod\\.\n    age: age1x\n  - path_regex: ''\n    age: age1y\n`)
  for (const f of ['leaked.enc.yaml', '.env.enc.bak', '.env', 'sub/.env.local', 'x.sops.json', 'tls.key', 'tls.pem']) {
    const cov = coverageOf(c, at(f))
    assert.ok(cov, f)
    assert.is(cov!.reason, 'catch-all', f)
    assert.is(cov!.rule?.index, 1)
  }
  for (const f of ['README.md', 'package.json', '.env.example', '.env.sample', '.env.template', 'src/index.ts']) assert.is(coverageOf(c, at(f)), null, f)
  assert.is(coverageOf(c, at('app.prod.yaml'))!.reason, 'rule')
  const none = cfg('creation_rules:\n  - age: age1y\n') // no path_regex at all: a catch-all too
  assert.is(coverageOf(none, at('x.enc.env'))!.reason, 'catch-all')
})

test('check.include covers files whatever the rules say; check.exclude removes them (and defaults) again', () => {
  const c = cfg(`creation_rules:\n  - path_regex: \\.enc\\.\n    age: age1x\n  - path_regex: ''\n    age: age1y\ncheck:\n  include: ['*.secret', 'private/**']\n  exclude: [tls.pem, 'fixtures/**']\n`)
  assert.is(coverageOf(c, at('db.secret'))!.reason, 'include')
  assert.is(coverageOf(c, at('private/a/b.txt'))!.why, 'check.include private/**')
  assert.is(coverageOf(c, at('tls.pem')), null)
  assert.ok(coverageOf(c, at('other.pem')))
  assert.is(coverageOf(c, at('fixtures/.env')), null)
  assert.is(coverageOf(c, at('fixtures/x.enc.yaml'))!.reason, 'rule') // an explicit path_regex wins over exclude
  assert.equal(catchAllGlobs(c), ['*.enc.*', '*.sops.*', '.env', '.env.*', '*.key', '*.pem', '*.secret', 'private/**'])
  const noRule = cfg(`creation_rules:\n  - path_regex: ^prod/\n    age: age1x\ncheck:\n  include: ['*.secret']\n`)
  const cov = coverageOf(noRule, at('db.secret'))
  assert.is(cov!.rule, null) // covered, but no rule can encrypt it: check says so
  assert.is(coverageOf(noRule, at('x.enc.yaml')), null) // the defaults need a catch-all rule
})

test('config: the check section is validated', () => {
  const bad = [
    ['check: [a]\n', /check must be a mapping/],
    ['check:\n  includes: [a]\n', /check has unknown field includes/],
    ['check:\n  include: [1]\n', /check\.include must be a string/],
    ["check:\n  include: ['a b']\n", /not a usable glob/],
    ["check:\n  exclude: ['!x']\n", /not a usable glob/],
    [`check:\n  include: ['${'x'.repeat(300)}']\n`, /not a usable glob/],
    [`check:\n  include: [${Array(201).fill('a').join(',')}]\n`, /more than 200/],
  ] as const
  for (const [text, re] of bad) {
    try {
      cfg(text)
      assert.unreachable(text)
    } catch (e) {
      assert.is((e as { code?: string }).code, 'CONFIG_INVALID', text)
      assert.match((e as Error).message, re)
    }
  }
  assert.equal(cfg('check:\n  include: a.secret, b.secret\n').check, { include: ['a.secret', 'b.secret'], exclude: [] })
  assert.equal(cfg('creation_rules: []\n').check, { include: [], exclude: [] })
})

test.run()
