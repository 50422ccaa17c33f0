/**
 * The library API: the main entry (src/index.ts, `sops-like`) and the engine subpath
 * (src/engine.ts, `sops-like/engine`). The CLI uses nothing the library does not export
 * (every name a src/cli file imports from outside src/cli is re-exported by one of the
 * two, values as the very same object), no name is exported by both, the main entry stays
 * small, and importing the library does not load `openpgp`.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import * as api from '../src/index.js'
import * as engine from '../src/engine.js'
import * as errors from '../src/errors.js'
import { tempDir } from './helpers/keys.js'
import { TSX_IMPORT } from './helpers/cli.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const CLI_DIR = join(ROOT, 'src/cli')
const INDEX = join(ROOT, 'src/index.ts')
const ENGINE = join(ROOT, 'src/engine.ts')
const ENTRIES = [INDEX, ENGINE]

interface ImportedName { file: string; module: string; name: string; typeOnly: boolean }

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name)
    return d.isDirectory() ? tsFiles(p) : d.name.endsWith('.ts') ? [p] : []
  })
}

/** `./x.js` seen from `from` → the absolute .ts source path; null for packages and node: builtins. */
function sourceOf(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null
  return resolve(dirname(from), spec).replace(/\.js$/, '.ts')
}

/** `a`, `type b`, `c as d` (static) or `e: f` (destructuring) → the name exported by the module. */
function entryNames(list: string, typeOnly: boolean): Array<{ name: string; typeOnly: boolean }> {
  return list.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const isType = typeOnly || /^type\s/.test(s)
    const name = s.replace(/^type\s+/, '').split(/\s+as\s+|\s*[:=]\s*/)[0]!.trim()
    return { name, typeOnly: isType }
  })
}

/** Every name a CLI file imports from a module outside src/cli, statically or with `const { … } = await import(…)`. */
function cliImports(): { names: ImportedName[]; unsupported: string[] } {
  const names: ImportedName[] = []
  const unsupported: string[] = []
  const outside = (p: string | null): p is string => p !== null && !p.startsWith(CLI_DIR + '/')
  for (const file of tsFiles(CLI_DIR)) {
    const text = readFileSync(file, 'utf8')
    const rel = relative(ROOT, file)
    for (const m of text.matchAll(/^\s*import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/gm)) {
      const mod = sourceOf(file, m[3]!)
      if (outside(mod)) for (const e of entryNames(m[2]!, !!m[1])) names.push({ file: rel, module: mod, ...e })
    }
    // default or namespace imports of library modules would hide which names are used
    for (const m of text.matchAll(/^\s*import\s+(?:type\s+)?(?:[\w$]+|\*\s*as\s+[\w$]+)\s*(?:,\s*\{[^}]*\})?\s*from\s*['"]([^'"]+)['"]/gm)) {
      if (outside(sourceOf(file, m[1]!))) unsupported.push(`${rel}: ${m[0].trim()}`)
    }
    let destructured = 0
    for (const m of text.matchAll(/\b(?:const|let|var)\s*\{([^}]*)\}\s*=\s*await\s+import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const mod = sourceOf(file, m[2]!)
      if (!outside(mod)) continue
      destructured++
      for (const e of entryNames(m[1]!, false)) names.push({ file: rel, module: mod, ...e })
    }
    const dynamic = [...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].filter((m) => outside(sourceOf(file, m[1]!))).length
    if (dynamic !== destructured) unsupported.push(`${rel}: a dynamic import of a library module that is not \`const { … } = await import(…)\``)
  }
  return { names, unsupported }
}

/** (source module, name) pairs an entry point re-exports, values and types alike. */
function entryExports(entry: string): Set<string> {
  const text = readFileSync(entry, 'utf8')
  const out = new Set<string>()
  for (const m of text.matchAll(/^export\s+(type\s+)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/gm)) {
    const mod = sourceOf(entry, m[3]!)!
    for (const e of entryNames(m[2]!, false)) out.add(`${mod}#${e.name}`)
  }
  for (const m of text.matchAll(/^export\s+\*\s+from\s*['"]([^'"]+)['"]/gm)) {
    const mod = sourceOf(entry, m[1]!)!
    for (const d of readFileSync(mod, 'utf8').matchAll(/^export\s+(?:declare\s+)?(?:abstract\s+)?(?:class|interface|type|function|const|let|enum)\s+([\w$]+)/gm)) out.add(`${mod}#${d[1]}`)
  }
  return out
}

test('the scan finds the CLI\'s library imports', () => {
  const { names, unsupported } = cliImports()
  assert.equal(unsupported, [], 'import forms the scan cannot check')
  // a sanity floor: the CLI reaches the ops through a few dozen names
  assert.ok(names.length >= 30, `only ${names.length} imported names found`)
  assert.ok(names.some((n) => n.name === 'rotateFiles' && !n.typeOnly))
  assert.ok(names.some((n) => n.name === 'KeysEvent' && n.typeOnly))
})

const libs: Array<Record<string, unknown>> = [api, engine]

test('every value the CLI imports from the library is exported by src/index.ts or src/engine.ts (the same object)', async () => {
  const missing: string[] = []
  for (const n of cliImports().names.filter((x) => !x.typeOnly)) {
    const mod = (await import(pathToFileURL(n.module).href)) as Record<string, unknown>
    assert.ok(n.name in mod, `${n.file} imports ${n.name}, which ${relative(ROOT, n.module)} does not export`)
    if (!libs.some((lib) => n.name in lib && lib[n.name] === mod[n.name])) missing.push(`${n.name} (${relative(ROOT, n.module)}, used by ${n.file})`)
  }
  assert.equal(missing, [], 'not exported by src/index.ts or src/engine.ts')
})

