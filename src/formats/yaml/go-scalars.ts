/**
 * go-yaml v3 scalar resolution (the YAML 1.2 core schema with go-yaml's
 * extensions), written from its documented behaviour (docs/format.md §7.1):
 * what a plain scalar means, and whether a string may be written plain.
 *
 * Results carry the canonical sops text of `src/core/tree.ts`
 * (`True`/`False`, decimal ints, Go `'f'` floats, RFC3339Nano times).
 */
import { formatFloatF, formatFloatG } from '../../core/go-number.js'

/** What a scalar resolves to; `merge` is the `<<` key, treated as a string by sops. */
export type ResolvedTag = 'null' | 'bool' | 'int' | 'float' | 'timestamp' | 'merge' | 'str'

export interface Resolved {
  tag: ResolvedTag
  /** Canonical text: '' for null, `True`/`False`, decimal int, Go 'f' float, RFC3339Nano. */
  text: string
}

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL'])
const TRUES = new Set(['true', 'True', 'TRUE'])
const FALSES = new Set(['false', 'False', 'FALSE'])
const NANS = new Set(['.nan', '.NaN', '.NAN'])
const POS_INFS = new Set(['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'])
const NEG_INFS = new Set(['-.inf', '-.Inf', '-.INF'])

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const UINT64_MAX = 2n ** 64n - 1n

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/
/** Go `strconv.ParseFloat` syntax after a leading dot: digits with single `_` between them, optional exponent. */
const DOT_FLOAT = /^\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?$/
const DIGITS: Record<number, RegExp> = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }

/**
 * Resolves the text of a scalar the way go-yaml does for an untagged plain
 * scalar (`timestamps` true) or for a scalar with an explicit numeric/bool/null
 * tag (`timestamps` false: only plain or `!!timestamp` scalars may be times).
 */
export function resolveScalar(s: string, timestamps = true): Resolved {
  const c = s.length === 0 ? 'N' : hintOf(s.charCodeAt(0))
  if (c === '') return { tag: 'str', text: s }
  if (NULLS.has(s)) return { tag: 'null', text: '' }
  if (TRUES.has(s)) return { tag: 'bool', text: 'True' }
  if (FALSES.has(s)) return { tag: 'bool', text: 'False' }
  if (NANS.has(s)) return { tag: 'float', text: 'NaN' }
  if (POS_INFS.has(s)) return { tag: 'float', text: '+Inf' }
  if (NEG_INFS.has(s)) return { tag: 'float', text: '-Inf' }
  if (s === '<<') return { tag: 'merge', text: s }
  if (c === '.') {
    const f = DOT_FLOAT.test(s) ? finiteFloat(s) : undefined
    return f === undefined ? { tag: 'str', text: s } : { tag: 'float', text: f }
  }
  if (c === 'D' || c === 'S') {
    if (timestamps) {
      const t = parseTimestamp(s)
      if (t !== undefined) return { tag: 'timestamp', text: t }
    }
    const plain = s.replace(/_/g, '')
    const i = parseGoInt(plain)
    if (i !== undefined && ((i >= INT64_MIN && i <= INT64_MAX) || (i >= 0n && i <= UINT64_MAX && !/^[+-]/.test(plain)))) {
      return { tag: 'int', text: i.toString() }
    }
    if (YAML_STYLE_FLOAT.test(plain)) {
      const f = finiteFloat(plain)
      if (f !== undefined) return { tag: 'float', text: f }
    }
  }
  return { tag: 'str', text: s }
}

/** go-yaml's first-character hint: '' means "certainly a string". */
function hintOf(ch: number): string {
  if (ch === 0x2b || ch === 0x2d) return 'S' // + -
  if (ch >= 0x30 && ch <= 0x39) return 'D'
  if (ch === 0x2e) return '.'
  if ('yYnNtTfFoO~'.includes(String.fromCharCode(ch))) return 'M'
  return ''
}

/** Go `strconv.ParseFloat` on an already-validated decimal spelling; undefined on overflow. */
function finiteFloat(s: string): string | undefined {
  const x = Number(s.replace(/_/g, ''))
  return Number.isFinite(x) ? formatFloatF(x) : undefined
}

