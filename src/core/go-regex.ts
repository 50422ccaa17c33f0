/**
 * Go regular expressions from files and configs (selector regexes in a file's metadata,
 * `path_regex`, `--encrypted-regex`…), evaluated with an RE2 engine (`re2js`) as Go does.
 *
 * These regexes are untrusted: metadata selectors are read before the MAC is checked, and a
 * repository's config is anyone's commit. A backtracking engine (JS RegExp) takes exponential
 * time on `^([a-z_]+)+[0-9]$`; RE2 takes time linear in the input for a given regex, and its
 * syntax is Go's, so what Go rejects (backreferences, lookaround, `\Z`…) is rejected here too.
 * RE2's cost is still (program size × input length), and compiling is linear in the program,
 * which repetition makes large (`(?:ab|cd){1000}`); limits bound it: the regex source length,
 * RE2's program size limit (as Go has) and a work budget per operation (compiles plus matches),
 * shared by the regexes that one operation evaluates (a file's selectors, one rule lookup).
 *
 * Errors name where the regex came from (a metadata field, a rule index) and RE2's reason,
 * never the regex or the text matched.
 */
import { LimitExceededError, RegexError } from '../errors.js'
import { loadRe2 } from './re2-load.js'

/** Longest regex source accepted (characters); real selectors and path_regex are far shorter. */
export const MAX_REGEX_SOURCE = 16 * 1024
/** Work per operation, in RE2 program instructions × characters scanned (≈ 5 s worst case here). */
export const REGEX_WORK_BUDGET = 2 ** 28
/** Compiling costs about this many match steps per program instruction (re2js, measured). */
const COMPILE_WEIGHT = 128

/** The work allowance that the regexes of one operation draw from. */
export class RegexBudget {
  constructor(public left = REGEX_WORK_BUDGET) {}
  spend(units: number, where: string): void {
    this.left -= units
    if (this.left < 0) throw new LimitExceededError(`${where}: evaluating this regular expression over the file exceeds the work budget; use a simpler one`)
  }
}

export interface GoRegex {
  /** Go's `MatchString`: does the regex match anywhere in `s`? */
  test(s: string): boolean
}

/**
 * Compiles `source` with Go's syntax. `where` names its origin for errors
 * (e.g. `creation_rules[2].path_regex`, `sops.encrypted_regex in the file's metadata`).
 */
export function goRegex(source: string, where: string, budget: RegexBudget = new RegexBudget()): GoRegex {
  if (source.length > MAX_REGEX_SOURCE) throw new LimitExceededError(`${where}: the regular expression is longer than ${MAX_REGEX_SOURCE} characters`)
  const { RE2JS, RE2JSSyntaxException } = loadRe2()
  let re: InstanceType<typeof RE2JS>
  try {
    re = RE2JS.compile(source)
  } catch (e) {
    // RE2's reason only ("invalid escape sequence"), not its copy of the offending source text
    const reason = e instanceof RE2JSSyntaxException ? e.error : 'cannot be compiled'
    if (reason === 'expression too large') throw new LimitExceededError(`${where}: the regular expression is too large for RE2 (as in Go)`)
    throw new RegexError(`${where}: not a valid Go (RE2) regular expression: ${reason}`)
  }
  const size = Math.max(1, re.programSize())
  // after the fact, but RE2's own size limit bounds one compile; this stops the next one
  budget.spend(size * COMPILE_WEIGHT, where)
  return {
    test(s: string): boolean {
      budget.spend(size * (s.length + 1), where)
      return re.test(s)
    },
  }
}
