/**
 * JSON output exactly like sops: Go `encoding/json` string escaping and number
 * spelling, laid out like `json.Indent` (or compact like `json.Marshal`).
 * Comments are dropped (JSON has none).
 */
import { EmitError } from '../../errors.js'
import { formatFloatJSON } from '../../core/go-number.js'
import type { Node, Scalar } from '../../core/tree.js'
import { decodeStrict, scalarOutBytes } from '../text-bytes.js'
import { floatFromText } from '../val-to-string.js'

const HEX = '0123456789abcdef'

/** Go's escape for one ASCII code unit, or undefined when it is written as is (HTML-safe set). */
function asciiEscape(c: number): string | undefined {
  if (c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x3c && c !== 0x3e && c !== 0x26) return undefined
  switch (c) {
    case 0x22: return '\\"'
    case 0x5c: return '\\\\'
    case 0x08: return '\\b'
    case 0x0c: return '\\f'
    case 0x0a: return '\\n'
    case 0x0d: return '\\r'
    case 0x09: return '\\t'
    default: return '\\u00' + HEX[c >> 4] + HEX[c & 15]
  }
}

const NEEDS_ESCAPE = /[\x00-\x1f"\\<>&\u2028\u2029]/

/** Go `json.Marshal` of a string: `<>&`, U+2028/U+2029 and controls escaped, the rest raw. */
export function goQuote(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return '"' + text + '"' // the common case, one scan (ENC values, names)
  let out = '"'
  let run = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    let esc: string | undefined
    if (c < 0x80) esc = asciiEscape(c)
    else if (c === 0x2028 || c === 0x2029) esc = c === 0x2028 ? '\\u2028' : '\\u2029'
    if (esc === undefined) continue
    out += text.slice(run, i) + esc
    run = i + 1
  }
  return out + text.slice(run) + '"'
}

/** Whether `b[j]` exists and lies in lo..hi. */
const byteIn = (b: Uint8Array, j: number, lo: number, hi: number): boolean => j < b.length && b[j]! >= lo && b[j]! <= hi

/** Length of the valid UTF-8 sequence at `i` (Go utf8.DecodeRune rules), or 0 if invalid. */
function utf8SeqLen(b: Uint8Array, i: number): number {
  const c = b[i]!
  if (c >= 0xc2 && c <= 0xdf) return byteIn(b, i + 1, 0x80, 0xbf) ? 2 : 0
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80
    const hi = c === 0xed ? 0x9f : 0xbf
    return byteIn(b, i + 1, lo, hi) && byteIn(b, i + 2, 0x80, 0xbf) ? 3 : 0
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80
    const hi = c === 0xf4 ? 0x8f : 0xbf
    return byteIn(b, i + 1, lo, hi) && byteIn(b, i + 2, 0x80, 0xbf) && byteIn(b, i + 3, 0x80, 0xbf) ? 4 : 0
  }
  return 0
}

/** 1 for each ASCII code unit Go writes as is (see asciiEscape). */
const ASCII_AS_IS = Uint8Array.from({ length: 0x80 }, (_, c) => (asciiEscape(c) === undefined ? 1 : 0))

/** Writes an ASCII escape at `at`; returns the position after it. */
function putAscii(buf: Buffer, at: number, esc: string): number {
  for (let k = 0; k < esc.length; k++) buf[at++] = esc.charCodeAt(k)
  return at
}

/** Output bytes gathered before they become one string of the result (a piece never splits a character). */
const QUOTE_CHUNK = 1 << 16

/**
 * Go `json.Marshal` of a string holding arbitrary bytes: each invalid UTF-8 byte becomes `\ufffd`.
 * The quoted form is written as UTF-8 bytes into one reused buffer, decoded into a string each
 * 64 KiB: a large value costs a few dozen strings, never one per character.
 */
