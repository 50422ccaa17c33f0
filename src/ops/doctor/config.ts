/** `doctor`, steps 1 and 2: which config file applies (and where it was looked for), and which creation rule matches the file. */
import { relative, resolve, sep } from 'node:path'
import { CONFIG_NAMES, findConfig } from '../../config/find.js'
import { loadConfigFile, matchRule } from '../../config/rules.js'
import type { Config } from '../../config/schema.js'
import { describeError } from '../keys/batch.js'
import type { ConfigCheck, RuleCheck } from './report.js'
import { defined } from '../../defined.js'

export interface ConfigStepOptions {
  /** `--config` (resolved against the working folder). */
  configPath?: string
  env: NodeJS.ProcessEnv
}

/** Finds and loads the config the way every command does; never throws. */
export function checkConfig(startDir: string, opts: ConfigStepOptions): { check: ConfigCheck; config: Config | null } {
  const check: ConfigCheck = { status: 'ok', searchedFrom: startDir, names: CONFIG_NAMES, searched: [], path: null }
  const explicitFrom = opts.configPath ? '--config' : opts.env.SOPS_LIKE_CONFIG ? 'SOPS_LIKE_CONFIG' : opts.env.SOPS_CONFIG ? 'SOPS_CONFIG' : undefined
  if (explicitFrom) check.explicitFrom = explicitFrom
  let found: ReturnType<typeof findConfig>
  try {
    found = findConfig(startDir, { ...defined({ explicit: opts.configPath }), env: opts.env })
  } catch (e) {
    return { check: { ...check, status: 'fail', problem: describeError(e) }, config: null }
  }
  check.searched = found.searched
  check.path = found.path
  if (found.untrusted) check.untrusted = found.untrusted
  if (!found.path) return { check: { ...check, status: 'warn' }, config: null }
  try {
    const config = loadConfigFile(found.path)
    check.ruleCount = config.creationRules.length
    return { check, config }
  } catch (e) {
    return { check: { ...check, status: 'fail', problem: describeError(e) }, config: null }
  }
}

/** The path `matchRule` tests: relative to the config's folder with `/` separators, else absolute. */
const testedPath = (cfg: Config, abs: string): string => (abs.startsWith(cfg.dir + sep) ? relative(cfg.dir, abs).split(sep).join('/') : abs)

/** The creation rule for `absFile`. A file no rule covers is a warning: decrypting does not need a rule. */
export function checkRule(config: Config | null, absFile: string): RuleCheck {
  if (!config) return { status: 'warn', testedPath: absFile, note: 'no config file: encrypt needs --age/--pgp (or SOPS_AGE_RECIPIENTS / SOPS_PGP_FP), updatekeys cannot run' }
  const check: RuleCheck = { status: 'ok', testedPath: testedPath(config, resolve(absFile)) }
  let rule
  try {
    rule = matchRule(config, absFile)
  } catch (e) {
    const problem = describeError(e)
    // no matching rule only matters to encrypt/updatekeys; a broken path_regex is a broken config
    if (problem.code === 'NO_MATCHING_RULE') return { ...check, status: 'warn', note: problem.message }
    return { ...check, status: 'fail', problem }
  }
  if (!rule) return { ...check, status: 'warn', note: `${config.path} has no creation_rules` }
  check.index = rule.index
  if (rule.pathRegex !== undefined) check.pathRegex = rule.pathRegex
  check.keyGroups = rule.keyGroups.map((g) => ({ age: [...g.age], pgp: [...g.pgp], unsupported: [...g.unsupported] }))
  if (rule.shamirThreshold) check.shamirThreshold = rule.shamirThreshold
  if (rule.ageRecipientsFiles.length) check.ageRecipientsFiles = [...rule.ageRecipientsFiles]
  if (rule.pgpKeys.length) check.pgpKeyFiles = [...rule.pgpKeys]
  return check
}
