/**
 * An INI reader that behaves like gopkg.in/ini.v1 (v1.67) with the options sops
 * uses (`AllowNonUniqueSections`, everything else default): `=`/`:` delimiters,
 * `"""…"""` and backtick quoting (both may span lines), surrounding `"`/`'`
 * stripped, `\` continuation lines, inline `#`/`;` comments in unquoted values,
 * `-` auto-increment keys, duplicate keys merged (first position, last value).
 *
 * Errors are `FormatError`s with a line number and a fixed text, never input text.
 */
import { FormatError } from '../../errors.js'
import { goTrimLeft, goTrimSpace } from '../text-bytes.js'

/** A key as ini.v1 keeps it: the comment is the raw comment lines before it plus its inline comment. */
export interface IniKey { name: string; value: string; comment: string }
/** A section; `DEFAULT` (keys before the first header) is always the first one. */
export interface IniSection { name: string; comment: string; keys: IniKey[] }

export const DEFAULT_SECTION = 'DEFAULT'

/** bufio `ReadBytes('\n')` over a string: lines keep their `\n`; `eof` once a line had none. */
class LineReader {
  private pos = 0
  eof = false
  line = 0
  constructor(private readonly src: string) {}
  next(): string {
    const nl = this.src.indexOf('\n', this.pos)
    const end = nl === -1 ? this.src.length : nl + 1
    if (nl === -1) this.eof = true
    const out = this.src.slice(this.pos, end)
    if (out.length > 0) this.line++
    this.pos = end
    return out
  }
}

function indexAny(s: string, chars: string): number {
  for (let i = 0; i < s.length; i++) if (chars.includes(s[i]!)) return i
  return -1
}

/** ini.v1 `cleanComment`: from the first `#`/`;` on, or undefined. */
function cleanComment(s: string): string | undefined {
  const i = indexAny(s, '#;')
  return i === -1 ? undefined : s.slice(i)
}

/** True iff `s` starts and ends with `q` and has no other `q` (ini.v1 `hasSurroundedQuote`). */
function hasSurroundedQuote(s: string, q: string): boolean {
  return s.length >= 2 && s[0] === q && s[s.length - 1] === q && s.indexOf(q, 1) === s.length - 1
}

/** ini.v1 `readKeyName` on a left-trimmed line: the key and the offset just past the delimiter. */
function readKeyName(line: string, lineNo: number): [string, number] {
  let quote = ''
  if (line[0] === '"') quote = line.length > 6 && line.startsWith('"""') ? '"""' : '"'
  else if (line[0] === '`') quote = '`'
  if (quote) {
    const start = quote.length
    const close = line.indexOf(quote, start)
    if (close === -1) throw new FormatError('invalid INI key: missing closing key quote', lineNo)
    const i = indexAny(line.slice(close + start), '=:')
    if (i < 0) throw new FormatError('invalid INI line: expected "key = value" or "[section]"', lineNo)
    return [goTrimSpace(line.slice(start, close)), close + i + start + 1]
  }
  const end = indexAny(line, '=:')
  if (end < 0) throw new FormatError('invalid INI line: expected "key = value" or "[section]"', lineNo)
  if (end === 0) throw new FormatError('invalid INI line: empty key name', lineNo)
  return [goTrimSpace(line.slice(0, end)), end + 1]
}

class IniParser {
  private readonly r: LineReader
  private comment = ''
  constructor(src: string) {
    this.r = new LineReader(src)
  }

  parse(): IniSection[] {
    const sections: IniSection[] = []
    let section: IniSection = { name: DEFAULT_SECTION, comment: '', keys: [] }
    sections.push(section)
    let byName = new Map<string, IniKey>()
    let count = 1
    while (!this.r.eof) {
      const line = goTrimLeft(this.r.next())
      const lineNo = this.r.line
      if (line.length === 0) continue
      if (line[0] === '#' || line[0] === ';') {
        this.comment += line
        continue
      }
      if (line[0] === '[') {
        const close = line.lastIndexOf(']')
        if (close === -1) throw new FormatError('invalid INI section header: missing "]"', lineNo)
        const name = line.slice(1, close)
        if (name.length === 0) throw new FormatError('invalid INI section header: empty section name', lineNo)
        this.comment += cleanComment(line.slice(close + 1)) ?? ''
        section = { name, comment: goTrimSpace(this.comment), keys: [] }
        sections.push(section)
        byName = new Map()
        this.comment = ''
        count = 1
        continue
      }
      let [name, offset] = readKeyName(line, lineNo)
      if (name === '-') name = '#' + count++
      const value = this.readValue(line.slice(offset), lineNo)
      if (name.length === 0) throw new FormatError('invalid INI line: empty key name', lineNo)
      let key = byName.get(name)
      if (key) key.value = value
      else {
        key = { name, value, comment: '' }
        byName.set(name, key)
        section.keys.push(key)
      }
      key.comment = goTrimSpace(this.comment)
      this.comment = ''
    }
    return sections
  }

  private readValue(input: string, lineNo: number): string {
    let line = goTrimLeft(input)
    if (line.length === 0) return ''
    const quote = line.length > 3 && line.startsWith('"""') ? '"""' : line[0] === '`' ? '`' : ''
    if (quote) {
      const start = quote.length
      const pos = line.slice(start).lastIndexOf(quote)
      if (pos === -1) return this.readMultilines(line.slice(start), quote, lineNo)
      return line.slice(start, pos + start)
    }
    line = goTrimSpace(line)
    if (line.endsWith('\\')) return this.readContinuationLines(line.slice(0, -1))
    const i = indexAny(line, '#;')
    if (i > -1) {
      this.comment += line.slice(i)
      line = goTrimSpace(line.slice(0, i))
    }
    if (hasSurroundedQuote(line, "'") || hasSurroundedQuote(line, '"')) line = line.slice(1, -1)
    return line
  }

  private readMultilines(first: string, quote: string, lineNo: number): string {
    let val = first
    for (;;) {
      const next = this.r.next()
      const pos = next.lastIndexOf(quote)
      if (pos > -1) {
        val += next.slice(0, pos)
        const c = cleanComment(next.slice(pos))
        if (c !== undefined) this.comment += goTrimSpace(c)
        return val
      }
      val += next
      if (this.r.eof) throw new FormatError('invalid INI value: missing closing quote', lineNo)
    }
  }

  private readContinuationLines(first: string): string {
    let val = first
    for (;;) {
      const next = goTrimSpace(this.r.next())
      if (next.length === 0) return val
      val += next
      if (!val.endsWith('\\')) return val
      val = val.slice(0, -1)
    }
  }
}

/** Parse INI text into sections (ini.v1 semantics). Throws `FormatError`. */
export function parseIniSections(text: string): IniSection[] {
  return new IniParser(text).parse()
}

/** The input without a leading UTF-8 or UTF-16 byte order mark (ini.v1 `BOM()`). */
export function stripBom(b: Uint8Array): Uint8Array {
  if (b.length >= 2 && ((b[0] === 0xfe && b[1] === 0xff) || (b[0] === 0xff && b[1] === 0xfe))) return b.subarray(2)
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return b.subarray(3)
  return b
}
