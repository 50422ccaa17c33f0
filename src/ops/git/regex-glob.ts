/**
 * Turns a simple creation-rule `path_regex` into `.gitattributes` glob patterns.
 * Supported: literals (with `\.`-style escapes), `^`, `$`, `.*`/`.+` at the start of
 * a path segment, `[^/]*`/`[^/]+`, `.`, an optional character (`ya?ml`) and groups
 * of literal alternatives (`(yaml|json)`, also at the top level). Anything else is
 * refused with a reason so that the caller can report it and skip the rule.
 *
 *   `\.enc\.yaml$`         → `*.enc.yaml`       (a base name, at any depth)
 *   `^secrets/.*`          → `secrets/**`
 *   `^secrets/.*\.yaml$`   → `secrets/**\/*.yaml`
 *   `\.enc\.(yaml|json)$`  → `*.enc.yaml`, `*.enc.json`
 *
 * `dirPrefix` is the config's folder relative to the repository root ('' at the root):
 * patterns are relative to the config's folder, `.gitattributes` to the root.
 */

type Tok = { lit: string } | { any: true } | { seg: true } | { one: true } | { alt: string[] }

export type GlobResult = { globs: string[] } | { error: string }

const ESCAPABLE = new Set('.-/_+*?()[]{}|^$\\ #@!%&=:,;<>~\'"`'.split(''))
const MAX_EXPANSIONS = 16

function literalAlternatives(src: string): string[] | undefined {
  const out: string[] = []
  for (const part of src.split('|')) {
    let s = ''
    for (let i = 0; i < part.length; i++) {
      const c = part[i]!
      if (c === '\\') {
        const n = part[++i]
        if (n === undefined || !ESCAPABLE.has(n)) return undefined
        s += n
      } else if ('.*+?()[]{}^$'.includes(c)) return undefined
      else s += c
    }
    out.push(s)
  }
  return out
}

function tokenize(src: string): Tok[] | string {
  const toks: Tok[] = []
  const pushLit = (c: string) => {
    const last = toks[toks.length - 1]
    if (last && 'lit' in last) last.lit += c
    else toks.push({ lit: c })
  }
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!
    if (c === '\\') {
      const n = src[++i]
      if (n === undefined || !ESCAPABLE.has(n)) return `the escape \\${n ?? ''} has no glob equivalent`
      pushLit(n)
    } else if (c === '.' && (src[i + 1] === '*' || src[i + 1] === '+')) {
      toks.push({ any: true }); i++
    } else if (src.startsWith('[^/]*', i) || src.startsWith('[^/]+', i)) {
      toks.push({ seg: true }); i += 4
    } else if (c === '.') {
      toks.push({ one: true })
    } else if (c === '(') {
      const end = src.indexOf(')', i)
      if (end < 0) return 'unbalanced parenthesis'
      const inner = src.slice(src.startsWith('(?:', i) ? i + 3 : i + 1, end)
      const alts = literalAlternatives(inner)
      if (!alts) return 'a group that is not a list of literal alternatives'
      const optional = src[end + 1] === '?'
      toks.push({ alt: optional ? [...alts, ''] : alts })
      i = end + (optional ? 1 : 0)
    } else if (c === '?') {
      const last = toks[toks.length - 1]
      if (!last || !('lit' in last)) return 'a ? after something other than a character'
      const ch = last.lit.slice(-1)
      last.lit = last.lit.slice(0, -1)
      if (!last.lit) toks.pop()
      toks.push({ alt: [ch, ''] })
    } else if ('*+{}[]|)^$'.includes(c)) {
      return `the construct ${c} has no glob equivalent`
    } else if (/\s/.test(c)) {
      return 'whitespace in the pattern'
    } else pushLit(c)
  }
  return toks
}

type Flat = Array<{ lit: string } | { any: true } | { seg: true } | { one: true }>

