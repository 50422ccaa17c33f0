/**
 * Low-level YAML text writer reproducing go-yaml v3's emitter layout rules
 * (docs/format.md §7.2/§7.3): column tracking, when a line break is needed before an
 * indent, the four scalar styles (plain, single, double, literal), and the style
 * downgrades of the emitter's scalar analysis.
 *
 * Long lines are never folded: go-yaml v3 starts with an unlimited line width
 * (`best_width` -1, which its emitter turns into 2^31-1) and sops does not set one,
 * so a long value stays on one line whatever YAML emitters usually do at column 80 (docs/format.md §7.3).
 */

/** The configured indent (sops' default), also used as the literal indentation hint. */
export const BEST_INDENT = 4

export type ScalarStyle = 'plain' | 'single' | 'double' | 'literal'

/**
 * Where a scalar is written: a literal block's lines go to `indent`; `parent` is the
 * indentation of the node holding it (the key's column for a map value, the `-` column
 * for a list item, -1 at the document root).
 */
export interface ScalarContext {
  indent: number
  parent: number
}

const isBreakCp = (cp: number) => cp === 0x0a || cp === 0x0d || cp === 0x85 || cp === 0x2028 || cp === 0x2029

/** go-yaml's `is_printable` on a code point (astral characters are not printable). */
export function isPrintable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  )
}

interface Analysis {
  multiline: boolean
  blockPlainAllowed: boolean
  singleAllowed: boolean
  blockAllowed: boolean
}

/** go-yaml's `analyze_scalar`: which styles can represent the text in block context. */
/** Strings that need no analysis: no space, break, quote or indicator position (ENC[…] values, tokens, names). */
const PLAIN_SAFE = /^[A-Za-z0-9_./+=][A-Za-z0-9_./+=,:[\]-]*$/
const SAFE: Analysis = { multiline: false, blockPlainAllowed: true, singleAllowed: true, blockAllowed: true }

export function analyzeScalar(value: string): Analysis {
  return PLAIN_SAFE.test(value) && !value.endsWith(':') && !value.startsWith('...') ? SAFE : analyzeScalarFully(value)
}

/** go-yaml's yaml_emitter_analyze_scalar, character by character. */
export function analyzeScalarFully(value: string): Analysis {
  const cps = Array.from(value, (c) => c.codePointAt(0)!)
  if (cps.length === 0) return { multiline: false, blockPlainAllowed: true, singleAllowed: true, blockAllowed: false }
  // go-yaml's flags one by one, in its order, on purpose: the port stays checkable line by line
  let blockIndicators = value.startsWith('---') || value.startsWith('...')
  let lineBreaks = false
  let special = false
  let tabs = false
  let leadingSpace = false
  let leadingBreak = false
  let trailingSpace = false
  let trailingBreak = false
  let breakSpace = false
  let spaceBreak = false
  let precededByWs = true
  let prevSpace = false
  let prevBreak = false
  const isBlank = (cp: number | undefined) => cp === 0x20 || cp === 0x09
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i]!
    const last = i === cps.length - 1
    const followedByWs = last || isBlank(cps[i + 1])
    const ch = String.fromCodePoint(cp)
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true
      else if ((ch === '?' || ch === ':' || ch === '-') && followedByWs) blockIndicators = true
    } else if ((ch === ':' && followedByWs) || (ch === '#' && precededByWs)) {
      blockIndicators = true
    }
    if (cp === 0x09) tabs = true
    else if (!isPrintable(cp)) special = true
    if (cp === 0x20) {
      if (i === 0) leadingSpace = true
      if (last) trailingSpace = true
      if (prevBreak) breakSpace = true
      prevSpace = true
      prevBreak = false
    } else if (isBreakCp(cp)) {
      lineBreaks = true
      if (i === 0) leadingBreak = true
      if (last) trailingBreak = true
      if (prevSpace) spaceBreak = true
      prevSpace = false
      prevBreak = true
    } else {
      prevSpace = false
      prevBreak = false
    }
    precededByWs = isBlank(cp) || isBreakCp(cp) || cp === 0
  }
  let blockPlainAllowed = true
  let singleAllowed = true
  let blockAllowed = true
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlainAllowed = false
  if (trailingSpace) blockAllowed = false
  if (breakSpace) blockPlainAllowed = singleAllowed = false
  if (spaceBreak || tabs || special) blockPlainAllowed = singleAllowed = false
  if (spaceBreak || special) blockAllowed = false
  if (lineBreaks || blockIndicators) blockPlainAllowed = false
  return { multiline: lineBreaks, blockPlainAllowed, singleAllowed, blockAllowed }
}

