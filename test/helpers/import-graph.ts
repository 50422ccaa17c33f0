/**
 * The import graph of src/, read from the text of each file (no compiler): every relative
 * specifier of `import … from`, `export … from`, `import '…'` and `import('…')`, type-only ones
 * included (a cycle through types still makes two files impossible to read apart). Used by
 * test/architecture.test.ts to hold the layer order and the absence of cycles that
 * ARCHITECTURE.md describes.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'

export interface Edge { from: string; to: string; lazy: boolean; typeOnly: boolean }

/** Every .ts file under `dir`, as paths relative to `root` with `/` separators. */
export function sourceFiles(root: string, dir: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(relative(root, p).split(sep).join('/'))
    }
  }
  walk(join(root, dir))
  return out
}

/** Block comments and whole-line `//` comments removed (a comment may quote an import). */
const stripComments = (text: string): string =>
  text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')

/** `import … from '…'` / `export … from '…'`; the clause may span lines but never reaches into the next statement. */
const STATIC = /(?:^|[;\s])(import|export)(\s+type)?\s(?:(?!\n\s*(?:import|export)\b)[^'"`;])*?\sfrom\s*['"]([^'"]+)['"]/g
const BARE = /^\s*import\s*['"]([^'"]+)['"]/gm
const DYNAMIC = /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g

/** The relative imports of one file's text, with whether each is lazy (`import()`) or type-only. */
export function importsOf(text: string): { spec: string; lazy: boolean; typeOnly: boolean }[] {
  const code = stripComments(text)
  const out: { spec: string; lazy: boolean; typeOnly: boolean }[] = []
  for (const m of code.matchAll(STATIC)) {
    const clause = /^(?:import|export)\s*(\{([^}]*)\})?/.exec(m[0].trim().replace(/^[;\s]*/, ''))
    const names = clause?.[2]?.split(',').map((s) => s.trim()).filter(Boolean)
    const typeOnly = !!m[2] || (!!names && names.every((s) => s.startsWith('type ')))
    out.push({ spec: m[3]!, lazy: false, typeOnly })
  }
  for (const m of code.matchAll(BARE)) out.push({ spec: m[1]!, lazy: false, typeOnly: false })
  for (const m of code.matchAll(DYNAMIC)) out.push({ spec: m[1]!, lazy: true, typeOnly: false })
  return out.filter((i) => i.spec.startsWith('.'))
}

/** The file a relative specifier names (`.js` written for a `.ts` file, or a folder's index.ts). */
function resolveSpec(root: string, from: string, spec: string): string | undefined {
  const base = resolve(root, dirname(from), spec)
  const tries = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')]
  const hit = tries.find((p) => existsSync(p) && statSync(p).isFile())
  return hit && relative(root, hit).split(sep).join('/')
}

/** All edges between the given files; specifiers that name no file are returned apart. */
export function importGraph(root: string, files: string[]): { edges: Edge[]; unresolved: string[] } {
  const edges: Edge[] = []
  const unresolved: string[] = []
  for (const from of files) {
    for (const i of importsOf(readFileSync(join(root, from), 'utf8'))) {
      const to = resolveSpec(root, from, i.spec)
      if (to) edges.push({ from, to, lazy: i.lazy, typeOnly: i.typeOnly })
      else unresolved.push(`${from} → ${i.spec}`)
    }
  }
  return { edges, unresolved }
}

/** The cycles of a graph: its strongly connected components of more than one file, or a file importing itself (Tarjan). */
export function cycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>()
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to])
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const out: string[][] = []
  let n = 0
  const visit = (v: string) => {
    index.set(v, n); low.set(v, n); n++
    stack.push(v); onStack.add(v)
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)) }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = []
      let w: string
      do { w = stack.pop()!; onStack.delete(w); scc.push(w) } while (w !== v)
      if (scc.length > 1 || (next.get(v) ?? []).includes(v)) out.push(scc.sort())
    }
  }
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v)
  return out
}
