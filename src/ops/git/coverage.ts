/**
 * Which files must be encrypted, as `check`, the pre-commit hook, `git setup` and
 * `doctor` all see it. A creation rule with a non-empty `path_regex` covers what it
 * matches. A catch-all rule (`path_regex: ''` or none) would cover every file of the
 * repository, which no guard can enforce (README.md, package.json…), so for it we cover
 * the files that look like secrets files: SECRET_GLOBS plus the config's
 * `check.include`, minus `check.exclude`. `check.include` globs are covered whatever the
 * rules say. Globs are gitignore-style: without a `/` they match a base name at any
 * depth, with one they are anchored at the config's folder; `**` spans folders.
 * Matching is linear-time by construction (no regex is built from config text).
 */
import { relative, sep } from 'node:path'
import { matchRule } from '../../config/rules.js'
import type { Config, CreationRule } from '../../config/schema.js'
import { NoMatchingRuleError } from '../../errors.js'

/** Names that look like secrets files: what a catch-all rule covers. */
export const SECRET_GLOBS = ['*.enc.*', '*.sops.*', '.env', '.env.*', '*.key', '*.pem'] as const
/** Look like secrets files but are templates meant to be committed in clear. */
export const NOT_SECRET_GLOBS = ['.env.example', '.env.sample', '.env.template'] as const

export type CoverageReason = 'rule' | 'catch-all' | 'include'

export interface Coverage {
  /** The rule that encrypts the file (null when only `check.include` names it and no rule matches). */
  rule: CreationRule | null
  reason: CoverageReason
  /** Human-readable: `creation_rules[1]`, `creation_rules[0] (catch-all; *.enc.*)`, `check.include *.secret`. */
  why: string
}

/** Matches one path segment against one glob segment (`*`, `?`, `[...]`, `[!...]`): greedy with one backtrack point, O(n·m). */
function segMatch(glob: string, name: string): boolean {
  let g = 0
  let n = 0
  let starG = -1
  let starN = 0
  while (n < name.length) {
    if (g < glob.length) {
      const c = glob[g]!
      if (c === '*') { starG = g++; starN = n; continue }
      if (c === '?') { g++; n++; continue }
      if (c === '[') {
        const end = glob.indexOf(']', g + 2)
        if (end > 0) {
          let body = glob.slice(g + 1, end)
          const neg = body[0] === '!' || body[0] === '^'
          if (neg) body = body.slice(1)
          let hit = false
          for (let i = 0; i < body.length; i++) {
            if (body[i + 1] === '-' && i + 2 < body.length) { if (name[n]! >= body[i]! && name[n]! <= body[i + 2]!) hit = true; i += 2 } else if (body[i] === name[n]) hit = true
          }
          if (hit !== neg) { g = end + 1; n++; continue }
        } else if (name[n] === '[') { g++; n++; continue }
      } else if (c === '\\' && glob[g + 1] === name[n]) { g += 2; n++; continue } else if (c === name[n]) { g++; n++; continue }
    }
    if (starG < 0) return false
    g = starG + 1
    n = ++starN
  }
  while (glob[g] === '*') g++
  return g === glob.length
}

/** Matches a `/`-separated relative path against a gitignore-style glob. */
export function globMatch(glob: string, path: string): boolean {
  const anchored = glob.includes('/') && !glob.endsWith('/')
  const gs = glob.replace(/^\//, '').split('/').filter(Boolean)
  const ps = path.split('/').filter(Boolean)
  if (!anchored) return ps.length > 0 && segMatch(gs[0] ?? '', ps[ps.length - 1]!)
  // segments with `**` (any number of folders): dynamic programming over (glob, path) positions
  let reach = new Set<number>([0])
  for (const seg of gs) {
    const next = new Set<number>()
    for (const p of reach) {
      if (seg === '**') for (let q = p; q <= ps.length; q++) next.add(q)
      else if (p < ps.length && segMatch(seg, ps[p]!)) next.add(p + 1)
    }
    reach = next
    if (!reach.size) return false
  }
  return reach.has(ps.length)
}

/** The path of `abs` relative to the config's folder, `/`-separated (undefined when outside it). */
export function relativeToConfig(cfg: Config, abs: string): string | undefined {
  const rel = relative(cfg.dir, abs)
  if (!rel || rel.startsWith('..') || rel.startsWith(sep)) return undefined
  return rel.split(sep).join('/')
}

/** True when the file is in the secrets-file set of `cfg` (defaults + include − exclude). */
export function looksLikeSecretsFile(cfg: Config, rel: string): boolean {
  if (isExcluded(cfg, rel)) return false
  return SECRET_GLOBS.some((g) => globMatch(g, rel)) || cfg.check.include.some((g) => globMatch(g, rel))
}

function isExcluded(cfg: Config, rel: string): boolean {
  return NOT_SECRET_GLOBS.some((g) => globMatch(g, rel)) || cfg.check.exclude.some((g) => globMatch(g, rel))
}

const isCatchAll = (r: CreationRule): boolean => !r.pathRegex

/**
 * What makes `abs` a file that must be encrypted under `cfg`, or null when nothing does.
 * Throws only for a broken config (an invalid path_regex): the caller reports it.
 */
export function coverageOf(cfg: Config, abs: string): Coverage | null {
  let rule: CreationRule | null = null
  try {
    rule = matchRule(cfg, abs)
  } catch (e) {
    if (!(e instanceof NoMatchingRuleError || (e as { code?: unknown }).code === 'NO_MATCHING_RULE')) throw e
  }
  const rel = relativeToConfig(cfg, abs)
  if (rule && !isCatchAll(rule)) return { rule, reason: 'rule', why: `creation_rules[${rule.index}]` }
  if (rel === undefined) return null
  const included = cfg.check.include.find((g) => globMatch(g, rel))
  if (included && !isExcluded(cfg, rel)) return { rule, reason: 'include', why: `check.include ${included}` }
  if (rule && looksLikeSecretsFile(cfg, rel)) {
    const glob = SECRET_GLOBS.find((g) => globMatch(g, rel))
    return { rule, reason: 'catch-all', why: `creation_rules[${rule.index}] (a catch-all rule: files named like ${glob ?? 'secrets files'})` }
  }
  return null
}

/** The globs (relative to the config's folder) a catch-all rule stands for in `.gitattributes`. */
export function catchAllGlobs(cfg: Config): string[] {
  return [...SECRET_GLOBS, ...cfg.check.include]
}
