/**
 * Go RE2 regular expressions (config `path_regex`, selector regexes) as JS RegExps.
 * Handles the differences that matter in practice: a leading `(?i)`/`(?s)`/`(?m)`
 * flag group, `\A` and `\z`. Other inline flag groups are rejected.
 */
export class GoRegexError extends Error {}

export function goRegex(source: string): RegExp {
  let flags = 'u'
  let src = source
  const lead = /^\(\?([imsU]+)\)/.exec(src)
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'U') throw new GoRegexError('the (?U) flag is not supported')
      if (!flags.includes(f)) flags += f
    }
    src = src.slice(lead[0].length)
  }
  if (/\(\?[a-zA-Z-]+[:)]/.test(src)) throw new GoRegexError('inline flag groups are only supported at the start')
  src = src.replace(/\\A/g, '^').replace(/\\z/g, '$(?![\\s\\S])')
  try {
    return new RegExp(src, flags)
  } catch {
    try {
      return new RegExp(src, flags.replace('u', ''))
    } catch {
      throw new GoRegexError('invalid regular expression')
    }
  }
}
