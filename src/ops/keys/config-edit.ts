/**
 * Removes recipients from a config by editing the YAML TEXT in place (comments,
 * quoting and layout kept): in `age:`/`pgp:` and key-service fields (`kms`, `hc_vault`,
 * `hc_vault_transit_uri`, … from service-ids.ts) — comma-separated strings (plain, quoted,
 * folded), block lists (the item's lines go, also a `- arn: …` mapping) and flow lists, at
 * rule level, in `key_groups` and their `merge` lists; and from the `recipients:` names. A name all of
 * whose keys go is removed with its uses in the rules; a name that keeps some keys only
 * loses the others. The result is re-parsed and checked to differ from the original
 * only by those keys (after names are resolved); otherwise nothing is changed.
 */
import type { Node as YNode, Pair as YPair } from 'yaml'
import { isMap, isScalar, isSeq, yamlLib } from '../../formats/yaml/library.js'
import { parseConfig, type Config } from '../../config/schema.js'
import { ConfigError } from '../../errors.js'
import { looksLikeKey } from '../../config/names.js'
import { sameRecipient, showRef, type RecipientRef } from './recipient-diff.js'
import { kindOfConfigField, sameServiceKey, serviceKeysOfSpec, serviceKind, SERVICE_ID_KINDS } from './service-ids.js'

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
/** Whether one list entry (as written in the text, in an `age:`/`pgp:` list or a name's value) goes. */
type Match = (token: string) => boolean

