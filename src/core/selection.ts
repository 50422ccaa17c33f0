/**
 * Which leaves are encrypted: sops' six selectors plus mac_only_encrypted.
 * Every rule is tested against every key on the path, so a parent key covers its
 * whole subtree; comment rules look at the comments that precede a value.
 */
import { goRegex, RegexBudget } from './go-regex.js'

export interface Selectors {
  unencrypted_suffix?: string
  encrypted_suffix?: string
  unencrypted_regex?: string
  encrypted_regex?: string
  unencrypted_comment_regex?: string
  encrypted_comment_regex?: string
  mac_only_encrypted?: boolean
}

export const SELECTOR_KEYS = [
  'unencrypted_suffix',
  'encrypted_suffix',
  'unencrypted_regex',
  'encrypted_regex',
  'unencrypted_comment_regex',
  'encrypted_comment_regex',
] as const

/** A compiled decision function: (path keys, comment stack, isComment) → encrypt? */
export type Decide = (keys: readonly string[], stack: readonly (readonly string[])[], isComment: boolean) => boolean

/**
 * Compiles a selector set. The regexes are Go's (RE2, linear time: they may come from an
 * untrusted file's metadata, read before its MAC is checked) and share one work budget.
 * `origin` says where the selectors came from, for errors: 'metadata' (a file's `sops`
 * section) or a label such as `creation_rules[1]`; by default they are named bare.
 */
export function compileSelectors(s: Selectors, origin?: string): Decide {
  const budget = new RegexBudget()
  const where = (field: string) => (origin === 'metadata' ? `sops.${field} in the file's metadata` : origin ? `${origin}.${field}` : field)
  const re = (field: (typeof SELECTOR_KEYS)[number]) => {
    const src = s[field]
    return src ? goRegex(src, where(field), budget) : undefined
  }
  const ur = re('unencrypted_regex')
  const er = re('encrypted_regex')
  const ucr = re('unencrypted_comment_regex')
  const ecr = re('encrypted_comment_regex')
  const us = s.unencrypted_suffix
  const es = s.encrypted_suffix
  return (keys, stack, isComment) => {
    let enc = true
    if (us) { if (keys.some((k) => k.endsWith(us))) enc = false }
    if (es) enc = keys.some((k) => k.endsWith(es))
    if (ur) { if (keys.some((k) => ur.test(k))) enc = false }
    if (er) enc = keys.some((k) => er.test(k))
    if (ucr) { if (stack.some((level) => level.some((c) => ucr.test(c)))) enc = false }
    if (ecr) {
      enc = stack.some((level, li) => {
        const last = li === stack.length - 1 && isComment ? level.length - 1 : level.length
        return level.slice(0, last).some((c) => ecr.test(c))
      })
    }
    return enc
  }
}

/** The selector a file carries; sops assumes `unencrypted_suffix: _unencrypted` when none is set. */
export function effectiveSelectors(s: Selectors): Selectors {
  return SELECTOR_KEYS.some((k) => s[k]) ? s : { ...s, unencrypted_suffix: '_unencrypted' }
}
