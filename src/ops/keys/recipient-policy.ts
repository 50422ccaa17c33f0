/**
 * Recipient lists in a file's metadata are not authenticated: anyone who can write the
 * file can append their own age or PGP entry. Before `rotate`, `offboard`, `set`, `edit`
 * (and `unset`) wrap or keep the file's data key for its recipients, this module checks
 * them against the file's creation rule — resolved only by the config code
 * (src/config/rules.ts, src/ops/crypt/recipients.ts: flat keys, key groups,
 * `age_recipients_file`, …) — and refuses a recipient the rule does not list
 * (UnlistedRecipientError, exit 31) unless the caller keeps them knowingly
 * (`keepUnlisted`, which still warns). A file with no rule (no config, no matching rule,
 * a rule with no keys or with kinds we cannot check) keeps today's behaviour with a
 * one-line warning (`set`/`unset`/`edit`, which wrap nothing new, stay silent when there
 * is no config at all). A config that cannot be read or parsed fails the command.
 * Comparison: a recipient counts as listed if the rule lists it in ANY key group; PGP by
 * full fingerprint (case and spaces ignored, never by a short key id); SSH recipients by
 * key type and key (the comment is ignored); kinds sops-like never wraps for (kms, …) are
 * not checked. Recipients the user adds in the same command (`rotate --add-age`) are
 * asked for, hence not "unlisted".
 */
import { relative } from 'node:path'
import { loadConfigFor, matchRule } from '../../config/rules.js'
import { UnlistedRecipientError } from '../../errors.js'
import { refOfEntry, refOfRecipient, showRef, type RecipientRef } from './recipient-diff.js'
import type { KeyEntry } from '../../keys/key-source.js'
import { explicitConfig } from '../../config/find.js'
import { defined } from '../../defined.js'

export interface RecipientPolicyOptions {
  /** Keep recipients the rule does not list (flag `--keep-unlisted`); they are still reported as a warning. */
  keepUnlisted?: boolean
  /** Recipients the user asks for in this same command (`rotate --add-age/--add-pgp`). */
  added?: readonly RecipientRef[]
  /** `--config` path (else SOPS_LIKE_CONFIG / SOPS_CONFIG, else found upwards from the file). */
  configPath?: string
  env?: NodeJS.ProcessEnv
  cwd?: string
}

/** The recipients a file's creation rule lists, one list per key group, and where the rule is. */
export interface RuleRecipients {
  groups: RecipientRef[][]
  /** e.g. `creation_rules[0] in .sops-like.yaml` */
  where: string
}

export interface RecipientCheck {
  /** `listed`: every recipient is in the rule; `kept`: unlisted ones kept (keepUnlisted); `no-rule`: nothing to check against. */
  verdict: 'listed' | 'kept' | 'no-rule'
  /** Recipients the rule does not list (empty unless `kept`). */
  unlisted: RecipientRef[]
  /** One-line warnings for the user (no rule; unlisted recipients kept). */
  warnings: string[]
  rule?: string
  /** verdict `no-rule` because no config file was found at all. */
  noConfig?: boolean
}

/** No rule to check against, and why (a one-line reason); `noConfig` when no config file was found at all. */
export interface NoRule { reason: string; noConfig?: boolean }

/** Recipient kinds sops-like can wrap a key for; other kinds (kms, gcp_kms, …) are never given a new key by sops-like. */
const WRAPPABLE = new Set(['age', 'pgp', 'hc_vault', 'kms', 'gcp_kms', 'azure_kv'])

const normFp = (s: string): string => s.replace(/\s+/g, '').toUpperCase().replace(/^0X/, '').replace(/!$/, '')
/** age1… as written; ssh-… by `type key` (the comment may differ between the rule and the file). */
const normAge = (s: string): string => {
  const t = s.trim().replace(/\s+/g, ' ')
  return /^(ssh-|ecdsa-|sk-)/.test(t) ? t.split(' ').slice(0, 2).join(' ') : t.toLowerCase()
}
const key = (r: RecipientRef): string => `${r.type}:${r.type === 'pgp' ? normFp(r.id) : r.type === 'age' ? normAge(r.id) : r.id}`

/** Which recipients of `groups` the rule does not list (in any of its groups), minus those asked for in `added`. Pure. */
export function unlistedRecipients(groups: readonly (readonly RecipientRef[])[], rule: readonly (readonly RecipientRef[])[], added: readonly RecipientRef[] = []): RecipientRef[] {
  const listed = new Set([...rule.flat(), ...added].map(key))
  const seen = new Set<string>()
  const out: RecipientRef[] = []
  for (const r of groups.flat()) {
    const k = key(r)
    if (!WRAPPABLE.has(r.type) || listed.has(k) || seen.has(k)) continue
    seen.add(k)
    out.push(r)
  }
  return out
}

/**
 * The policy itself (pure): `groups` are the recipients the command would wrap or keep
 * the data key for; `rule` the creation rule's (or why there is none). Throws
 * UnlistedRecipientError naming the unexpected recipients unless `keepUnlisted`.
 */
