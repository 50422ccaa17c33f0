/** `history` output: an aligned table (default), Markdown (for a PR or an audit) or JSON (stable schema, README). Names from files are escaped. */
import type { HistoryReport } from '../../ops/report/history.js'
import { markdownCell, printable, safeJson } from '../printable.js'

/** The JSON schema name; bump the number when a field changes meaning or goes away. */
export const HISTORY_SCHEMA = 'sops-like/history@1'

const day = (iso: string | null): string => (iso ? iso.slice(0, 10) : 'uncommitted')
const short = (c: string | null): string => (c ? c.slice(0, 10) : '-')
const keyCell = (k: HistoryReport['files'][number]['dataKey']): string => (k.since ? `${day(k.since)} (${k.rotated ? 'rotated' : 'created'})` : 'uncommitted')

interface Row { file: string; key: string; changed: string; age: string; commit: string; dataKey: string; stale: string }

function rows(r: HistoryReport, cell: (s: string) => string): Row[] {
  return r.files.flatMap((f) => f.values.map((v) => ({
    file: cell(f.path), key: cell(v.key), changed: day(v.changed), age: String(v.ageDays), commit: short(v.commit), dataKey: keyCell(f.dataKey), stale: v.stale ? 'STALE' : '',
  })))
}

const HEAD: Row = { file: 'FILE', key: 'KEY', changed: 'VALUE CHANGED', age: 'AGE (DAYS)', commit: 'COMMIT', dataKey: 'DATA KEY SINCE', stale: '' }

function table(r: HistoryReport): string {
  const all = [HEAD, ...rows(r, printable)]
  const cols = (Object.keys(HEAD) as Array<keyof Row>).filter((c) => c !== 'stale' || r.olderThanDays !== undefined)
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(...all.map((x) => [...x[c]].length))])) as Record<keyof Row, number>
  const lines = all.map((x) => cols.map((c) => (c === 'age' ? x[c].padStart(width[c]) : x[c].padEnd(width[c]))).join('  ').trimEnd())
  const files = r.files.filter((f) => !f.values.length).map((f) => `${printable(f.path)}: no encrypted values (data key since ${keyCell(f.dataKey)})`)
  return [...lines, ...files].join('\n') + '\n'
}

function markdown(r: HistoryReport): string {
  const out = [
    `Secret ages as of ${r.generated.slice(0, 10)}${r.olderThanDays !== undefined ? `, stale after ${r.olderThanDays} days: ${r.stale.length} stale` : ''}`,
    '',
    `| File | Key | Value last changed | Age (days) | Commit | Data key since |${r.olderThanDays !== undefined ? ' Stale |' : ''}`,
    `| --- | --- | --- | ---: | --- | --- |${r.olderThanDays !== undefined ? ' --- |' : ''}`,
  ]
  for (const x of rows(r, markdownCell)) out.push(`| ${x.file} | ${x.key} | ${x.changed} | ${x.age} | ${x.commit} | ${x.dataKey} |${r.olderThanDays !== undefined ? ` ${x.stale ? '**stale**' : ''} |` : ''}`)
  return out.join('\n') + '\n'
}

export function renderHistory(r: HistoryReport, format: 'table' | 'json' | 'markdown'): string {
  if (format === 'json') return safeJson({ schema: HISTORY_SCHEMA, ...r }) + '\n'
  return format === 'markdown' ? markdown(r) : table(r)
}
