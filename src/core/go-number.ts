/**
 * Go's number spellings, reproduced from the shortest round-trip digits that
 * `Number#toString` gives (the same digits Go's `FormatFloat(x, _, -1, 64)` picks).
 * sops uses 'f' for plaintexts, 'g' in YAML output, 'G' in dotenv/INI output and
 * JS-like exponent rules in JSON output.
 */

interface Digits { neg: boolean; digits: string; exp: number } // value = 0.d1d2d3… × 10^exp

function decompose(x: number): Digits {
  const neg = x < 0 || Object.is(x, -0)
  const s = Math.abs(x).toExponential() // "d.ddde±n", shortest round-trip digits
  const [mant, e] = s.split('e') as [string, string]
  const digits = mant.replace('.', '').replace(/0+$/, '') || '0'
  return { neg, digits, exp: Number(e) + 1 }
}

function special(x: number): string | undefined {
  if (Number.isNaN(x)) return 'NaN'
  if (x === Infinity) return '+Inf'
  if (x === -Infinity) return '-Inf'
  return undefined
}

function positional({ digits, exp }: Digits): string {
  if (digits === '0') return '0'
  if (exp <= 0) return '0.' + '0'.repeat(-exp) + digits
  if (exp >= digits.length) return digits + '0'.repeat(exp - digits.length)
  return digits.slice(0, exp) + '.' + digits.slice(exp)
}

/** Go `strconv.FormatFloat(x, 'f', -1, 64)`: the sops plaintext of a float. */
export function formatFloatF(x: number): string {
  const sp = special(x)
  if (sp) return sp
  const d = decompose(x)
  return (d.neg ? '-' : '') + positional(d)
}

/** Go `strconv.FormatFloat(x, 'g' | 'G', -1, 64)`: exponent form iff exp10 < -4 or exp10 >= 6. */
export function formatFloatG(x: number, upper = false): string {
  const sp = special(x)
  if (sp) return sp
  const d = decompose(x)
  const sign = d.neg ? '-' : ''
  if (d.digits === '0') return sign + '0'
  const e10 = d.exp - 1
  if (e10 < -4 || e10 >= 6) {
    const mant = d.digits.length > 1 ? d.digits[0] + '.' + d.digits.slice(1) : d.digits
    const abs = Math.abs(e10)
    return sign + mant + (upper ? 'E' : 'e') + (e10 < 0 ? '-' : '+') + (abs < 10 ? '0' : '') + abs
  }
  return sign + positional(d)
}

/** sops ValToString for floats (dotenv, INI, `run`): 'G', with `.0` added to integral values. */
export function floatValToString(x: number): string {
  const g = formatFloatG(x, true)
  if (!g.includes('.') && !g.includes('E') && !/Inf|NaN/.test(g)) return formatFloatFixed1(x)
  return g
}

function formatFloatFixed1(x: number): string {
  // Go FormatFloat(x,'f',1,64) for an integral value: digits + ".0"
  return formatFloatF(x) + '.0'
}

/** Go encoding/json float spelling: like JS String(x) but 'e-7' style exponents. */
export function formatFloatJSON(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError('json: unsupported value')
  const abs = Math.abs(x)
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    return x.toExponential() // 1.5e-7, 1e+21: Go trims 'e-07' to 'e-7' like JS
  }
  return formatFloatF(x)
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
export const fitsInt64 = (v: bigint): boolean => v >= INT64_MIN && v <= INT64_MAX