function expand(toks: Tok[]): Flat[] | undefined {
  let out: Flat[] = [[]]
  for (const t of toks) {
    if ('alt' in t) {
      out = out.flatMap((seq) => t.alt.map((a) => (a ? [...seq, { lit: a }] : [...seq])))
      if (out.length > MAX_EXPANSIONS) return undefined
    } else out = out.map((seq) => [...seq, t])
  }
  // merge adjacent literals
  return out.map((seq) => seq.reduce<Flat>((acc, t) => {
    const last = acc[acc.length - 1]
    if ('lit' in t && last && 'lit' in last) acc[acc.length - 1] = { lit: last.lit + t.lit }
    else acc.push(t)
    return acc
  }, []))
}

const globEscape = (s: string): string => s.replace(/[*?[\]\\!]/g, (c) => '\\' + c)

function toGlob(seq: Flat, anchoredStart: boolean, anchoredEnd: boolean, dirPrefix: string): string {
  let g = ''
  for (const [i, t] of seq.entries()) {
    if ('lit' in t) g += globEscape(t.lit)
    else if ('seg' in t) g += '*'
    else if ('one' in t) g += '?'
    else {
      const atSegStart = g === '' ? anchoredStart : g.endsWith('/')
      if (!atSegStart) throw new Error('.* in the middle of a name can match across folders')
      const next = seq[i + 1]
      g += next === undefined ? '**' : 'lit' in next && next.lit.startsWith('/') ? '**' : '**/*'
    }
  }
  if (!anchoredEnd && !g.endsWith('**')) g += g.endsWith('/') ? '**' : '*'
  if (!anchoredStart) {
    const rest = g.replace(/^\/+/, '')
    if (!rest.includes('/')) return dirPrefix ? `${dirPrefix}/**/${rest.startsWith('*') ? rest : '*' + rest}` : rest.startsWith('*') ? rest : '*' + rest
    return `${dirPrefix ? dirPrefix + '/' : ''}**/${rest}`.replace(/^\*\*\/\*\*/, '**')
  }
  if (dirPrefix) return `${dirPrefix}/${g}`
  // a pattern without a slash before its end would match the base name at any depth: anchor it
  return g.slice(0, -1).includes('/') ? g : '/' + g
}

/** Glob patterns for one `path_regex`, or the reason it cannot be expressed as globs. */
export function regexToGlobs(regex: string, dirPrefix = ''): GlobResult {
  if (regex === '') return { error: 'an empty path_regex matches every file' }
  if (/^\(\?[a-zA-Z]+\)/.test(regex)) return { error: 'inline flags such as (?i) have no glob equivalent' }
  // top-level alternatives
  const parts: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < regex.length; i++) {
    const c = regex[i]
    if (c === '\\') { i++; continue }
    if (c === '(') depth++
    else if (c === ')') depth--
    else if (c === '|' && depth === 0) { parts.push(regex.slice(start, i)); start = i + 1 }
  }
  parts.push(regex.slice(start))
  const globs: string[] = []
  for (const part of parts) {
    let src = part
    let anchoredStart = false
    let anchoredEnd = false
    if (src.startsWith('^')) { anchoredStart = true; src = src.slice(1) }
    if (src.startsWith('.*') || src.startsWith('.+')) { anchoredStart = false; src = src.slice(2) }
    if (src.endsWith('$') && !src.endsWith('\\$')) { anchoredEnd = true; src = src.slice(0, -1) }
    while (src.endsWith('.*') && !src.endsWith('\\.*')) { anchoredEnd = false; src = src.slice(0, -2) }
    const toks = tokenize(src)
    if (typeof toks === 'string') return { error: toks }
    if (!toks.length) return { error: 'the pattern matches every file' }
    const seqs = expand(toks)
    if (!seqs) return { error: 'too many alternatives' }
    for (const seq of seqs) {
      try {
        globs.push(toGlob(seq, anchoredStart, anchoredEnd, dirPrefix))
      } catch (e) {
        return { error: (e as Error).message }
      }
    }
  }
  return { globs: [...new Set(globs)] }
}