/** Go `strconv.ParseInt(s, 0, …)` syntax (sign, 0x/0o/0b prefixes, legacy leading-0 octal), unbounded. */
function parseGoInt(s: string): bigint | undefined {
  let i = 0
  let neg = false
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-'
    i = 1
  }
  const rest = s.slice(i)
  if (rest === '') return undefined
  let base = 10
  let digits = rest
  if (rest[0] === '0' && rest.length > 1) {
    const p = rest[1]!.toLowerCase()
    if (p === 'x') [base, digits] = [16, rest.slice(2)]
    else if (p === 'o') [base, digits] = [8, rest.slice(2)]
    else if (p === 'b') [base, digits] = [2, rest.slice(2)]
    else [base, digits] = [8, rest.slice(1)]
  }
  if (!DIGITS[base]!.test(digits)) return undefined
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : base === 2 ? '0b' : ''
  const v = BigInt(prefix + digits)
  return neg ? -v : v
}

const TS_T = /^(\d{4})-(\d{1,2})-(\d{1,2})[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,](\d+))?(Z|[+-]\d{2}:\d{2})$/
const TS_SPACE = /^(\d{4})-(\d{1,2})-(\d{1,2}) +(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,](\d+))?$/
const TS_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})$/

/**
 * go-yaml's timestamp formats (Go layouts `2006-1-2T15:4:5.999999999Z07:00`, the same
 * with `t`, `2006-1-2 15:4:5.999999999` and `2006-1-2`), returned as Go's
 * `time.Time.MarshalText` (RFC3339Nano) text, or undefined. As in Go's `time.Parse`,
 * a space in the layout matches a run of spaces, and fraction digits past the ninth
 * are ignored (Go ≥ 1.20).
 */
export function parseTimestamp(s: string): string | undefined {
  let m = TS_T.exec(s)
  let zone = 'Z'
  if (m) zone = m[8]!
  else m = TS_SPACE.exec(s) ?? TS_DATE.exec(s)
  if (!m) return undefined
  const [year, month, day, hour, min, sec] = [1, 2, 3, 4, 5, 6].map((k) => Number(m![k] ?? 0)) as [number, number, number, number, number, number]
  if (month < 1 || month > 12 || day < 1 || day > daysIn(month, year)) return undefined
  if (hour > 23 || min > 59 || sec > 59) return undefined
  const p2 = (n: number) => String(n).padStart(2, '0')
  if (zone !== 'Z') {
    const zh = Number(zone.slice(1, 3))
    const zm = Number(zone.slice(4, 6))
    if (zh > 24 || zm > 60) return undefined
    // Go keeps the offset, not its spelling: `+05:60` is written back as `+06:00`
    const total = zh * 60 + zm
    zone = total === 0 ? 'Z' : `${zone[0]}${p2(Math.floor(total / 60))}:${p2(total % 60)}`
  }
  const frac = (m[7] ?? '').slice(0, 9).padEnd(9, '0').replace(/0+$/, '')
  return `${m[1]}-${p2(month)}-${p2(day)}T${p2(hour)}:${p2(min)}:${p2(sec)}${frac ? '.' + frac : ''}${zone}`
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}

const BASE60 = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/
const OLD_BOOLS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'])

/**
 * go-yaml's "may this string be written unquoted": it re-reads as a string, and is
 * neither a YAML 1.1 boolean (`yes`, `off`…) nor a base-60 number (`1:30`).
 */
export function canUsePlain(s: string): boolean {
  return resolveScalar(s).tag === 'str' && !OLD_BOOLS.has(s) && !BASE60.test(s)
}

/** YAML spelling of a canonical float text: Go 'g' form, `.inf`, `-.inf`, `.nan`. */
export function yamlFloat(text: string): string {
  if (text === '+Inf' || text === 'Inf') return '.inf'
  if (text === '-Inf') return '-.inf'
  if (text === 'NaN') return '.nan'
  return formatFloatG(Number(text))
}

/** YAML spelling of a canonical bool text (`True` → `true`), undefined when not a Go bool. */
export function yamlBool(text: string): 'true' | 'false' | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return 'true'
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return 'false'
  return undefined
}
