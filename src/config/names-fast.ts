/**
 * A strict reader for the config's top-level `recipients:` section alone, so that
 * textconv (git runs it twice per revision) can show names without loading the YAML
 * parser. It accepts only the plain shapes a person writes —
 *   recipients:
 *     ops-lead: age1…              # a scalar (plain or simply quoted)
 *     ci: [age1…, "ssh-ed25519 …"] # a one-line flow list
 *     bob:                         # a block list
 *       - age1…
 * — and returns null for anything else (anchors, tags, multi-line scalars, numbers,
 * duplicates, tabs…), where the caller falls back to the full config parser. The result
 * goes through the same validation as the full parser (parseRecipientNames).
 */

const NAME_LINE = /^( +)([A-Za-z_][A-Za-z0-9_.@+-]*):(?:[ ]+(.*))?$/
const ITEM_LINE = /^( +)- (.*)$/

/** A scalar as written (comment already cut): plain or quoted without escapes; null when unsure. */
function scalar(raw: string): string | null {
  const s = raw.trim()
  if (!s) return null
  let m = /^"([^"\\]*)"$/.exec(s) ?? /^'([^']*)'$/.exec(s)
  if (m) return m[1]!
  if (/^[&*!|>{}[\]%@`"',#?:-]/.test(s) || /: |\t/.test(s)) return null
  if (/^[-+.]?[0-9]/.test(s) && /^[-+0-9.eE_xXoObBa-fA-F:]+$/.test(s)) return null // may be a number to YAML
  if (/^(true|false|yes|no|on|off|null|~)$/i.test(s)) return null
  return s
}

/** Cuts a ` #` comment (not inside quotes: quoted scalars here never contain `#`). */
const uncomment = (s: string): string => {
  const i = s.search(/(^|\s)#/)
  if (i < 0) return s
  if (/["']/.test(s.slice(0, i)) && /["']/.test(s.slice(i))) return '\u0000' // a # inside quotes: give up
  return s.slice(0, i)
}

/** The `recipients:` section as `{name: string | string[]}`, `{}` when absent, null when not simple. */
export function readRecipientsSection(text: string): Record<string, string | string[]> | null {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''))
  const heads = lines.flatMap((l, i) => (/^recipients\s*:/.test(l) ? [i] : []))
  if (!heads.length) return {}
  if (heads.length > 1 || !/^recipients:[ ]*(#.*)?$/.test(lines[heads[0]!]!)) return null
  if (lines.some((l) => /^(---|\.\.\.|%)/.test(l))) return null
  const out: Record<string, string | string[]> = {}
  let indent = -1
  let list: string[] | null = null
  for (let i = heads[0]! + 1; i < lines.length; i++) {
    const line = lines[i]!
    if (/^\s*(#.*)?$/.test(line)) continue
    if (line.startsWith('\t')) return null
    if (!/^ /.test(line)) break // the next top-level key
    if (/\t/.test(line)) return null
    const body = uncomment(line)
    if (body.includes('\u0000')) return null
    const named = NAME_LINE.exec(body.replace(/\s+$/, ''))
    if (named && (indent < 0 || named[1]!.length === indent)) {
      indent = named[1]!.length
      const name = named[2]!
      if (Object.prototype.hasOwnProperty.call(out, name)) return null
      const rest = (named[3] ?? '').trim()
      list = null
      if (!rest) { list = []; out[name] = list; continue }
      if (rest.startsWith('[')) {
        if (!rest.endsWith(']')) return null
        const items = rest.slice(1, -1).split(',').map((x) => x.trim())
        if (items.length && items[items.length - 1] === '') items.pop()
        const vals = items.map(scalar)
        if (vals.some((v) => v === null || /[{}[\]]/.test(v))) return null
        out[name] = vals as string[]
        continue
      }
      const v = scalar(rest)
      if (v === null) return null
      out[name] = v
      continue
    }
    const item = ITEM_LINE.exec(body.replace(/\s+$/, ''))
    if (item && list && item[1]!.length >= indent) {
      const v = scalar(item[2]!)
      if (v === null) return null
      list.push(v)
      continue
    }
    return null
  }
  for (const v of Object.values(out)) if (Array.isArray(v) && !v.length) return null // `name:` with nothing: let the parser judge
  return out
}
