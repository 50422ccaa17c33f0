/**
 * Printing the `access` reports: an aligned terminal table (colour on a TTY without NO_COLOR),
 * Markdown for a PR comment or an audit, and JSON. Every string that comes from a file —
 * key strings, paths, value names, even config names — is untrusted: on a terminal control
 * characters (ESC sequences, CR, LF), bidi overrides and invisible format characters become
 * visible `\x1b`-style escapes; in Markdown they are escaped the same way and then put in code
 * spans (no HTML, links, emphasis or @mentions), with `|` and backticks neutralised so a cell
 * cannot end early. Every shown string is cut to a bounded length.
 */
import type { AccessDiffReport, AccessReport, AccessWhoReport } from '../../ops/report/access.js'
import type { AccessRecipient, FileAccess } from '../../ops/report/access-model.js'
import type { AccessChange } from '../../ops/report/access-diff.js'

export type AccessFormat = 'table' | 'json' | 'markdown'

const INVISIBLE = (c: number): boolean =>
  c === 0xad || c === 0x61c || c === 0x180e || (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
  (c >= 0x2060 && c <= 0x206f) || c === 0xfeff || (c >= 0xfff9 && c <= 0xfffb)

/** A string from a file made safe to print: escapes for controls and invisible/bidi characters, `\` doubled, cut to `max` characters. */
export function printable(s: string, max = 120): string {
  const out: string[] = []
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0)) out.push(`\\x${c.toString(16).padStart(2, '0')}`)
    else if (INVISIBLE(c)) out.push(`\\u{${c.toString(16)}}`)
    else if (ch === '\\') out.push('\\\\')
    else out.push(ch)
    if (out.length > max) break
  }
  return out.length > max ? out.slice(0, max - 1).join('') + '…' : out.join('')
}

/** A string from a file as a Markdown code span (safe in a table cell when `cell`). */
export function mdCode(s: string, max = 120, cell = true): string {
  let t = printable(s, max).replace(/`/g, '\\x60')
  if (cell) t = t.replace(/\|/g, '\\|')
  return t ? `\`${t}\`` : '(empty)'
}

const width = (s: string): number => [...s].length
const pad = (s: string, n: number): string => s + ' '.repeat(Math.max(0, n - width(s)))

interface Paint { ok: (s: string) => string; part: (s: string) => string; dim: (s: string) => string; bold: (s: string) => string; bad: (s: string) => string }
const paint = (color: boolean): Paint => {
  const c = (code: string) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s)
  return { ok: c('32'), part: c('33'), dim: c('2'), bold: c('1'), bad: c('31') }
}

/** Columns of plain cells, aligned; `style(row, col, text)` colours a padded cell. */
function table(rows: string[][], style: (row: number, col: number, text: string) => string): string {
  const widths: number[] = []
  for (const r of rows) r.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, width(cell)) })
  return rows.map((r, ri) => r.map((cell, ci) => style(ri, ci, ci === r.length - 1 ? cell : pad(cell, widths[ci]!))).join('  ').replace(/\s+$/, '')).join('\n') + '\n'
}

const groupsText = (f: FileAccess): string => (f.groups.length <= 1 ? '1' : `${f.threshold} of ${f.groups.length}`)
const cell = (f: FileAccess, r: string): string => {
  if (f.readers.includes(r)) return '✓'
  const p = f.partial.find((x) => x.recipient === r)
  return p ? `${p.groups}/${f.threshold}` : '·'
}
const nobodyAlone = (f: FileAccess): boolean => f.readers.length === 0
const keysText = (r: AccessRecipient): string => r.keys.map((k) => `${k.kind} ${printable(k.id, 80)}`).join(', ')

const LEGEND = '✓ can decrypt alone   k/t holds keys in k of the t key groups needed (Shamir): cannot decrypt alone   · no key'

/** The matrix as an aligned table, then the recipients' keys and the files nobody can open alone. */
export function renderMatrixTable(r: AccessReport, color: boolean): string {
  const p = paint(color)
  if (!r.files.length) return 'No encrypted files found.\n'
  const values = r.files.some((f) => f.values)
  const head = ['FILE', ...(values ? ['VALUE'] : []), 'GROUPS', ...r.recipients.map((x) => printable(x.label, 24))]
  const rows: string[][] = [head]
  const files: FileAccess[] = []
  for (const f of r.files) {
    const cells = r.recipients.map((x) => cell(f, x.id))
    const rowsOf = values ? (f.values?.length ? f.values : ['(no encrypted values)']) : [null]
    for (const v of rowsOf) { rows.push([printable(f.path), ...(v === null ? [] : [printable(v, 60)]), groupsText(f), ...cells]); files.push(f) }
  }
  const first = values ? 3 : 2
  let out = table(rows, (ri, ci, text) => {
    if (ri === 0) return p.bold(text)
    if (ci < first) return text
    const t = text.trim()
    return t === '✓' ? p.ok(text) : t === '·' ? p.dim(text) : p.part(text)
  })
  out += `\n${p.dim(LEGEND)}\n\nRecipients:\n`
  out += table(r.recipients.map((x) => ['  ' + printable(x.label, 24), keysText(x)]), (_r, ci, t) => (ci === 0 ? p.bold(t) : t))
  const alone = r.files.filter(nobodyAlone)
  if (alone.length) {
    out += `\n${p.bad('Nobody can decrypt these alone')} (Shamir: keys from several groups are needed together):\n`
    for (const f of alone) out += `  ${printable(f.path)}  (${f.threshold} of ${f.groups.length} key groups)\n`
  }
  return out
}

