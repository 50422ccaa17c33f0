/** printable / markdownCell / safeJson: names from files cannot carry terminal controls, bidi overrides or Markdown structure into a report. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { markdownCell, printable, safeJson, terminalText } from '../../src/cli/printable.js'
import { isolatedEnv, runCli } from '../helpers/cli.js'
import { makeAgeKey, tempDir } from '../helpers/keys.js'
import { writeEncrypted } from '../helpers/run.js'

test('terminal escape injection: ESC, C1 CSI, BEL, CR/LF, bidi overrides and separators become visible escapes', () => {
  assert.is(printable('a\x1b[31mb'), 'a\\x1b[31mb')
  assert.is(printable('\u009b2J'), '\\x9b2J')
  assert.is(printable('t\x07\r\n'), 't\\x07\\x0d\\x0a')
  assert.is(printable('x\u202egpj.exe'), 'x\\u{202e}gpj.exe')
  assert.is(printable('l\u2028m\u2066'), 'l\\u{2028}m\\u{2066}')
  assert.is(printable('db.password'), 'db.password', 'ordinary names unchanged')
  assert.is(printable('ünïcödé 名前'), 'ünïcödé 名前', 'printable Unicode unchanged')
  assert.is(printable('a\\x1b'), 'a\\\\x1b', 'a literal backslash cannot fake an escape')
})

test('markdown table injection: a | cannot add a column, backticks and brackets cannot open code or links', () => {
  assert.is(markdownCell('a|b'), 'a\\|b')
  assert.is(markdownCell('`x` [l](u) <b>'), '\\`x\\` \\[l\\](u) \\<b\\>')
})

test('markdown entity smuggling: a key named &#x202e; (or &#8238;) cannot render a bidi override in a PR comment; @team is not a mention', () => {
  assert.is(markdownCell('a&#x202e;gpj.exe'), 'a\\&\\#x202e;gpj.exe')
  assert.is(markdownCell('&#8238;'), '\\&\\#8238;')
  assert.is(markdownCell('@org/secops'), '\\@org/secops')
})

test('invisible look-alikes: zero-width, soft hyphen and BOM characters in a name are shown as escapes', () => {
  assert.is(printable('db_password\u200b'), 'db_password\\u{200b}')
  assert.is(printable('a\u00adb\ufeffc\u2060'), 'a\\xadb\\u{feff}c\\u{2060}')
})

test('safeJson: same data after parsing, no raw C1 or bidi character in the text', () => {
  const v = { k: 'a\u009b\u202e\u2028\x1bz' }
  const s = safeJson(v)
  assert.not.match(s, /[\x1b\u009b\u202e\u2028]/)
  assert.equal(JSON.parse(s), v)
})

test('terminal escape injection through a file\'s key-service entry: decrypt\'s notes and error, and doctor\'s Key services step, print ESC/BEL as escapes', async () => {
  assert.is(terminalText('C:\\x a\x1b]52;c;aGk=\x07'), 'C:\\x a\\x1b]52;c;aGk=\\x07', 'backslashes kept, controls escaped')
  const t = tempDir()
  try {
    const k = await makeAgeKey(t.dir, 'k')
    const p = await writeEncrypted(t.dir, 'evil.enc.yaml', 'a: 1\n', 'yaml', k.recipient)
    // an OSC 52 sequence (writes the clipboard in many terminals) and a cursor move in the entry's fields
    const entry = '    hc_vault:\n        - vault_address: "https://v\\e]52;c;aGk=\\a.example"\n          engine_path: transit\n          key_name: "k\\e[2K\\e[1A"\n          created_at: "2024-01-01T00:00:00Z"\n          enc: vault:v1:abc\n'
    writeFileSync(p, readFileSync(p, 'utf8').replace(/\nsops:\n/, `\nsops:\n${entry}`))
    const env = isolatedEnv({ VAULT_TOKEN: 'tok' })
    const d = await runCli(['decrypt', 'evil.enc.yaml'], { env, cwd: t.dir })
    assert.is.not(d.code, 0)
    const doc = await runCli(['doctor', 'evil.enc.yaml'], { env, cwd: t.dir })
    const all = d.stdout + d.stderr + doc.stdout + doc.stderr
    assert.match(all, /\\x1b\]52;c;aGk=/, 'the sequence is shown as text')
    assert.not.match(all, /[\x1b\x07]/)
  } finally {
    t.cleanup()
  }
})

test.run()
