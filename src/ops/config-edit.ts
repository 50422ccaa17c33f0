/**
 * Removes one recipient from a config's creation rules by editing the YAML TEXT in
 * place (comments, quoting and layout kept): in `age:`/`pgp:` comma-separated strings
 * (plain, quoted, folded), block lists (the item's line goes) and flow lists, at rule
 * level, in `key_groups` and their `merge` lists. The result is re-parsed and checked
 * to differ from the original only by that recipient; otherwise nothing is changed.
 */
import type { Node as YNode, Pair as YPair } from 'yaml'
import { isMap, isScalar, isSeq, yamlLib } from '../../formats/yaml-lib.js'
import { parseConfig, type Config } from '../config/schema.js'
import { ConfigError } from '../errors.js'
import { sameRecipient, showRef, type RecipientRef } from './recipient-diff.js'

export interface ConfigEditResult {
  /** The new text (the original when nothing was or could be changed). */
  text: string
  /** How many occurrences were removed. */
  removed: number
  /** Why the config was left as it is, when it lists the recipient but could not be edited. */
  refused?: string
}

type Range = [number, number]
const SKIP = new Set([' ', '\t', '\n', '\r', '"', "'", '[', ']'])

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1
}
function lineEnd(text: string, pos: number): number {
  if (pos > 0 && text[pos - 1] === '\n') return pos
  const i = text.indexOf('\n', pos)
  return i < 0 ? text.length : i + 1
}

/** Splices removing `who` from a comma-separated source span; `all` when nothing would be left. */
function pieceSplices(text: string, start: number, end: number, who: RecipientRef): { splices: Range[]; matched: boolean; all: boolean } {
  let from = start
  if (text[from] === '|' || text[from] === '>') from = lineEnd(text, from) // block scalar header
  const tokens: Range[] = []
  let ps = from
  for (let i = from; i <= end; i++) {
    if (i < end && text[i] !== ',') continue
    let ts = ps
    let te = i
    while (ts < te && SKIP.has(text[ts]!)) ts++
    while (te > ts && SKIP.has(text[te - 1]!)) te--
    tokens.push([ts, te])
    ps = i + 1
  }
  const hit = tokens.map(([s, e]) => text.slice(s, e) !== '' && sameRecipient({ type: who.type, id: text.slice(s, e) }, who))
  const matched = hit.some(Boolean)
  const all = tokens.every(([s, e], i) => hit[i] || s === e)
  const splices: Range[] = []
  if (!matched || all) return { splices, matched, all }
  for (let i = 0; i < tokens.length; i++) {
    if (!hit[i]) continue
    let j = i
    while (j + 1 < tokens.length && hit[j + 1]) j++
    if (j + 1 < tokens.length) splices.push([tokens[i]![0], tokens[j + 1]![0]])
    else splices.push([tokens[i - 1]![1], tokens[j]![1]])
    i = j
  }
  return { splices, matched, all }
}

/** The splice removing a whole `key: value` pair. */
function pairSplice(text: string, p: YPair<YNode, YNode>): Range {
  const k = p.key.range!
  const v = p.value?.range ?? k
  const ls = lineStart(text, k[0])
  const end = lineEnd(text, v[1])
  if (/^[ \t]*$/.test(text.slice(ls, k[0]))) return [ls, end]
  // first key of a list item (`- age: …`): keep the `- `, pull the next line's content up
  let next = end
  while (next < text.length && /[ \t\n\r]/.test(text[next]!)) next++
  return [k[0], next]
}