/** The matrix as Markdown: one table, the recipients' keys, the files nobody can open alone. */
export function renderMatrixMarkdown(r: AccessReport): string {
  if (!r.files.length) return 'No encrypted files found.\n'
  const values = r.files.some((f) => f.values)
  const cols = ['File', ...(values ? ['Value'] : []), 'Key groups needed', ...r.recipients.map((x) => mdCode(x.label, 24))]
  let out = `| ${cols.join(' | ')} |\n| ${cols.map((_c, i) => (i < (values ? 3 : 2) ? '---' : ':-:')).join(' | ')} |\n`
  for (const f of r.files) {
    const cells = r.recipients.map((x) => cell(f, x.id).replace('·', ' '))
    for (const v of values ? (f.values?.length ? f.values : ['']) : [null]) {
      out += `| ${[mdCode(f.path), ...(v === null ? [] : [v ? mdCode(v, 60) : '']), groupsText(f), ...cells].join(' | ')} |\n`
    }
  }
  out += `\n✓ can decrypt alone · k/t holds keys in k of the t key groups needed (Shamir): cannot decrypt alone\n\n| Recipient | Keys |\n| --- | --- |\n`
  for (const x of r.recipients) out += `| ${mdCode(x.label, 24)} | ${x.keys.map((k) => `${k.kind} ${mdCode(k.id, 80)}`).join('<br>')} |\n`
  const alone = r.files.filter(nobodyAlone)
  if (alone.length) {
    out += '\n**Nobody can decrypt these alone** (Shamir: keys from several groups are needed together):\n\n'
    for (const f of alone) out += `- ${mdCode(f.path, 120, false)} (${f.threshold} of ${f.groups.length} key groups)\n`
  }
  return out
}

const whoName = (r: AccessWhoReport): string => (r.recipient.name ?? r.recipient.label)

/** What one person can read, as text. */
export function renderWhoTable(r: AccessWhoReport, color: boolean): string {
  const p = paint(color)
  const who = printable(whoName(r), 64)
  let out = `${p.bold(who)}${r.recipient.keys.length ? ` (${keysText(r.recipient)})` : ''}\n`
  const read = r.files.filter((f) => f.access === 'read')
  const share = r.files.filter((f) => f.access === 'share')
  if (!r.files.length) return out + `  can decrypt none of these files (${r.recipient.keys.length ? 'no file lists their keys' : 'no key known'})\n`
  if (read.length) {
    out += `can decrypt alone (${read.length} file${read.length === 1 ? '' : 's'}):\n`
    for (const f of read) {
      out += `  ${p.ok(printable(f.path))}\n`
      for (const v of f.values ?? []) out += `    ${printable(v, 80)}\n`
    }
  }
  if (share.length) {
    out += `holds a share only, cannot decrypt alone (${share.length} file${share.length === 1 ? '' : 's'}):\n`
    for (const f of share) {
      out += `  ${p.part(printable(f.path))}  keys in ${f.groups} of the ${f.threshold} key groups needed\n`
      for (const v of f.values ?? []) out += `    ${printable(v, 80)}\n`
    }
  }
  return out
}

/** What one person can read, as Markdown. */
export function renderWhoMarkdown(r: AccessWhoReport): string {
  let out = `**${mdCode(whoName(r), 64, false)}**${r.recipient.keys.length ? ` (${r.recipient.keys.map((k) => `${k.kind} ${mdCode(k.id, 80, false)}`).join(', ')})` : ''}\n\n`
  if (!r.files.length) return out + 'Can decrypt none of these files.\n'
  out += '| File | Access | Values |\n| --- | --- | --- |\n'
  for (const f of r.files) {
    const access = f.access === 'read' ? '✓ can decrypt alone' : `share only: ${f.groups} of ${f.threshold} key groups`
    out += `| ${mdCode(f.path)} | ${access} | ${(f.values ?? []).map((v) => mdCode(v, 60)).join(' ')} |\n`
  }
  return out
}

