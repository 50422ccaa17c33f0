/**
 * `git conflicts FILE`: during a conflicted merge, the values the two sides changed
 * differently, decrypted, with the common ancestor's — read from the index stages
 * (:1: base, :2: ours, :3: theirs, `git ls-files -u`), never from the work tree, so
 * what git left in the file does not matter. The conflicts are the ones the merge
 * driver finds (src/core/tree-merge.ts). git runs with an argv (no shell); nothing is
 * written. The caller prints the values: that is the point of the command.
 */
import { relative, resolve, sep } from 'node:path'
import { loadFormat, type Format } from '../../formats/index.js'
import { mergeTrees } from '../../core/tree-merge.js'
import { formatTreePath, getAtPath } from '../../core/tree-path.js'
import type { Node, Tree } from '../../core/tree.js'
import { UsageError } from '../../errors.js'
import type { IdentityOptions } from '../../keys/identities.js'
import type { Identity } from '../../keys/key-source.js'
import { pickFormat } from '../crypt/codec.js'
import { openBytes } from '../crypt/decrypt.js'
import { git, repoRoot } from '../../io/git-exec.js'
import { defined } from '../../defined.js'

export interface GitConflictsOptions extends IdentityOptions {
  cwd?: string
  inputType?: string
  identities?: Identity[]
}

/** One value changed differently on both sides; `undefined` where a side has no such key. */
export interface ConflictingValue {
  /** `["db"]["password"]` (with `[n]` document index first for multi-document YAML). */
  path: string
  base?: string
  ours?: string
  theirs?: string
}

export interface GitConflictsReport {
  /** The path in the repository. */
  path: string
  /** Which index stages exist (an add/add conflict has no base; a delete/modify conflict lacks a side). */
  stages: { base: boolean; ours: boolean; theirs: boolean }
  conflicts: ConflictingValue[]
}

/** The blob ids of stages 1–3 of `rel` in the index. */
function stagesOf(rel: string, top: string, env?: NodeJS.ProcessEnv): Map<number, string> {
  const out = git(['ls-files', '-u', '-z', '--', rel], { cwd: top, ...defined({ env }) }).toString('utf8')
  const stages = new Map<number, string>()
  for (const entry of out.split('\0')) {
    const m = /^\d+ ([0-9a-f]{40,64}) ([123])\t(.*)$/s.exec(entry)
    if (m && m[3] === rel) stages.set(Number(m[2]), m[1]!)
  }
  return stages
}

/** A value as text: a scalar's text, anything else as its format writes it. */
function show(node: Node | undefined, format: Format): string | undefined {
  if (!node) return undefined
  if (node.kind === 'scalar') return node.text
  try {
    return Buffer.from(format.emitValue(node)).toString('utf8').replace(/\n$/, '')
  } catch {
    return JSON.stringify(node.kind === 'map' ? '(a mapping)' : '(a list)')
  }
}

function at(tree: Tree | undefined, branch: number, path: readonly (string | number)[]): Node | undefined {
  const b = tree?.branches[branch]
  if (!b) return undefined
  try { return getAtPath(b, path as (string | number)[]) } catch { return undefined }
}

/** Reads the conflicted file's index stages and returns the conflicting values (see module doc). */
export async function gitConflicts(file: string, opts: GitConflictsOptions = {}): Promise<GitConflictsReport> {
  const cwd = opts.cwd ?? process.cwd()
  const env = opts.env
  const top = repoRoot({ cwd, ...defined({ env }) })
  const rel = relative(top, resolve(cwd, file)).split(sep).join('/')
  if (!rel || rel.startsWith('../')) throw new UsageError(`${file} is outside the repository ${top}`)
  const stages = stagesOf(rel, top, env)
  if (!stages.size) throw new UsageError(`${file} is not in conflict (git ls-files -u lists no stages for it): use sops-like decrypt or git diff instead`)
  const formatName = pickFormat(rel, opts.inputType)
  const format = await loadFormat(formatName)
  const trees = new Map<number, Tree>()
  const keys: Uint8Array[] = []
  try {
    for (const [n, sha] of stages) {
      const bytes = git(['cat-file', 'blob', sha], { cwd: top, ...defined({ env }) })
      const doc = await openBytes(bytes, { ...opts, inputFormat: formatName })
      keys.push(doc.dataKey)
      trees.set(n, doc.tree)
    }
  } finally {
    for (const k of keys) k.fill(0)
  }
  const [base, ours, theirs] = [trees.get(1), trees.get(2), trees.get(3)]
  const report: GitConflictsReport = { path: rel, stages: { base: !!base, ours: !!ours, theirs: !!theirs }, conflicts: [] }
  if (!ours || !theirs) return report
  const merged = mergeTrees(base ?? null, ours, theirs)
  const multi = Math.max(ours.branches.length, theirs.branches.length) > 1
  for (const c of merged.conflicts) {
    const v: ConflictingValue = { path: `${multi ? `[${c.branch}]` : ''}${formatTreePath(c.path)}` }
    const b = show(at(base, c.branch, c.path), format)
    const o = show(at(ours, c.branch, c.path), format)
    const t = show(at(theirs, c.branch, c.path), format)
    if (b !== undefined) v.base = b
    if (o !== undefined) v.ours = o
    if (t !== undefined) v.theirs = t
    report.conflicts.push(v)
  }
  return report
}
