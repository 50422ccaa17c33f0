/**
 * Loads the config for a file and picks its creation rule: the first rule whose
 * `path_regex` matches the path relative to the config's folder.
 */
import { readFileSync, statSync } from 'node:fs'
import { dirname, relative, resolve, sep } from 'node:path'
import { NoMatchingRuleError, ReadError } from '../errors.js'
import { goRegex, RegexBudget } from '../core/go-regex.js'
import { findConfig } from './find.js'
import { parseConfig, type Config, type CreationRule } from './schema.js'
import { recipientName, type KeyRef, type RecipientNames } from './names.js'

const cache = new Map<string, Config>()

/** Loads (and caches) the config that applies to `filePath`, or null when none is found. */
export function loadConfigFor(filePath: string, opts: { explicit?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Config | null {
  const { path } = findConfig(dirname(resolve(opts.cwd ?? '.', filePath)), opts)
  if (!path) return null
  return loadConfigFile(path)
}

export function loadConfigFile(path: string): Config {
  // keyed on mtime and size too: a long-lived process (tests, offboard editing the config) sees edits
  let stamp = ''
  try { const st = statSync(path); stamp = `${st.mtimeMs}:${st.size}` } catch { /* read below reports it */ }
  let cfg = cache.get(`${path}\0${stamp}`)
  if (cfg) return cfg
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    throw new ReadError(`cannot read config file ${path}`)
  }
  cfg = parseConfig(text, path, dirname(path))
  cache.set(`${path}\0${stamp}`, cfg)
  return cfg
}

/**
 * The first matching rule; null if the config has no rules; NoMatchingRuleError if none matches.
 * `path_regex` is Go's syntax, evaluated with RE2 (a config is untrusted input: anyone's commit);
 * an invalid one is a RegexError naming the rule, too costly a one a LimitExceededError.
 */
export function matchRule(cfg: Config, filePath: string): CreationRule | null {
  if (!cfg.creationRules.length) return null
  const abs = resolve(filePath)
  const rel = abs.startsWith(cfg.dir + sep) ? relative(cfg.dir, abs).split(sep).join('/') : abs
  const budget = new RegexBudget()
  for (const r of cfg.creationRules) {
    if (r.pathRegex === undefined || r.pathRegex === '') return r
    if (goRegex(r.pathRegex, `${cfg.path}: creation_rules[${r.index}].path_regex`, budget).test(rel)) return r
  }
  throw new NoMatchingRuleError(`no creation rule in ${cfg.path} matches ${rel}`)
}

/**
 * For display: a lookup of the names the config (found as for `filePath`) gives recipients.
 * Never throws: no config, or one that does not load, gives no names (commands that need
 * the config report its problems themselves).
 */
export function recipientNamesFor(filePath: string, opts: { explicit?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): (r: KeyRef) => string | undefined {
  let names: RecipientNames = {}
  try {
    names = loadConfigFor(filePath, opts)?.recipients ?? {}
  } catch { /* no names */ }
  return (r) => recipientName(names, r)
}
