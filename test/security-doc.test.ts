/**
 * SECURITY.md promises only what a test checks: every claim cites its test file in brackets,
 * with the test's name in quotes where it is an attack. This keeps the citations honest: each
 * cited file exists, and each quoted name (or, for "… part …" quotes, its longest part between
 * ellipses) stands in the file cited before it.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

interface Citation { file: string; names: string[] }

/** The `[test/… "name", test/…]` groups of a markdown text, in order. */
function citations(md: string): Citation[] {
  const out: Citation[] = []
  for (const group of md.matchAll(/\[((?:[^\][]|\n)*?test\/(?:[^\][]|\n)*?)\]/g)) {
    const body = group[1]!.replace(/\s+/g, ' ')
    let current: Citation | undefined
    for (const m of body.matchAll(/(test\/[\w./-]+\.test\.ts)|"([^"]+)"/g)) {
      if (m[1]) out.push((current = { file: m[1], names: [] }))
      else if (current) current.names.push(m[2]!)
    }
  }
  return out
}

/** The part of a quoted name to look for: the longest run between ellipses. */
const probe = (name: string): string =>
  name.split('…').map((s) => s.trim().replace(/[:,;]$/, '').trim()).sort((a, b) => b.length - a.length)[0] ?? ''

test('SECURITY.md: every cited test file exists and holds every quoted test name', () => {
  const cites = citations(readFileSync(`${root}SECURITY.md`, 'utf8'))
  assert.ok(cites.length >= 30, `expected the claims to cite their tests (found ${cites.length})`)
  for (const c of cites) {
    assert.ok(existsSync(`${root}${c.file}`), `SECURITY.md cites ${c.file}, which does not exist`)
    const text = readFileSync(`${root}${c.file}`, 'utf8').replace(/\\(['"])/g, '$1') // test names as written, escapes undone
    for (const n of c.names) {
      const p = probe(n)
      assert.ok(p.length >= 8, `quote too short to check: "${n}"`)
      assert.ok(text.includes(p), `SECURITY.md quotes "${n}" from ${c.file}, which has no test containing "${p}"`)
    }
  }
})

test('SECURITY.md: each attack section names at least one attack test', () => {
  const md = readFileSync(`${root}SECURITY.md`, 'utf8')
  const sections = md.split(/^### /m).slice(1)
  assert.ok(sections.length >= 4)
  for (const s of sections) assert.ok(citations(s).length > 0, `section "${s.split('\n')[0]}" cites no test`)
})

test.run()