test('every type the CLI imports from the library is exported by src/index.ts or src/engine.ts', () => {
  const exported = new Set(ENTRIES.flatMap((e) => [...entryExports(e)]))
  const missing = cliImports().names
    .filter((n) => n.typeOnly && !ENTRIES.includes(n.module) && !exported.has(`${n.module}#${n.name}`))
    .map((n) => `${n.name} (${relative(ROOT, n.module)}, used by ${n.file})`)
  assert.equal(missing, [], 'types not exported by src/index.ts or src/engine.ts')
})

test('no name is exported by both src/index.ts and src/engine.ts', () => {
  const short = (e: string): Set<string> => new Set([...entryExports(e)].map((k) => k.split('#')[1]!))
  const main = short(INDEX)
  assert.equal([...short(ENGINE)].filter((n) => main.has(n)), [])
  assert.equal(Object.keys(engine).filter((n) => n in api), [])
})

test('the main entry stays small: the errors plus a few dozen operations', () => {
  // the operations an application calls; plumbing belongs in src/engine.ts
  const ops = Object.keys(api).filter((n) => !(n in errors))
  assert.ok(ops.length <= 35, `src/index.ts exports ${ops.length} runtime names besides the errors: move plumbing to src/engine.ts`)
})

test('every export statement of src/index.ts and src/engine.ts carries a doc comment', () => {
  for (const entry of ENTRIES) {
    const lines = readFileSync(entry, 'utf8').split('\n')
    const bare = lines.flatMap((l, i) => (/^export\s/.test(l) && !/\*\/\s*$/.test(lines[i - 1] ?? '') ? [`${relative(ROOT, entry)} line ${i + 1}`] : []))
    assert.equal(bare, [])
  }
})

test('the library exposes the documented operations', () => {
  for (const name of [
    'encryptBytes', 'decryptBytes', 'encryptFile', 'decryptFile', 'loadEnv', 'rotateFiles', 'updateKeys', 'offboard', 'fileStatus',
    'checkFiles', 'setValue', 'unsetValue', 'editFile', 'runWithEnv', 'runWithFile', 'getValue', 'importDotenvx',
    'addKeyGroup', 'accessMatrix', 'valueHistory', 'exampleFile', 'SopsLikeError', 'MacMismatchError', 'VERSION',
  ]) assert.ok(name in api, name)
  for (const name of ['sealTree', 'openTree', 'parseTreePath', 'loadFormat', 'loadIdentities', 'loadConfigFor', 'textconvBytes',
    'textconvFile', 'gitMergeFiles', 'gitSetup', 'installGitHooks']) assert.ok(name in engine, name)
  assert.is(new api.MacMismatchError('x').exitCode, 51)
  assert.is(new api.NoIdentityError('x').code, 'NO_MATCHING_KEY')
})

test('importing the library (main entry and engine) does not load openpgp', () => {
  const t = tempDir()
  try {
    const log = join(t.dir, 'resolved.txt')
    writeFileSync(log, '')
    // a resolve hook (run in the loader thread) appends every resolved URL to `log`
    const hooks = [
      "import { appendFileSync } from 'node:fs'",
      'let log',
      'export function initialize(d) { log = d.log }',
      'export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(log, r.url + "\\n"); return r }',
    ].join('\n')
    const register = join(t.dir, 'register.mjs')
    writeFileSync(register, `import { register } from 'node:module'\nregister('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}), { data: { log: ${JSON.stringify(log)} } })\n`)
    // after the library, a marker line, then openpgp itself: the control that the hook would see it
    const script = [
      `await import(${JSON.stringify(pathToFileURL(INDEX).href)})`,
      `await import(${JSON.stringify(pathToFileURL(ENGINE).href)})`,
      `(await import('node:fs')).appendFileSync(${JSON.stringify(log)}, 'MARK\\n')`,
      "await import('openpgp')",
    ].join(';\n')
    const r = spawnSync(process.execPath, ['--import', TSX_IMPORT, '--import', pathToFileURL(register).href, '--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: t.dir },
      encoding: 'utf8',
    })
    assert.is(r.status, 0, r.stderr)
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean)
    const mark = lines.indexOf('MARK')
    assert.ok(mark > 0, 'no marker line')
    const isOpenpgp = (u: string): boolean => /\/node_modules\/openpgp\//.test(u)
    // the hook saw the library's import graph, and would have seen openpgp (else the check proves nothing)
    assert.ok(lines.slice(0, mark).some((u) => u.endsWith('/src/index.ts')), 'the hook did not see src/index.ts')
    assert.ok(lines.slice(0, mark).some((u) => u.endsWith('/src/errors.ts')), 'the hook did not see src/errors.ts')
    assert.ok(lines.slice(0, mark).some((u) => u.endsWith('/src/engine.ts')), 'the hook did not see src/engine.ts')
    assert.ok(lines.slice(mark).some(isOpenpgp), 'the hook did not see the control import of openpgp')
    assert.equal(lines.slice(0, mark).filter(isOpenpgp), [], 'importing src/index.ts or src/engine.ts loaded openpgp')
  } finally {
    t.cleanup()
  }
})

test.run()
