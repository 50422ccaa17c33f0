/**
 * The house reads one way (ARCHITECTURE.md): no import cycle between source files, and no
 * import against the layer order cli → index/engine/config-env → ops → config → formats → core → keys
 * → io → errors/version. Command declarations (`cli/commands/*.command.ts`) import their work
 * only lazily, so that building the command list costs `run` and textconv nothing.
 * Imports are read from the text (test/helpers/import-graph.ts); the checker itself is tested
 * on a small made-up tree first, so a green run cannot come from a checker that sees nothing.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cycles, importGraph, importsOf, sourceFiles, type Edge } from './helpers/import-graph.js'
import { tempDir } from './helpers/keys.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/**
 * The layers, top first. A file may import files of its own layer or of any layer below it.
 * Within a layer the file graph must still be acyclic (checked separately).
 */
const LAYERS: readonly { name: string; match: RegExp }[] = [
  { name: 'cli', match: /^src\/cli\// },
  { name: 'api (index, engine, config-env)', match: /^src\/(index|engine|config-env)\.ts$/ },
  { name: 'ops', match: /^src\/ops\// },
  { name: 'config', match: /^src\/config\// },
  { name: 'formats', match: /^src\/formats\// },
  { name: 'core', match: /^src\/core\// },
  { name: 'keys', match: /^src\/keys\// },
  { name: 'io', match: /^src\/io\// },
  { name: 'errors, version, defined', match: /^src\/(errors|version|defined)\.ts$/ },
]

/**
 * The feature folders of src/ops, lowest first: a feature may use the ones before it. `crypt`
 * (open and seal a file) is the base; `git` and `doctor` sit on top of everything else.
 */
const OPS_FEATURES = ['crypt', 'run', 'keys', 'edit', 'git', 'report', 'doctor'] as const

const featureOf = (file: string): number => {
  const name = /^src\/ops\/([^/]+)\//.exec(file)?.[1]
  if (!name) return -1
  const i = (OPS_FEATURES as readonly string[]).indexOf(name)
  if (i < 0) throw new Error(`src/ops/${name}/ is not in OPS_FEATURES: add it here and to ARCHITECTURE.md`)
  return i
}

const layerOf = (file: string): number => {
  const i = LAYERS.findIndex((l) => l.match.test(file))
  if (i < 0) throw new Error(`${file} is in no layer: add it to LAYERS here and to ARCHITECTURE.md`)
  return i
}

/** Imports that run back up: from a lower layer (higher index) to a higher one. */
const upward = (edges: readonly Edge[]): string[] =>
  edges.filter((e) => layerOf(e.from) > layerOf(e.to))
    .map((e) => `${e.from} (${LAYERS[layerOf(e.from)]!.name}) imports ${e.to} (${LAYERS[layerOf(e.to)]!.name})`)

/** Static, non-type imports of a command declaration other than its context, io helpers and types. */
const eagerWorkInDeclarations = (edges: readonly Edge[]): string[] =>
  edges.filter((e) => /^src\/cli\/commands\/[^/]+\.command\.ts$/.test(e.from) && !e.lazy && !e.typeOnly && !/^src\/cli\/(context|io)\.ts$/.test(e.to))
    .map((e) => `${e.from} imports ${e.to} at start-up: load it with import() inside the action`)

// ---- the checker on a made-up tree ----

test('the checker sees a cycle, an upward import and an eager import in a command declaration', () => {
  const t = tempDir('sops-like-arch-')
  try {
    const put = (rel: string, text: string) => { mkdirSync(dirname(join(t.dir, rel)), { recursive: true }); writeFileSync(join(t.dir, rel), text) }
    put('src/ops/a.ts', "import { b } from './b.js'\nexport const a = 1\n")
    put('src/ops/b.ts', "import type { A } from './a.js'\nexport const b = 2\n")
    put('src/core/c.ts', "// import { x } from '../ops/a.js' is only a comment\nexport const c = async () => (await import('../ops/a.js')).a\n")
    put('src/cli/commands/x.command.ts', "import type { Command } from 'commander'\nimport { a } from '../../ops/a.js'\nimport type { B } from '../../ops/b.js'\n")
    const { edges, unresolved } = importGraph(t.dir, sourceFiles(t.dir, 'src'))
    assert.equal(unresolved, [])
    assert.equal(cycles(edges), [['src/ops/a.ts', 'src/ops/b.ts']])
    assert.equal(upward(edges), ['src/core/c.ts (core) imports src/ops/a.ts (ops)'])
    assert.equal(eagerWorkInDeclarations(edges), ['src/cli/commands/x.command.ts imports src/ops/a.ts at start-up: load it with import() inside the action'])
  } finally {
    t.cleanup()
  }
})

test('import forms: type-only, mixed, multi-line, re-export, side-effect and lazy', () => {
  const found = importsOf([
    "import type { A } from './a.js'",
    "import { type B, c } from './b.js'",
    "import {\n  type D,\n  type E,\n} from './d.js'",
    "export { f } from './f.js'",
    "export type { G } from './g.js'",
    "import './h.js'",
    "const i = await import('./i.js')",
    "import { j } from 'node:fs'",
    "const s = `import { k } from './k.js'`",
  ].join('\n'))
  assert.equal(found.map((i) => `${i.spec}${i.lazy ? ' lazy' : ''}${i.typeOnly ? ' type' : ''}`),
    ['./a.js type', './b.js', './d.js type', './f.js', './g.js type', './h.js', './i.js lazy'])
})

// ---- the real source ----

const files = sourceFiles(ROOT, 'src')
const { edges, unresolved } = importGraph(ROOT, files)

test('every relative import in src/ names a file, and every file is in a layer', () => {
  assert.ok(files.length > 100 && edges.length > 300, `${files.length} files, ${edges.length} imports`)
  assert.equal(unresolved, [])
  for (const f of files) layerOf(f)
})

test('no import cycle between source files (type-only imports count)', () => {
  assert.equal(cycles(edges).map((c) => c.join(' ↔ ')), [])
})

test('no import runs back up the layers (cli → api → ops → config → formats → core → keys → io → errors)', () => {
  assert.equal(upward(edges), [])
})

test('ops features use only the features below them (crypt → run → keys → edit → git → doctor, lowest first)', () => {
  const bad = edges.filter((e) => featureOf(e.from) >= 0 && featureOf(e.to) > featureOf(e.from))
  assert.equal(bad.map((e) => `${e.from} imports ${e.to}`), [])
})

test('command declarations load their work lazily (start-up of run and textconv)', () => {
  assert.equal(eagerWorkInDeclarations(edges), [])
})

test('formats know nothing of keys, config, io or ops: bytes ⇄ neutral tree only', () => {
  const bad = edges.filter((e) => e.from.startsWith('src/formats/') && /^src\/(keys|config|io|ops|cli)\//.test(e.to))
  assert.equal(bad.map((e) => `${e.from} imports ${e.to}`), [])
})

test('every docs/format.md § that a source or test file cites is a section there', () => {
  const doc = readFileSync(join(ROOT, 'docs/format.md'), 'utf8')
  const sections = new Set([...doc.matchAll(/^(?:#{2,3} |- )(\d+(?:\.\d+)?)[. ]/gm)].map((m) => m[1]!))
  const missing: string[] = []
  for (const f of [...files, ...sourceFiles(ROOT, 'test')]) {
    for (const cite of readFileSync(join(ROOT, f), 'utf8').matchAll(/docs\/format\.md ((?:§[\d.]+\d[–/, ]*)+)/g)) {
      for (const n of cite[1]!.matchAll(/§([\d.]*\d)/g)) if (!sections.has(n[1]!)) missing.push(`${f}: §${n[1]}`)
    }
  }
  assert.ok(sections.size > 20, `${sections.size} sections found`)
  assert.equal(missing, [])
})

test.run()