export function goQuoteBytes(bytes: Uint8Array): string {
  const text = decodeStrict(bytes)
  if (text !== undefined) return goQuote(text)
  const parts: string[] = []
  const buf = Buffer.allocUnsafe(QUOTE_CHUNK + 8) // room for the longest item (6 bytes) past the mark
  let at = 0
  buf[at++] = 0x22
  let i = 0
  while (i < bytes.length) {
    if (at >= QUOTE_CHUNK) {
      parts.push(buf.toString('utf8', 0, at))
      at = 0
    }
    const c = bytes[i]!
    if (c < 0x80) {
      if (ASCII_AS_IS[c]) buf[at++] = c
      else at = putAscii(buf, at, asciiEscape(c)!)
      i++
      continue
    }
    const n = utf8SeqLen(bytes, i)
    if (n === 0) {
      at = putAscii(buf, at, '\\ufffd')
      i++
      continue
    }
    if (n === 3 && c === 0xe2 && bytes[i + 1] === 0x80 && (bytes[i + 2] === 0xa8 || bytes[i + 2] === 0xa9)) at = putAscii(buf, at, bytes[i + 2] === 0xa8 ? '\\u2028' : '\\u2029')
    else for (let k = 0; k < n; k++) buf[at++] = bytes[i + k]!
    i += n
  }
  buf[at++] = 0x22
  parts.push(buf.toString('utf8', 0, at))
  return parts.length === 1 ? parts[0]! : parts.join('')
}

const TRUE_TEXTS = new Set(['True', 'true', 'TRUE', 't', 'T', '1'])
const FALSE_TEXTS = new Set(['False', 'false', 'FALSE', 'f', 'F', '0'])

/** One scalar as Go `json.Marshal` writes it. `key` only names the place in errors. */
export function jsonScalar(s: Scalar, key: string | undefined): string {
  const where = key === undefined ? '' : ` (key "${key}")`
  switch (s.type) {
    case 'str':
      return s.raw ? goQuoteBytes(s.raw) : goQuote(s.text)
    case 'bytes':
      return '"' + Buffer.from(scalarOutBytes(s)).toString('base64') + '"'
    case 'int':
      if (!/^-?[0-9]+$/.test(s.text)) throw new EmitError(`invalid integer value${where}`)
      return s.text
    case 'float': {
      const x = floatFromText(s.text)
      if (!Number.isFinite(x)) throw new EmitError(`json: unsupported value: NaN or infinite number${where}`)
      return formatFloatJSON(x)
    }
    case 'bool':
      if (TRUE_TEXTS.has(s.text)) return 'true'
      if (FALSE_TEXTS.has(s.text)) return 'false'
      throw new EmitError(`invalid boolean value${where}`)
    case 'time':
      return goQuote(s.text)
    case 'null':
      return 'null'
  }
}

/**
 * Serialize a node. `indent` is the indent unit of `json.Indent` (`'\t'`, spaces,
 * or `''` for newlines without indentation); `null` gives compact `json.Marshal` output.
 */
export function jsonNode(node: Node, indent: string | null): string {
  return jsonNodeParts(node, indent).join('')
}

/** As jsonNode, the text in parts (for utf8Parts: bytes without one big joined string). */
export function jsonNodeParts(node: Node, indent: string | null): string[] {
  const out: string[] = []
  write(node, indent, 0, out, undefined)
  return out
}

function write(node: Node, indent: string | null, level: number, out: string[], key: string | undefined): void {
  if (node.kind === 'scalar') {
    out.push(jsonScalar(node, key))
    return
  }
  const nl = (l: number): string => (indent === null ? '' : '\n' + indent.repeat(l))
  const colon = indent === null ? ':' : ': '
  const [open, close] = node.kind === 'map' ? ['{', '}'] : ['[', ']']
  out.push(open)
  let first = true
  if (node.kind === 'map') {
    for (const e of node.entries) {
      if (e.kind !== 'pair') continue
      out.push((first ? '' : ',') + nl(level + 1) + goQuote(e.key) + colon)
      write(e.value, indent, level + 1, out, e.key)
      first = false
    }
  } else {
    for (const item of node.items) {
      if (item.kind === 'comment') continue
      out.push((first ? '' : ',') + nl(level + 1))
      write(item, indent, level + 1, out, key)
      first = false
    }
  }
  out.push((first ? '' : nl(level)) + close)
}
