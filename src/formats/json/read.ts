/**
 * An order-preserving JSON parser producing the neutral tree, with sops' number
 * rules (an integer literal within int64 → int, anything else → float) and Go's
 * string decoding (lone surrogate escapes → U+FFFD). Iterative, so deep nesting
 * cannot overflow the stack; the depth limit is Go's (10000).
 *
 * As sops' token reader, duplicate keys are kept (in order) and data after the top-level
 * object is not read; either is reported once in `notes` (a key name and line numbers, never
 * values), so a reader can warn and a writer (encrypt) can refuse.
 *
 * Errors are `FormatError`s with line/column and a fixed text, never input text.
 */
import { FormatError } from '../../errors.js'
import { fitsInt64, formatFloatF } from '../../core/go-number.js'
import type { Mapping, Node, Scalar, Sequence } from '../../core/tree.js'
import { decodeLossy } from '../text-bytes.js'

const MAX_DEPTH = 10000
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }

interface MapFrame { node: Mapping; keys: Set<string>; count: number }
interface SeqFrame { node: Sequence; count: number }
type Frame = MapFrame | SeqFrame

class JsonParser {
  private pos = 0
  private duplicate?: string
  constructor(private readonly src: string) {}

  /** What the reader tolerated (duplicate keys, trailing data), one line at most. */
  note(): string | undefined {
    const trailing = this.trailingLine
    const parts = [
      ...(this.duplicate !== undefined ? [`a duplicate key ${this.duplicate}`] : []),
      ...(trailing !== undefined ? [`data after the top-level object (line ${trailing})`] : []),
    ]
    return parts.length ? `JSON with ${parts.join(' and ')}` : undefined
  }
  private trailingLine?: number

  private lineOf(at: number): number {
    let line = 1
    for (let i = 0; i < at && i < this.src.length; i++) if (this.src.charCodeAt(i) === 10) line++
    return line
  }

  /** 1-based line and column of an offset. */
  private fail(message: string, at = this.pos): never {
    let line = 1
    let lineStart = 0
    for (let i = 0; i < at && i < this.src.length; i++) {
      if (this.src.charCodeAt(i) === 10) {
        line++
        lineStart = i + 1
      }
    }
    throw new FormatError(message, line, at - lineStart + 1)
  }