function pieceSplices(text: string, start: number, end: number, match: Match): { splices: Range[]; matched: boolean; all: boolean } {
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
  const hit = tokens.map(([s, e]) => text.slice(s, e) !== '' && match(text.slice(s, e)))
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
function pairSplice(text: string, p: YPair<YNode, YNode>, parent?: YNode): Range {
  const k = p.key.range!
  if (parent && isMap(parent) && parent.flow) {
    // `{a: x, b: y}`: up to the next key, or from the previous value for the last pair
    const items = parent.items as Array<YPair<YNode, YNode>>
    const i = items.indexOf(p)
    const end = (p.value?.range ?? k)[1]
    if (i + 1 < items.length) return [k[0], items[i + 1]!.key.range![0]]
    if (i > 0) return [(items[i - 1]!.value?.range ?? items[i - 1]!.key.range!)[1], end]
    return [k[0], end]
  }
  const v = p.value?.range ?? k
  const ls = lineStart(text, k[0])
  const end = lineEnd(text, v[1])
  if (/^[ \t]*$/.test(text.slice(ls, k[0]))) return [ls, end]
  // first key of a list item (`- age: …`): keep the `- `, pull the next line's content up
  let next = end
  while (next < text.length && /[ \t\n\r]/.test(text[next]!)) next++
  return [k[0], next]
}

/** `itemId`: the identifier of a list item written as a mapping (`- arn: …`), for key-service lists. */
function valueSplices(text: string, p: YPair<YNode, YNode>, match: Match, out: Range[], parent?: YNode, itemId?: (m: Record<string, unknown>) => string | undefined): number {
  const v = p.value
  if (!v || !v.range) return 0
  if (isScalar(v) || (isSeq(v) && v.flow)) {
    const r = pieceSplices(text, v.range[0], v.range[1], match)
    if (!r.matched) return 0
    if (r.all) out.push(pairSplice(text, p, parent))
    else out.push(...r.splices)
    return 1
  }
  if (!isSeq(v)) return 0
  let hits = 0
  let kept = 0
  const local: Range[] = []
  for (const it of v.items as YNode[]) {
    if (isMap(it) && !it.flow && it.range && itemId) {
      // a key-service key written as a mapping: the whole item goes when its identifier matches
      const id = itemId(it.toJSON() as Record<string, unknown>)
      if (id === undefined || !match(id)) { kept++; continue }
      hits++
      const ls = lineStart(text, it.range[0])
      if (!/^[ \t]*-[ \t]+$/.test(text.slice(ls, it.range[0]))) throw new ConfigError('unexpected list layout')
      local.push([ls, lineEnd(text, it.range[1])])
      continue
    }
    if (!isScalar(it) || !it.range) { kept++; continue }
    const r = pieceSplices(text, it.range[0], it.range[1], match)
    if (!r.matched) { kept++; continue }
    hits++
    if (!r.all) { kept++; local.push(...r.splices); continue }
    const ls = lineStart(text, it.range[0])
    if (!/^[ \t]*-[ \t]+$/.test(text.slice(ls, it.range[0]))) throw new ConfigError('unexpected list layout')
    local.push([ls, lineEnd(text, it.range[1])])
  }
  if (!hits) return 0
  if (!kept) out.push(pairSplice(text, p, parent))
  else out.push(...local)
  return hits
}

function visitHolder(text: string, m: YNode, match: (token: string, kind: string) => boolean, out: Range[]): number {
  if (!isMap(m)) return 0
  let n = 0
  for (const p of m.items as Array<YPair<YNode, YNode>>) {
    const key = isScalar(p.key) ? String(p.key.value) : ''
    const service = kindOfConfigField(key)
    if (key === 'age' || key === 'pgp') n += valueSplices(text, p, (t) => match(t, key), out, m)
    else if (service) n += valueSplices(text, p, (t) => match(t, service.type), out, m, service.idOfItem)
    else if ((key === 'key_groups' || key === 'merge') && isSeq(p.value)) for (const g of p.value.items as YNode[]) n += visitHolder(text, g, match, out)
  }
  return n
}

/** Whether the key `id` of kind `type` (age, pgp, or a key service as a config spells it) is one of `who`. */
const isGone = (who: readonly RecipientRef[], type: string, id: string): boolean => {
  const service = serviceKind(type)
  return who.some((w) => (service ? w.type === type && sameServiceKey(service, id, w.id) : sameRecipient({ type, id }, w)))
}

const strip = (c: Config, who: readonly RecipientRef[]) =>
  c.creationRules.map((r) => ({ ...r, keyGroups: r.keyGroups.map((g) => {
    const out: Record<string, unknown> = { ...g, age: g.age.filter((x) => !isGone(who, 'age', x)), pgp: g.pgp.filter((x) => !isGone(who, 'pgp', x)) }
    for (const k of SERVICE_ID_KINDS) {
      const list = k.specField ? out[k.specField] : undefined
      if (Array.isArray(list)) out[k.specField!] = list.filter((v) => !isGone(who, k.type, k.idOfSpec!(v)))
    }
    return out as unknown as typeof g
  }) }))

const listsWho = (c: Config, who: readonly RecipientRef[]): boolean =>
  c.creationRules.some((r) => r.keyGroups.some((g) => g.age.some((x) => isGone(who, 'age', x)) || g.pgp.some((x) => isGone(who, 'pgp', x)) ||
    serviceKeysOfSpec(g).some((k) => isGone(who, k.type, k.id))))

/** A key group with no keys of any kind left. */
const groupEmpty = (g: Config['creationRules'][number]['keyGroups'][number]): boolean => !g.age.length && !g.pgp.length && !serviceKeysOfSpec(g).length && !g.unsupported.length

/** The `recipients:` names once `who` is gone: names left without keys are dropped. */
function stripNames(c: Config, who: readonly RecipientRef[]): { names: Record<string, { age: string[]; pgp: string[] }>; dropped: Set<string>; trimmed: Set<string> } {
  const names: Record<string, { age: string[]; pgp: string[] }> = {}
  const dropped = new Set<string>()
  const trimmed = new Set<string>()
  for (const [name, keys] of Object.entries(c.recipients)) {
    const left = { age: keys.age.filter((x) => !isGone(who, 'age', x)), pgp: keys.pgp.filter((x) => !isGone(who, 'pgp', x)) }
    if (!left.age.length && !left.pgp.length) { dropped.add(name); continue }
    if (left.age.length + left.pgp.length < keys.age.length + keys.pgp.length) trimmed.add(name)
    names[name] = left
  }
  return { names, dropped, trimmed }
}

/** A key as written in a name's value: its kind from its shape. */
const keyKind = (token: string): 'age' | 'pgp' => (/^(age1|ssh-|ecdsa-|sk-)/.test(token) ? 'age' : 'pgp')

/** Removes `who` from every creation rule of a config's text (see module doc). Throws ConfigError on an invalid config. */
export function removeRecipientFromConfig(text: string, who: RecipientRef, path: string): ConfigEditResult {
  return removeRecipientsFromConfig(text, [who], path, showRef(who))
}

/**
 * Removes every key in `who` (one person's keys, e.g. all the keys of a name) from the
 * config's rules and names (see module doc); `label` names them in messages.
 */
export function removeRecipientsFromConfig(text: string, who: readonly RecipientRef[], path: string, label: string): ConfigEditResult {
  const before = parseConfig(text, path, '.')
  const names = stripNames(before, who)
  if (!listsWho(before, who) && !names.dropped.size && !names.trimmed.size) return { text, removed: 0 }
  const handEdit = `remove ${label} from ${path} by hand`
  const wanted = strip(before, who)
  for (const [i, r] of wanted.entries()) {
    if (!listsWho({ ...before, creationRules: [before.creationRules[i]!] }, who)) continue
    if (r.keyGroups.some(groupEmpty) && !r.ageRecipientsFiles.length) {
      return { text, removed: 0, refused: `creation_rules[${r.index}] would have no recipients left: ${handEdit}` }
    }
  }
  const doc = yamlLib().parseDocument(text, { prettyErrors: false })
  if (doc.errors.length) throw new ConfigError(`config ${path} is not valid YAML`)
  const splices: Range[] = []
  let removed = 0
  try {
    const rules = isMap(doc.contents) ? doc.contents.get('creation_rules', true) : undefined
    const match = (t: string, kind: string): boolean => (kind !== 'age' && kind !== 'pgp' ? isGone(who, kind, t) : looksLikeKey(t) ? isGone(who, kind, t) : names.dropped.has(t))
    if (isSeq(rules)) for (const r of rules.items as YNode[]) removed += visitHolder(text, r, match, splices)
    const named = isMap(doc.contents) ? doc.contents.get('recipients', true) : undefined
    if (isMap(named)) {
      for (const p of named.items as Array<YPair<YNode, YNode>>) {
        const name = isScalar(p.key) ? String(p.key.value) : ''
        if (names.dropped.has(name)) { splices.push(pairSplice(text, p, named)); removed++ }
        else if (names.trimmed.has(name)) removed += valueSplices(text, p, (t) => isGone(who, keyKind(t), t), splices, named)
      }
    }
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
  if (JSON.stringify(after.creationRules) !== JSON.stringify(wanted) || listsWho(after, who) || JSON.stringify(after.run) !== JSON.stringify(before.run) ||
    JSON.stringify(after.recipients) !== JSON.stringify(names.names)) {
    return { text, removed: 0, refused: `the edit could not be verified: ${handEdit}` }
  }
  return { text: out, removed }
}