/**
 * The style go-yaml ends up with for a requested style (its `select_scalar_style`).
 * Deviation: text with U+2028/U+2029 is always double-quoted (escaped), because go-yaml
 * would write them raw as YAML 1.1 line breaks that YAML 1.2 parsers read as content.
 */
export function selectStyle(value: string, requested: ScalarStyle, simpleKey: boolean): ScalarStyle {
  const a = analyzeScalar(value)
  let style = requested
  if (/[\u2028\u2029]/.test(value)) return 'double'
  if (simpleKey && a.multiline) style = 'double'
  if (style === 'plain' && (!a.blockPlainAllowed || (value.length === 0 && simpleKey))) style = 'single'
  if (style === 'single' && !a.singleAllowed) style = 'double'
  if (style === 'literal' && (!a.blockAllowed || simpleKey)) style = 'double'
  return style
}

const ESCAPES: Record<number, string> = {
  0x00: '0', 0x07: 'a', 0x08: 'b', 0x09: 't', 0x0a: 'n', 0x0b: 'v', 0x0c: 'f', 0x0d: 'r', 0x1b: 'e',
  0x22: '"', 0x5c: '\\', 0x85: 'N', 0xa0: '_', 0x2028: 'L', 0x2029: 'P',
}

/** Lone or paired UTF-16 surrogates: only then does a string's length differ from its code point count. */
const SURROGATE = /[\uD800-\uDFFF]/

/** Code points in `s` as `for (const ch of s)` counts them (a lone surrogate counts as one). */
function codePoints(s: string): number {
  if (!SURROGATE.test(s)) return s.length
  let n = 0
  for (const _ of s) n++
  return n
}

/** Characters the double-quoted style writes as they are (no escape), for the fast run scan. */
const DOUBLE_PLAIN_RUN = /[\x20\x21\x23-\x5b\x5d-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]+/y

/**
 * The output buffer with go-yaml's emitter state (column, whitespace, indention, foot indent).
 * Text goes in as runs (whole scalars, lines, escapes), never a character at a time: `column`
 * counts code points, as go-yaml's does, so a run advances it by its code point count.
 */
export class YamlWriter {
  private readonly parts: string[] = []
  column = 0
  /** The last written character is whitespace (or nothing was written on this line yet). */
  whitespace = true
  /** Only indentation has been written on this line so far. */
  indention = true
  /** Indent of the last foot comment: the next line at that indent gets a blank line before it. */
  footIndent = -1

  toString(): string {
    return this.parts.join('')
  }

  /** The output as written so far, in order (for utf8Parts: bytes without one big joined string). */
  chunks(): readonly string[] {
    return this.parts
  }

  /** Writes a run of text with no line break in it. */
  put(s: string): void {
    this.parts.push(s)
    this.column += codePoints(s)
  }

  /** An ASCII run (escapes, indicators): its length is its code point count. */
  private putAscii(s: string): void {
    this.parts.push(s)
    this.column += s.length
  }

  putBreak(): void {
    this.parts.push('\n')
    this.column = 0
    this.indention = true
  }

  /** Moves to `indent` on a fresh line unless the current line holds only indentation up to it. */
  writeIndent(indent: number): void {
    const ind = Math.max(indent, 0)
    if (!this.indention || this.column > ind || (this.column === ind && !this.whitespace)) this.putBreak()
    if (this.footIndent === ind) this.putBreak()
    if (this.column < ind) this.putAscii(' '.repeat(ind - this.column))
    this.whitespace = true
    this.footIndent = -1
  }

  writeIndicator(s: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.putAscii(' ')
    this.put(s)
    this.whitespace = isWhitespace
    this.indention = this.indention && isIndention
  }

  /** A tag such as `!!binary` before a scalar. */
  writeTag(tag: string): void {
    if (!this.whitespace) this.putAscii(' ')
    this.put(tag)
    this.whitespace = false
    this.indention = false
  }