function valueSplices(text: string, p: YPair<YNode, YNode>, who: RecipientRef, out: Range[]): number {
  const v = p.value
  if (!v || !v.range) return 0
  if (isScalar(v) || (isSeq(v) && v.flow)) {
    const r = pieceSplices(text, v.range[0], v.range[1], who)
    if (!r.matched) return 0
    if (r.all) out.push(pairSplice(text, p))
    else out.push(...r.splices)
    return 1
  }
  if (!isSeq(v)) return 0
  let hits = 0
  let kept = 0
  const local: Range[] = []
  for (const it of v.items as YNode[]) {
    if (!isScalar(it) || !it.range) { kept++; continue }
    const r = pieceSplices(text, it.range[0], it.range[1], who)
    if (!r.matched) { kept++; continue }
    hits++
    if (!r.all) { kept++; local.push(...r.splices); continue }
    const ls = lineStart(text, it.range[0])
    if (!/^[ \t]*-[ \t]+$/.test(text.slice(ls, it.range[0]))) throw new ConfigError('unexpected list layout')
    local.push([ls, lineEnd(text, it.range[1])])
  }
  if (!hits) return 0
  if (!kept) out.push(pairSplice(text, p))
  else out.push(...local)
  return hits
}

function visitHolder(text: string, m: YNode, who: RecipientRef, out: Range[]): number {
  if (!isMap(m)) return 0
  let n = 0
  for (const p of m.items as Array<YPair<YNode, YNode>>) {
    const key = isScalar(p.key) ? String(p.key.value) : ''
    if (key === who.type) n += valueSplices(text, p, who, out)
    else if ((key === 'key_groups' || key === 'merge') && isSeq(p.value)) for (const g of p.value.items as YNode[]) n += visitHolder(text, g, who, out)
  }
  return n
}

const strip = (c: Config, who: RecipientRef) =>
  c.creationRules.map((r) => ({ ...r, keyGroups: r.keyGroups.map((g) => ({ ...g, age: g.age.filter((x) => !sameRecipient({ type: 'age', id: x }, who)), pgp: g.pgp.filter((x) => !sameRecipient({ type: 'pgp', id: x }, who)) })) }))

const listsWho = (c: Config, who: RecipientRef): boolean =>
  c.creationRules.some((r) => r.keyGroups.some((g) => (who.type === 'age' ? g.age : who.type === 'pgp' ? g.pgp : []).some((x) => sameRecipient({ type: who.type, id: x }, who))))

/** Removes `who` from every creation rule of a config's text (see module doc). Throws ConfigError on an invalid config. */
export function removeRecipientFromConfig(text: string, who: RecipientRef, path: string): ConfigEditResult {
  const before = parseConfig(text, path, '.')
  if (!listsWho(before, who)) return { text, removed: 0 }
  const handEdit = `remove ${showRef(who)} from ${path} by hand`
  const wanted = strip(before, who)
  for (const [i, r] of wanted.entries()) {
    if (!listsWho({ ...before, creationRules: [before.creationRules[i]!] }, who)) continue
    if (r.keyGroups.some((g) => !g.age.length && !g.pgp.length && !g.unsupported.length) && !r.ageRecipientsFiles.length) {
      return { text, removed: 0, refused: `creation_rules[${r.index}] would have no recipients left: ${handEdit}` }
    }
  }
  const doc = yamlLib().parseDocument(text, { prettyErrors: false })
  if (doc.errors.length) throw new ConfigError(`config ${path} is not valid YAML`)
  const splices: Range[] = []
  let removed = 0
  try {
    const rules = isMap(doc.contents) ? doc.contents.get('creation_rules', true) : undefined
    if (isSeq(rules)) for (const r of rules.items as YNode[]) removed += visitHolder(text, r, who, splices)
  } catch {
    return { text, removed: 0, refused: `its layout is unusual: ${handEdit}` }
  }
  splices.sort((a, b) => b[0] - a[0])
  let out = text
  for (const [s, e] of splices) out = out.slice(0, s) + out.slice(e)
  let after: Config
  try {
    after = parseConfig(out, path, '.')
  } catch {
    return { text, removed: 0, refused: `the edit did not parse: ${handEdit}` }
  }
  if (JSON.stringify(after.creationRules) !== JSON.stringify(wanted) || listsWho(after, who) || JSON.stringify(after.run) !== JSON.stringify(before.run)) {
    return { text, removed: 0, refused: `the edit could not be verified: ${handEdit}` }
  }
  return { text: out, removed }
}