  private skipWs(): void {
    const s = this.src
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos)
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break
      this.pos++
    }
  }

  private expect(ch: string, what: string): void {
    this.skipWs()
    if (this.src[this.pos] !== ch) this.unexpected(what)
    this.pos++
  }

  private unexpected(what: string): never {
    if (this.pos >= this.src.length) this.fail('unexpected end of JSON input')
    return this.fail(`invalid JSON: expected ${what}`)
  }

  parseDocument(): Mapping {
    if (this.src.charCodeAt(0) === 0xfeff) this.fail('invalid JSON: byte order mark is not allowed', 0)
    this.skipWs()
    if (this.pos >= this.src.length) this.fail('empty JSON input')
    if (this.src[this.pos] !== '{') {
      this.fail('sops only supports JSON files with a top-level object (starting with "{"); wrap the data in an object')
    }
    this.pos++
    const root: Mapping = { kind: 'map', entries: [] }
    const stack: Frame[] = [{ node: root, keys: new Set(), count: 0 }]
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!
      const child = top.node.kind === 'map' ? this.mapStep(top as MapFrame) : this.seqStep(top as SeqFrame)
      if (child === null) stack.pop()
      else if (child !== undefined) {
        if (stack.length >= MAX_DEPTH) this.fail('JSON nesting too deep')
        stack.push(child.kind === 'map' ? { node: child, keys: new Set(), count: 0 } : { node: child, count: 0 })
      }
    }
    this.skipWs()
    if (this.pos < this.src.length) this.trailingLine = this.lineOf(this.pos)
    return root
  }

  /** One member of an object: `null` when the object closed, a container to descend into, or undefined. */
  private mapStep(f: MapFrame): Mapping | Sequence | null | undefined {
    this.skipWs()
    if (this.src[this.pos] === '}') {
      this.pos++
      return null
    }
    if (f.count > 0) {
      if (this.src[this.pos] !== ',') this.unexpected('"," or "}" after an object member')
      this.pos++
      this.skipWs()
    }
    if (this.src[this.pos] !== '"') this.unexpected('a string object key')
    const keyAt = this.pos
    const key = this.parseString()
    if (f.keys.has(key)) this.duplicate ??= `(line ${this.lineOf(keyAt)})` // no key name: keys can be secrets too
    f.keys.add(key)
    this.expect(':', '":" after an object key')
    const value = this.parseValue()
    f.node.entries.push({ kind: 'pair', key, value })
    f.count++
    return value.kind === 'scalar' ? undefined : value
  }

  // the array twin of mapStep, kept apart on purpose: each stays a flat step over one container kind
  private seqStep(f: SeqFrame): Mapping | Sequence | null | undefined {
    this.skipWs()
    if (this.src[this.pos] === ']') {
      this.pos++
      return null
    }
    if (f.count > 0) {
      if (this.src[this.pos] !== ',') this.unexpected('"," or "]" after an array element')
      this.pos++
    }
    const value = this.parseValue()
    f.node.items.push(value)
    f.count++
    return value.kind === 'scalar' ? undefined : value
  }

  /** A value; containers are returned empty and filled by the main loop. */
  private parseValue(): Node {
    this.skipWs()
    const c = this.src[this.pos]
    switch (c) {
      case '{':
        this.pos++
        return { kind: 'map', entries: [] }
      case '[':
        this.pos++
        return { kind: 'seq', items: [] }
      case '"':
        return { kind: 'scalar', type: 'str', text: this.parseString() }
      case 't':
        return this.literal('true', { kind: 'scalar', type: 'bool', text: 'True' })
      case 'f':
        return this.literal('false', { kind: 'scalar', type: 'bool', text: 'False' })
      case 'n':
        return this.literal('null', { kind: 'scalar', type: 'null', text: '' })
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.parseNumber()
        return this.unexpected('a JSON value')
    }
  }

  private literal(word: string, value: Scalar): Scalar {
    if (!this.src.startsWith(word, this.pos)) this.unexpected('a JSON value')
    this.pos += word.length
    return value
  }

  private parseNumber(): Scalar {
    const at = this.pos
    NUMBER.lastIndex = at
    const m = NUMBER.exec(this.src)
    if (!m) return this.fail('invalid JSON number', at)
    const lit = m[0]
    this.pos = at + lit.length
    if (!/[.eE]/.test(lit)) {
      const v = BigInt(lit)
      if (fitsInt64(v)) return { kind: 'scalar', type: 'int', text: v.toString() }
    }
    const x = Number(lit)
    if (!Number.isFinite(x)) this.fail('JSON number out of range', at)
    return { kind: 'scalar', type: 'float', text: formatFloatF(x) }
  }

  private hex4(at: number): number {
    const h = this.src.slice(at, at + 4)
    if (!/^[0-9a-fA-F]{4}$/.test(h)) this.fail('invalid \\u escape in JSON string', at)
    return parseInt(h, 16)
  }

  /** A string starting at the opening quote; Go rules for escapes and surrogates. */
  private parseString(): string {
    const s = this.src
    const start = this.pos
    let i = start + 1
    let out = ''
    let run = i
    for (;;) {
      if (i >= s.length) this.fail('unterminated JSON string', start)
      const c = s.charCodeAt(i)
      if (c === 0x22) break
      if (c < 0x20) this.fail('control character in JSON string', i)
      if (c !== 0x5c) {
        i++
        continue
      }
      out += s.slice(run, i)
      const e = s[i + 1]
      if (e === 'u') {
        let cp = this.hex4(i + 2)
        i += 6
        if (cp >= 0xd800 && cp <= 0xdfff) {
          // Go: a valid high+low pair combines; anything else is U+FFFD and the next escape stays.
          let low = -1
          if (cp <= 0xdbff && s[i] === '\\' && s[i + 1] === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) {
            low = parseInt(s.slice(i + 2, i + 6), 16)
          }
          if (low >= 0xdc00 && low <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00)
            i += 6
          } else cp = 0xfffd
        }
        out += String.fromCodePoint(cp)
      } else if (e !== undefined && e in ESCAPES) {
        out += ESCAPES[e]
        i += 2
      } else {
        if (e === undefined) this.fail('unterminated JSON string', start)
        this.fail('invalid escape in JSON string', i)
      }
      run = i
    }
    out += s.slice(run, i)
    this.pos = i + 1
    return out
  }
}

/** Parse JSON bytes whose top level is an object into a Mapping; what was tolerated goes to `notes`. Throws `FormatError`. */
export function parseJsonDocument(input: Uint8Array, notes?: string[]): Mapping {
  const p = new JsonParser(decodeLossy(input))
  const m = p.parseDocument()
  const n = p.note()
  if (n !== undefined) notes?.push(n)
  return m
}