  /**
   * Comment lines (texts without `#`); the first continues the current line, the
   * others go to `indent`. Ends with a line break.
   */
  writeComments(texts: readonly string[], indent: number): void {
    texts.forEach((t, i) => {
      if (i > 0) this.writeIndent(indent)
      const lines = ('#' + t).split(/\r\n|[\r\n\u0085\u2028\u2029]/)
      lines.forEach((line, j) => {
        if (j > 0) this.writeIndent(indent)
        this.put(line.startsWith('#') ? line : '# ' + line)
        this.indention = false
        this.putBreak()
      })
    })
    this.whitespace = true
  }

  /** An end-of-line comment (go-yaml line comment); further texts go on own lines at `indent`. */
  writeLineComments(texts: readonly string[], indent: number): void {
    if (texts.length === 0) return
    if (!this.whitespace) this.putAscii(' ')
    this.writeComments(texts, indent)
  }

  writeScalar(value: string, style: ScalarStyle, ctx: ScalarContext, lineComment?: string): void {
    switch (style) {
      case 'plain':
        return this.writePlain(value)
      case 'single':
        return this.writeSingle(value)
      case 'double':
        return this.writeDouble(value)
      case 'literal':
        return this.writeLiteral(value, ctx, lineComment)
    }
  }

  private writePlain(value: string): void {
    if (value.length > 0 && !this.whitespace) this.putAscii(' ')
    if (value.length > 0) this.put(value)
    if (value.length > 0) this.whitespace = false
    this.indention = false
  }

  private writeSingle(value: string): void {
    this.writeIndicator("'", true, false, false)
    if (value.length > 0) this.put(value.replaceAll("'", "''"))
    this.writeIndicator("'", false, false, false)
    this.whitespace = false
    this.indention = false
  }

  private writeDouble(value: string): void {
    this.writeIndicator('"', true, false, false)
    // go-yaml quirk: its BOM test looks at the start of the value, so a value that starts
    // with U+FEFF gets every character escaped.
    const bomStart = value.startsWith('\ufeff')
    let i = 0
    while (i < value.length) {
      if (!bomStart) {
        // a run of characters written as they are (printable, no break, quote or backslash)
        DOUBLE_PLAIN_RUN.lastIndex = i
        const m = DOUBLE_PLAIN_RUN.exec(value)
        if (m) {
          this.put(m[0])
          i += m[0].length
          continue
        }
      }
      const cp = value.codePointAt(i)!
      const ch = String.fromCodePoint(cp)
      i += ch.length
      if (bomStart || !isPrintable(cp) || isBreakCp(cp) || ch === '"' || ch === '\\') {
        const esc = ESCAPES[cp]
        if (esc !== undefined) this.putAscii('\\' + esc)
        else {
          const [letter, width] = cp <= 0xff ? ['x', 2] : cp <= 0xffff ? ['u', 4] : ['U', 8]
          this.putAscii('\\' + letter + cp.toString(16).toUpperCase().padStart(width, '0'))
        }
      } else this.put(ch)
    }
    this.writeIndicator('"', false, false, false)
    this.whitespace = false
    this.indention = false
  }

  /**
   * Deviation: the indentation digit is the content's real offset from `ctx.parent`.
   * go-yaml always writes its best indent (`4`), which is right for map values but not
   * for list items or for values of a map inside a list (offset 2): there it writes
   * YAML that neither go-yaml nor any other parser reads back.
   */
  private writeLiteral(value: string, ctx: ScalarContext, lineComment?: string): void {
    const indent = ctx.indent
    this.writeIndicator('|', true, false, false)
    if (value.startsWith(' ') || isBreakCp(value.codePointAt(0) ?? 0)) {
      this.writeIndicator(String(ctx.parent < 0 ? indent : indent - ctx.parent), false, false, false)
    }
    const lastBreak = value.endsWith('\n')
    if (!lastBreak) this.writeIndicator('-', false, false, false)
    else if (value.length === 1 || value.endsWith('\n\n')) this.writeIndicator('+', false, false, false)
    if (lineComment !== undefined) this.writeLineComments([lineComment], indent)
    else if (value.startsWith('\n')) this.putBreak() // deviation: go-yaml drops a leading line break here
    this.whitespace = true
    // line by line: each non-empty line goes to `indent`, each \n is a break
    let start = 0
    while (start <= value.length) {
      const nl = value.indexOf('\n', start)
      const end = nl < 0 ? value.length : nl
      if (end > start) {
        this.writeIndent(indent)
        this.put(value.slice(start, end))
        this.indention = false
      }
      if (nl < 0) break
      this.putBreak()
      start = nl + 1
    }
  }
}
