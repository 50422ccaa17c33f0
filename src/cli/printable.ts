/**
 * Names read from files (key paths, file names) are untrusted: one holding ESC, a C1 control
 * (U+009B is a one-byte CSI), a line break or a bidi override could move the cursor, recolour,
 * rewrite or reorder what a report shows in a terminal, a CI log or a PR comment. These helpers
 * make such characters visible as escapes before anything is printed.
 */

/** C0/C1 controls, DEL, line/paragraph separators, bidi marks and overrides, invisible format characters (zero-width, soft hyphen, BOM: a name that looks like another). */
const UNSAFE = /[\x00-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g

const hex = (c: string): string => {
  const n = c.codePointAt(0)!
  return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`
}

/** A name for a terminal line: backslashes doubled, unsafe characters as `\x1b` / `\u{202e}`. */
export const printable = (s: string): string => s.replace(/\\/g, '\\\\').replace(UNSAFE, hex)

/**
 * A message for the terminal (errors, notes, doctor lines) that may quote what a file holds (a key
 * service's address, a profile name): controls, bidi and invisible characters as escapes, so it
 * stays one line and cannot move the cursor or write an OSC 52 clipboard sequence. Backslashes are
 * kept as they are (Windows paths).
 */
export const terminalText = (s: string): string => s.replace(UNSAFE, hex)

/**
 * A name for a Markdown table cell: printable, and `|`, backticks, `*`, `_`, `[`, `]`, `<`, `>` escaped;
 * `&` too (an entity such as `&#x202e;` would render as the bidi override printable escaped) and `@`
 * (no @mention of a user or team from a key name in a PR comment).
 */
export const markdownCell = (s: string): string => printable(s).replace(/[|`*_[\]<>#~&@]/g, (c) => `\\${c}`)

/** What JSON.stringify leaves raw (it escapes C0 itself; its own line breaks must stay). */
const UNSAFE_IN_JSON = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** JSON.stringify, with the characters it leaves raw (DEL, C1, bidi, U+2028/9) as `\uXXXX` escapes: same data, safe to print. */
export const safeJson = (v: unknown): string =>
  JSON.stringify(v, null, 2).replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
