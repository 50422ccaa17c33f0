/**
 * A TOML writer for trees that have no (usable) source text: new values such as
 * the appended `[sops]` table, and the full re-emit used when a tree no longer
 * matches its source. The output re-parses to the same tree (entry order and
 * comment placement included, see read.ts), which the MAC relies on:
 * tables are only used for a trailing run of map-valued entries; earlier maps
 * are written as inline tables. The top-level `sops` table (metadata, whose key
 * order carries no meaning) is written with its plain values first, then its
 * sub-tables and `[[sops.age]]`-style arrays of tables.
 */
import type { Comment, Mapping, Node, Pair, Sequence } from '../../core/tree.js'
import { EmitError } from '../../errors.js'
import { tomlStyleOf, wasInline } from './style.js'
import { commentText, keyPathText, keyText, scalarText } from './values.js'

interface Group {
  comments: Comment[]
  pair: Pair
}

/** True when a value can be written as `[table]` / `[[array of tables]]` without changing the tree. */
export function tableAble(n: Node): boolean {
  if (n.kind === 'map') return !wasInline(n)
  if (n.kind !== 'seq' || tomlStyleOf(n)?.kind === 'array' || n.items.length === 0) return false
  const first = n.items[0]!
  const last = n.items[n.items.length - 1]!
  return first.kind === 'map' && last.kind === 'map' && n.items.every((i) => i.kind === 'comment' || i.kind === 'map')
}

function split(entries: ReadonlyArray<Pair | Comment>): { groups: Group[]; trailing: Comment[] } {
  const groups: Group[] = []
  const keys = new Set<string>()
  let pending: Comment[] = []
  for (const e of entries) {
    if (e.kind === 'comment') pending.push(e)
    else {
      if (keys.has(e.key)) throw new EmitError(`TOML cannot hold the duplicate key "${e.key}"`)
      keys.add(e.key)
      groups.push({ comments: pending, pair: e })
      pending = []
    }
  }
  return { groups, trailing: pending }
}

class Writer {
  readonly lines: string[] = []
  constructor(private readonly eol: string) {}

  private blank(): void {
    if (this.lines.length > 0 && this.lines[this.lines.length - 1] !== '') this.lines.push('')
  }

  /** Writes own-line comments; returns the ` #text` suffix for the next line (last inline comment). */
  private leading(comments: readonly Comment[], indent: string, out: string[] = this.lines): string {
    let inline: Comment | undefined
    for (const c of comments) {
      if (inline) out.push(indent + commentText(inline.text))
      inline = undefined
      if (c.inline) inline = c
      else out.push(indent + commentText(c.text))
    }
    return inline ? ' ' + commentText(inline.text) : ''
  }

  /** Writes the key/values, then the sub-tables, of a table at `path`. */
  body(entries: ReadonlyArray<Pair | Comment>, path: readonly string[], pretty: boolean): void {
    const { groups, trailing } = split(entries)
    let kv: Group[]
    let tables: Group[]
    if (pretty) {
      kv = groups.filter((g) => !tableAble(g.pair.value))
      tables = groups.filter((g) => tableAble(g.pair.value))
    } else {
      let k = groups.length
      if (trailing.length === 0) while (k > 0 && tableAble(groups[k - 1]!.pair.value)) k--
      kv = groups.slice(0, k)
      tables = groups.slice(k)
    }
    for (const g of kv) {
      const suffix = this.leading(g.comments, '')
      this.lines.push(`${keyText(g.pair.key)} = ${this.inline(g.pair.value, g.pair.key, '')}${suffix}`)
    }
    const tail = this.leading(trailing, '')
    if (tail) this.lines.push(tail.slice(1))
    for (const g of tables) this.table(g, path, pretty || (path.length === 0 && g.pair.key === 'sops'))
  }

  private table(g: Group, path: readonly string[], pretty: boolean): void {
    const full = [...path, g.pair.key]
    const v = g.pair.value
    if (v.kind === 'map') {
      const onlyTables = v.entries.length > 0 && v.entries.every((e) => e.kind === 'pair' && tableAble(e.value))
      if (g.comments.length > 0 || !onlyTables || path.length === 0) {
        this.blank()
        const suffix = this.leading(g.comments, '')
        this.lines.push(`[${keyPathText(full)}]${suffix}`)
      }
      this.body(v.entries, full, pretty)
      return
    }
    let comments = g.comments
    for (const item of (v as Sequence).items) {
      if (item.kind === 'comment') {
        comments = [...comments, item]
        continue
      }
      this.blank()
      const suffix = this.leading(comments, '')
      this.lines.push(`[[${keyPathText(full)}]]${suffix}`)
      this.body((item as Mapping).entries, full, pretty)
      comments = []
    }
  }

  /** Inline TOML text of a value; collections holding comments span several lines. */
  inline(n: Node, key: string, indent: string): string {
    if (n.kind === 'scalar') {
      const st = tomlStyleOf(n)
      return st?.type === 'str' && n.type === 'str' ? scalarText(n, key, this.eol, st.form, st.lead) : scalarText(n, key, this.eol)
    }
    const list: ReadonlyArray<Node | Pair | Comment> = n.kind === 'map' ? n.entries : n.items
    const [open, close] = n.kind === 'map' ? ['{', '}'] : ['[', ']']
    const text = (e: Node | Pair, ind: string): string =>
      e.kind === 'pair' ? `${keyText(e.key)} = ${this.inline(e.value, e.key, ind)}` : this.inline(e, key, ind)
    if (n.kind === 'map') split(n.entries)
    if (!list.some((e) => e.kind === 'comment')) {
      const parts = list.map((e) => text(e as Node | Pair, indent))
      if (parts.length === 0) return open + close
      return n.kind === 'map' ? `{ ${parts.join(', ')} }` : `[${parts.join(', ')}]`
    }
    const inner = indent + '  '
    const out: string[] = [open]
    let pending: Comment[] = []
    for (const e of list) {
      if (e.kind === 'comment') pending.push(e)
      else {
        const suffix = this.leading(pending, inner, out)
        out.push(`${inner}${text(e, inner)},${suffix}`)
        pending = []
      }
    }
    const tail = this.leading(pending, inner, out)
    if (tail) out.push(inner + tail.slice(1))
    out.push(indent + close)
    return out.join(this.eol)
  }
}

/** A whole TOML document for a root map; ends with `eol` unless empty. */
export function writeDocument(root: Mapping, eol: string): string {
  const w = new Writer(eol)
  w.body(root.entries, [], false)
  return w.lines.length ? w.lines.join(eol) + eol : ''
}

/**
 * Top-level pairs to add after existing content, without a final newline.
 * `allTables` tells whether the text holds only tables (safe after other tables).
 */
export function writeTopLevelPairs(pairs: readonly Pair[], eol: string): { text: string; allTables: boolean } {
  const w = new Writer(eol)
  w.body(pairs, [], false)
  return { text: w.lines.join(eol), allTables: pairs.every((p) => tableAble(p.value)) }
}

/** Inline TOML text of a single value (arrays, inline tables, scalars). */
export function writeInlineValue(n: Node, key: string, eol: string): string {
  return new Writer(eol).inline(n, key, '')
}