export function checkRecipientsAgainstRule(file: string, groups: readonly (readonly RecipientRef[])[], rule: RuleRecipients | NoRule, opts: Pick<RecipientPolicyOptions, 'keepUnlisted' | 'added'> = {}): RecipientCheck {
  if ('reason' in rule) {
    return { verdict: 'no-rule', unlisted: [], warnings: [`${file}: recipients not checked against a creation rule (${rule.reason})`], ...defined({ noConfig: rule.noConfig }) }
  }
  const unlisted = unlistedRecipients(groups, rule.groups, opts.added)
  if (!unlisted.length) return { verdict: 'listed', unlisted, warnings: [], rule: rule.where }
  const names = unlisted.map(showRef).join(', ')
  // a short key id in the rule never vouches for a fingerprint (64 bits can be forged); say so, or "run updatekeys" would loop
  const shortIds = rule.groups.flat().filter((r) => r.type === 'pgp' && normFp(r.id).length < 40 && unlisted.some((u) => u.type === 'pgp' && normFp(u.id).endsWith(normFp(r.id))))
  const hint = shortIds.length ? ` (the rule names ${shortIds.map((r) => normFp(r.id)).join(', ')} by short key id only: write the full fingerprint there)` : ''
  if (!opts.keepUnlisted) {
    // no file name: batch reports prefix it, single-file commands were given it
    const them = unlisted.length === 1 ? 'it' : 'them'
    throw new UnlistedRecipientError(`recipient${unlisted.length === 1 ? '' : 's'} not listed by ${rule.where}: ${names}${hint}; nothing was written: pass --keep-unlisted to keep ${them}, or run updatekeys to drop ${them}`)
  }
  return { verdict: 'kept', unlisted, warnings: [`${file}: keeping recipient${unlisted.length === 1 ? '' : 's'} that ${rule.where} does not list (--keep-unlisted): ${names}`], rule: rule.where }
}

/** The rule's recipients only: SOPS_AGE_RECIPIENTS / SOPS_PGP_FP must not count as "listed". */
const ruleEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const { SOPS_AGE_RECIPIENTS: _a, SOPS_PGP_FP: _p, ...rest } = env
  return rest
}

/** Codes that mean "there is no rule for this file" rather than "the config is broken" (by code: see batch.ts describeError). */
const NO_RULE = new Set(['NO_MATCHING_RULE', 'NO_RECIPIENTS'])
const noRule = (e: unknown): NoRule | null => (e instanceof Error && NO_RULE.has(String((e as { code?: unknown }).code)) ? { reason: e.message } : null)

/**
 * The creation rule's recipients for `abs`, through the config code that `encrypt` and
 * `updatekeys` use; or why there is none. A config that cannot be read or parsed throws.
 */
export async function ruleRecipients(abs: string, opts: Pick<RecipientPolicyOptions, 'configPath' | 'env' | 'cwd'> = {}): Promise<RuleRecipients | NoRule> {
  const env = ruleEnv(opts.env ?? process.env)
  const cwd = opts.cwd ?? process.cwd()
  const config = loadConfigFor(abs, { ...defined({ explicit: explicitConfig(cwd, opts.configPath) }), env })
  if (!config) return { reason: 'no .sops-like.yaml or .sops.yaml found', noConfig: true }
  const shown = relative(cwd, config.path) || config.path
  let rule
  try {
    rule = matchRule(config, abs)
  } catch (e) {
    const none = noRule(e)
    if (none) return none
    throw e
  }
  if (!rule) return { reason: `${shown} has no creation rules` }
  const unsupported = [...new Set(rule.keyGroups.flatMap((g) => g.unsupported))]
  if (unsupported.length) return { reason: `creation_rules[${rule.index}] in ${shown} uses ${unsupported.join(', ')} keys, which sops-like cannot check` }
  const { resolveRecipients } = await import('../crypt/recipients.js')
  let keys
  try {
    keys = await resolveRecipients(abs, { configPath: config.path, env, cwd })
  } catch (e) {
    const none = noRule(e)
    if (none) return none
    throw e
  }
  return { groups: keys.groups.map((g) => g.map(refOfRecipient)), where: `creation_rules[${keys.rule?.index ?? rule.index}] in ${shown}` }
}

/**
 * What commands call: checks the recipients a command would wrap or keep the data key
 * for (`groups`, or a file's key entries) against the file's creation rule.
 * `file` is the name shown in messages. Throws UnlistedRecipientError (see above).
 */
export async function checkFileRecipients(file: string, abs: string, groups: readonly (readonly RecipientRef[])[] | readonly (readonly KeyEntry[])[], opts: RecipientPolicyOptions = {}): Promise<RecipientCheck> {
  const refs = groups.map((g) => g.map((x) => ('fields' in x ? refOfEntry(x) : x)))
  return checkRecipientsAgainstRule(file, refs, await ruleRecipients(abs, opts), opts)
}

/**
 * For `set`, `unset` and `edit`, which keep the data key and the file's entries: refuse
 * unlisted recipients as above; warnings go to `onNote` — except "no config at all":
 * nothing new is wrapped there, and a user without any config would hear it on every call.
 */
export async function checkRewriteRecipients(file: string, abs: string, keyGroups: readonly (readonly KeyEntry[])[], opts: RecipientPolicyOptions & { onNote?: (line: string) => void }): Promise<RecipientCheck> {
  const r = await checkFileRecipients(file, abs, keyGroups, opts)
  if (!r.noConfig) for (const w of r.warnings) opts.onNote?.(`warning: ${w}`)
  return r
}
