/**
 * The INI format as sops uses gopkg.in/ini.v1 (docs/format.md §7.9). The tree is one pair
 * per section (the implicit `DEFAULT` section first), each a map of strings.
 * A comment before a section header becomes the section's first item; comments
 * before a key (and its inline comment) become a Comment item AFTER the key.
 *
 * Output is ini.v1's "pretty" form byte for byte. Beyond ini.v1: where its
 * quoting would not read back as the same key or value (a key starting with `#`,
 * `;` or `[`, a value ending in `\` or wrapped in quotes…), the next quoting that
 * does is used, and a key or value no quoting can carry is an `EmitError`
 * instead of a silently corrupted file.
 */
import { EmitError } from '../../errors.js'
import type { Comment, Mapping, Node, Pair, Tree } from '../../core/tree.js'
import type { Format } from '../../core/format.js'
import { DEFAULT_SECTION, parseIniSections, stripBom, type IniSection } from './read.js'
import { jsonNode } from '../json/write.js'
import { decodeLossy, goTrimSpace, scalarOutBytes, utf8 } from '../text-bytes.js'
import { valToString } from '../val-to-string.js'

/** sops `stripCommentChar`: drop leading `;`/`#` and spaces. */
function stripCommentChar(c: string): string {
  if (c.startsWith(';')) return c.replace(/^[; ]+/, '')
  if (c.startsWith('#')) return c.replace(/^[# ]+/, '')
  return c
}

function parseIni(input: Uint8Array): Tree {
  const sections = parseIniSections(decodeLossy(stripBom(input)))
  const entries: Pair[] = sections.map((s) => {
    const items: Array<Pair | Comment> = []
    if (s.comment !== '') items.push({ kind: 'comment', text: stripCommentChar(s.comment), inline: false })
    for (const k of s.keys) {
      items.push({ kind: 'pair', key: k.name, value: { kind: 'scalar', type: 'str', text: k.value } })
      if (k.comment !== '') items.push({ kind: 'comment', text: stripCommentChar(k.comment), inline: false })
    }
    return { kind: 'pair', key: s.name, value: { kind: 'map', entries: items } }
  })
  return { branches: [{ kind: 'map', entries }] }
}

/** Does `text` read back as one key `key` with value `value` and no comment? */
function readsBack(text: string, key: string, value: string): boolean {
  try {
    const [s, extra] = parseIniSections(text)
    const k = s?.keys[0]
    return extra === undefined && s!.keys.length === 1 && k!.name === key && k!.value === value && k!.comment === ''
  } catch {
    return false
  }
}

/** The key as written: ini.v1's quoting, else the first quoting that reads back. */
function quoteKey(k: string): string {
  const v1 = /["=:]/.test(k) ? '`' + k + '`' : k.includes('`') ? '"""' + k + '"""' : k
  for (const q of [v1, '`' + k + '`', '"""' + k + '"""']) if (readsBack(`${q} = x\n`, k, 'x')) return q
  throw new EmitError(`cannot write key ${JSON.stringify(k)} in an INI file: it would not read back`)
}

/** The value as written: ini.v1's quoting, else the first quoting that reads back. */
function quoteValue(v: string, key: string): string {
  let v1 = v
  if (/[\n`]/.test(v)) v1 = '"""' + v + '"""'
  else if (/[#;]/.test(v)) v1 = '`' + v + '`'
  else if (goTrimSpace(v).length !== v.length) v1 = '"' + v + '"'
  for (const q of [v1, '`' + v + '`', '"""' + v + '"""']) if (readsBack(`k = ${q}\n`, 'k', v)) return q
  throw new EmitError(`cannot write the value of key ${JSON.stringify(key)} in an INI file: it would not read back`)
}

/** ini.v1's comment lines: `; text`, or the text's own `#`/`;` then one space and the trimmed rest. */
function commentLines(c: string, trim: boolean): string {
  return c
    .split('\n')
    .map((l) => (l[0] === '#' || l[0] === ';' ? l[0] + ' ' + goTrimSpace(l.slice(1)) : '; ' + (trim ? goTrimSpace(l) : l)) + '\n')
    .join('')
}

/** The tree as ini.v1 sections (what sops' `encodeTree` builds). */
function toSections(tree: Tree): IniSection[] {
  const sections: IniSection[] = []
  for (const branch of tree.branches) {
    for (const e of branch.entries) {
      if (e.kind !== 'pair') continue
      if (e.key === '' || e.key.includes('\n')) throw new EmitError('cannot write an INI section with an empty or multi-line name')
      if (e.value.kind !== 'map') throw new EmitError(`error encoding INI section ${JSON.stringify(e.key)}: section values must be maps`)
      const section: IniSection = { name: e.key, comment: '', keys: [] }
      const byName = new Map<string, IniSection['keys'][number]>()
      let last: IniSection['keys'][number] | undefined
      e.value.entries.forEach((item, i) => {
        if (item.kind === 'comment') {
          if (i === 0) section.comment = item.text
          else if (last) last.comment = item.text
          return
        }
        if (item.value.kind !== 'scalar') throw new EmitError(`cannot use complex value in INI file; offending key ${item.key}`)
        if (item.key === '') throw new EmitError('cannot write an empty INI key name')
        const value = valToString(item.value)
        last = byName.get(item.key)
        if (last) last.value = value
        else {
          last = { name: item.key, value, comment: '' }
          byName.set(item.key, last)
          section.keys.push(last)
        }
      })
      sections.push(section)
    }
  }
  return sections
}

function emitSections(sections: IniSection[]): string {
  let out = ''
  sections.forEach((sec, i) => {
    if (sec.comment.length > 0) out += commentLines(sec.comment, false)
    if (i > 0 || sec.name.toUpperCase() !== DEFAULT_SECTION) out += `[${sec.name}]\n`
    else if (sec.keys.length === 0) return
    const keys = sec.keys.map((k) => quoteKey(k.name))
    const width = Math.max(0, ...keys.map((k) => Buffer.byteLength(k)))
    sec.keys.forEach((k, j) => {
      if (k.comment.length > 0) out += commentLines(k.comment, true)
      const qk = keys[j]!
      out += qk + ' '.repeat(width - Buffer.byteLength(qk)) + ' = ' + quoteValue(k.value, k.name) + '\n'
    })
    if (i < sections.length - 1) out += '\n'
  })
  return out
}

function emitIni(tree: Tree): Uint8Array {
  return utf8(emitSections(toSections(tree)))
}

// Same shape in every format on purpose: the Format interface (src/core/format.ts), filled in per format.
/** The INI format (metadata as a flattened `[sops]` section). */
export const iniFormat: Format = {
  name: 'ini',
  metadataLayout: 'section',
  parse: parseIni,
  emit: emitIni,
  emitValue(node: Node): Uint8Array {
    if (node.kind === 'scalar' && node.type === 'str') return scalarOutBytes(node)
    if (node.kind === 'map') return emitIni({ branches: [node as Mapping] })
    return utf8(jsonNode(node, null))
  },
}
