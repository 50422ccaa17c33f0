/**
 * Loads `re2js` (a linear-time RE2 engine, Go's regexp syntax) for `go-regex.ts`. The CLI
 * bundle swaps this module for one that requires its vendored copy on the first call, so that
 * only a file or rule that has a regular expression pays for it (scripts/bundle.mjs).
 */
import * as Re2 from 're2js'

export const loadRe2 = (): typeof Re2 => Re2
