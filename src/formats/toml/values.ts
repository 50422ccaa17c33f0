/**
 * TOML spellings of canonical scalar texts (strings, numbers, booleans, date-times)
 * and of keys. Every function here returns text that re-parses to exactly the
 * given canonical value, or throws `EmitError` naming at most the key.
 */
import type { Scalar } from '../../core/tree.js'
import { EmitError } from '../../errors.js'
import type { StringForm } from './style.js'

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** True when a bigint fits TOML's 64-bit signed integers. */
export const fitsInt64 = (v: bigint): boolean => v >= INT64_MIN && v <= INT64_MAX

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

const SHORT_ESCAPES: Record<string, string> = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r', '"': '\\"', '\\': '\\\\' }

function escape(c: string): string {
  return SHORT_ESCAPES[c] ?? '\\u' + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')
}

/** A single-line basic string: `"..."` with `"`, `\` and control characters escaped. */
export function basicString(s: string): string {
  return '"' + s.replace(/["\\\u0000-\u001f\u007f]/g, escape) + '"'
}

/**
 * A multi-line basic string. `lead` is the newline written after the opening
 * delimiter (trimmed by parsers); it is forced when the content starts with a
 * newline. Content newlines are written as `eol` (parsers normalise CRLF to LF).
 */
export function multiLineBasicString(s: string, lead: string, eol: string): string {
  // A quote is escaped only when followed by another quote or ending the text,
  // so no `"""` run can form and nothing touches the closing delimiter.
  const body = s.replace(/"(?="|$)|[\\\u0000-\u0009\u000b-\u001f\u007f]|\n/g, (c) => (c === '\n' ? eol : escape(c)))
  return '"""' + (lead || (s.startsWith('\n') ? eol : '')) + body + '"""'
}

const literalOk = (s: string): boolean => !/['\u0000-\u0008\u000a-\u001f\u007f]/.test(s)
const multiLineLiteralOk = (s: string): boolean =>
  !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(s) && !s.includes("'''") && !s.endsWith("'")

/**
 * The TOML spelling of a string. With a `form` (the original quoting of the slot
 * being overwritten) the same quoting is used when it can hold the text; without
 * one, a basic string, or a multi-line basic string when the text has newlines.
 */
export function stringText(s: string, key: string, eol: string, form?: StringForm, lead = ''): string {
  if (LONE_SURROGATE.test(s)) throw new EmitError(`cannot write a string with invalid Unicode in TOML for key "${key}"`)
  switch (form) {
    case 'basic':
      return basicString(s)
    case 'literal':
      return literalOk(s) ? `'${s}'` : basicString(s)
    case 'ml-basic':
      return multiLineBasicString(s, lead, eol)
    case 'ml-literal':
      if (!multiLineLiteralOk(s)) return multiLineBasicString(s, lead, eol)
      return "'''" + (lead || (s.startsWith('\n') ? eol : '')) + s.replace(/\n/g, eol) + "'''"
    default:
      return s.includes('\n') ? multiLineBasicString(s, eol, eol) : basicString(s)
  }
}

/** A key, bare when possible. */
export function keyText(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : basicString(k)
}

/** A dotted key path (`a."b c".d`). */
export const keyPathText = (path: readonly string[]): string => path.map(keyText).join('.')

function floatText(t: string, key: string): string {
  if (t === '+Inf' || t === 'Inf') return 'inf'
  if (t === '-Inf') return '-inf'
  if (t === 'NaN') return 'nan'
  if (/^-?\d+(\.\d+)?$/.test(t)) {
    if (t.length > 24) return Number(t).toExponential()
    return t.includes('.') ? t : t + '.0'
  }
  const n = Number(t)
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) && Number.isFinite(n)) {
    const js = String(n)
    return /[.e]/.test(js) ? js : js + '.0'
  }
  throw new EmitError(`invalid float value for key "${key}"`)
}

function intText(t: string, key: string): string {
  if (/^[+-]?\d+$/.test(t)) {
    const v = BigInt(t)
    if (fitsInt64(v)) return v.toString()
  }
  throw new EmitError(`integer value of key "${key}" cannot be written in TOML`)
}

const DATE = '\\d{4}-\\d{2}-\\d{2}'
const TIME = '\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?'
const DATETIME = new RegExp(`^(?:${DATE}(?:[Tt ]${TIME}(?:[Zz]|[+-]\\d{2}:\\d{2})?)?|${TIME})$`)

/** Bare TOML text of a non-string scalar, or the quoted text of a string (see `stringText`). */
export function scalarText(s: Scalar, key: string, eol: string, form?: StringForm, lead?: string): string {
  switch (s.type) {
    case 'str':
    case 'bytes':
      return stringText(s.text, key, eol, form, lead)
    case 'int':
      return intText(s.text, key)
    case 'float':
      return floatText(s.text, key)
    case 'bool':
      if (/^true$/i.test(s.text)) return 'true'
      if (/^false$/i.test(s.text)) return 'false'
      throw new EmitError(`invalid boolean value for key "${key}"`)
    case 'time':
      if (DATETIME.test(s.text)) return s.text
      throw new EmitError(`invalid date-time value for key "${key}"`)
    case 'null':
      throw new EmitError(`TOML cannot represent the null value of key "${key}"`)
  }
}

/** `#` + text of a comment; the text must fit on one line. */
export function commentText(text: string): string {
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(text) || LONE_SURROGATE.test(text)) {
    throw new EmitError('a comment contains characters that TOML comments cannot hold')
  }
  return '#' + text
}