const labels = (r: AccessDiffReport) => {
  const by = new Map(r.recipients.map((x) => [x.id, x.label]))
  return (id: string) => by.get(id) ?? id
}
const shapeText = (c: AccessChange): string | undefined => {
  const b = c.before
  const a = c.after
  if (!b || !a || (b.groups === a.groups && b.threshold === a.threshold)) return undefined
  return `key groups ${b.groups} → ${a.groups}, needed ${b.threshold} → ${a.threshold}`
}

/** Access changes since a revision, as text. */
export function renderDiffTable(r: AccessDiffReport, color: boolean): string {
  const p = paint(color)
  const name = labels(r)
  const list = (ids: string[]) => ids.map((id) => printable(name(id), 40)).join(', ')
  let out = `Access changes since ${printable(r.base, 80)} (${r.baseCommit.slice(0, 12)}):\n`
  if (!r.changes.length) return out + `  none (${r.unchanged} file${r.unchanged === 1 ? '' : 's'} unchanged)\n`
  for (const c of r.changes) {
    out += `${p.bold(pad(c.status, 8))} ${printable(c.path)}\n`
    if (c.readersAdded.length) out += `  ${p.bad('+ can decrypt:')} ${list(c.readersAdded)}\n`
    if (c.readersRemoved.length) out += `  ${p.ok(c.status === 'removed' ? '- could decrypt:' : '- can no longer decrypt:')} ${list(c.readersRemoved)}\n`
    if (c.partialAdded.length) out += `  ${p.part('+ holds a share:')} ${list(c.partialAdded)}\n`
    if (c.partialRemoved.length) out += `  ${p.part('- no longer holds a share:')} ${list(c.partialRemoved)}\n`
    const shape = shapeText(c)
    if (shape) out += `  ${shape}\n`
    if (c.status === 'changed') {
      for (const k of c.keysAdded) out += `  ${p.dim(`+ key in group ${k.group}: ${k.kind} ${printable(k.id, 80)} (${printable(name(k.recipient), 40)})`)}\n`
      for (const k of c.keysRemoved) out += `  ${p.dim(`- key in group ${k.group}: ${k.kind} ${printable(k.id, 80)} (${printable(name(k.recipient), 40)})`)}\n`
    }
    if (c.values?.length) out += `  values: ${c.values.map((v) => printable(v, 60)).join(', ')}\n`
  }
  return out + `${r.unchanged} file${r.unchanged === 1 ? '' : 's'} unchanged.\n`
}

/** Access changes since a revision, as Markdown (a PR comment). */
export function renderDiffMarkdown(r: AccessDiffReport): string {
  const name = labels(r)
  const list = (ids: string[]) => ids.map((id) => mdCode(name(id), 40)).join(' ')
  let out = `### Access changes since ${mdCode(r.base, 80, false)} (${r.baseCommit.slice(0, 12)})\n\n`
  if (!r.changes.length) return out + `No access changes (${r.unchanged} file${r.unchanged === 1 ? '' : 's'} unchanged).\n`
  out += '| File | Change | Can now decrypt | Can no longer decrypt | Shares | Key groups |\n| --- | --- | --- | --- | --- | --- |\n'
  for (const c of r.changes) {
    const shares = [...c.partialAdded.map((id) => `+${mdCode(name(id), 40)}`), ...c.partialRemoved.map((id) => `−${mdCode(name(id), 40)}`)].join(' ')
    const shape = shapeText(c) ?? (c.after ?? c.before)!.threshold + ' of ' + (c.after ?? c.before)!.groups
    out += `| ${mdCode(c.path)} | ${c.status} | ${list(c.readersAdded)} | ${list(c.readersRemoved)} | ${shares} | ${shape} |\n`
  }
  const keyed = r.changes.filter((c) => c.status === 'changed' && (c.keysAdded.length || c.keysRemoved.length))
  if (keyed.length) {
    out += '\n<details><summary>Keys added and removed</summary>\n\n| File | Group | Change | Key | Recipient |\n| --- | --- | --- | --- | --- |\n'
    for (const c of keyed) {
      for (const [sign, ks] of [['+', c.keysAdded], ['−', c.keysRemoved]] as const) {
        for (const k of ks) out += `| ${mdCode(c.path)} | ${k.group} | ${sign} | ${k.kind} ${mdCode(k.id, 80)} | ${mdCode(name(k.recipient), 40)} |\n`
      }
    }
    out += '\n</details>\n'
  }
  return out + `\n${r.unchanged} file${r.unchanged === 1 ? '' : 's'} unchanged.\n`
}
