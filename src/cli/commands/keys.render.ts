/** Rendering for the key commands: progress on stderr (a bar on a TTY, one line per file otherwise), summaries, reports. */
import type { BatchResult, FileReport, KeysEvent } from '../../ops/keys/batch.js'
import type { OffboardHistoryReport, OffboardDates } from '../../ops/report/history-offboard.js'
import { printable } from '../printable.js'
import type { FileStatus } from '../../ops/keys/status.js'
import { formatDiff, showRef, type NameOf, type RecipientRef } from '../../ops/keys/recipient-diff.js'
import type { CliIo } from '../io.js'

const LABEL: Record<FileReport['outcome'], string> = {
  rotated: 'rotated',
  updated: 'updated (data key kept)',
  unchanged: 'already up to date',
  skipped: 'left untouched',
  planned: 'checked',
}

function label(r: FileReport): string {
  if (r.outcome === 'planned') return r.rotated ? 'would rotate' : 'would update (data key kept)'
  return LABEL[r.outcome]
}

/** An onEvent handler that draws progress on stderr. Call `done()` before printing anything else. */
export function progress(io: CliIo, quiet = false): { onEvent: (e: KeysEvent) => void; done: () => void } {
  const tty = !!io.stderr.isTTY && !quiet
  let drawn = false
  const clear = () => { if (drawn) { io.stderr.write('\r\x1b[K'); drawn = false } }
  const line = (s: string) => { clear(); io.stderr.write(`sops-like: ${s}\n`) }
  const bar = (doneCount: number, total: number, path: string): void => {
    if (!tty || total <= 1) return
    const width = 20
    const fill = Math.round((doneCount / total) * width)
    clear()
    io.stderr.write(`[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${doneCount}/${total} ${path}`)
    drawn = true
  }
  const onEvent = (e: KeysEvent): void => {
    switch (e.type) {
      case 'start':
        bar(0, e.total, '')
        break
      case 'file-done':
        for (const w of e.report.warnings) line(`warning: ${w}`)
        if (!quiet && (!tty || e.total === 1)) line(`${e.report.path}: ${label(e.report)}`)
        bar(e.index + 1, e.total, e.report.path)
        break
      case 'file-failed':
        line(`${e.failure.path}: ${e.failure.message}`)
        bar(e.index + 1, e.total, e.failure.path)
        break
      case 'note':
        line(e.path ? `${e.path}: ${e.message}` : e.message)
        break
      default:
        break
    }
  }
  return { onEvent, done: clear }
}

/**
 * The closing line of a multi-file run (skipped for a single file: its own line says it all).
 * `upToDate`: files found up to date before the run (updatekeys), counted so the sum matches the files listed.
 */
export function summary(io: CliIo, verb: string, r: BatchResult, extraFailures = 0, quiet = false, upToDate = 0): void {
  const total = r.reports.length + r.failures.length + extraFailures + upToDate
  if (total <= 1) return
  if (quiet && !extraFailures && !r.failures.length) return
  const counts = new Map<string, number>()
  if (upToDate) counts.set(LABEL.unchanged, upToDate)
  for (const rep of r.reports) counts.set(label(rep), (counts.get(label(rep)) ?? 0) + 1)
  const parts = [...counts].map(([k, n]) => `${n} ${k}`)
  const failed = r.failures.length + extraFailures
  if (failed) parts.push(`${failed} failed`)
  io.stderr.write(`sops-like: ${verb}: ${total} file${total === 1 ? '' : 's'}${parts.length ? ': ' + parts.join(', ') : ''}\n`)
}

/** `age age1…, pgp ABC…`; with several key groups `group 0: …; group 1: …`. */
const recipientList = (groups: readonly RecipientRef[][]): string =>
  groups.length > 1 ? groups.map((g, i) => `group ${i}: ${g.map(showRef).join(', ')}`).join('; ') : (groups[0] ?? []).map(showRef).join(', ')

/** One stdout line per file the data key was (or would be) wrapped for: who holds it now. */
export function renderRecipients(io: CliIo, reports: readonly FileReport[]): void {
  const lines = reports.filter((r) => r.recipients).map((r) => `${r.path}: ${r.outcome === 'planned' ? 'would be encrypted to' : 'encrypted to'} ${recipientList(r.recipients!)}`)
  if (lines.length) io.stdout.write(lines.join('\n') + '\n')
}

const WHY: Record<string, string> = { removed: 'no longer in the repository', undecryptable: 'a revision could not be decrypted to compare', 'data-key-kept': 'changed since, but under a data key they held' }

const day = (iso: string | null): string => (iso ? iso.slice(0, 10) : 'not committed')

/** The leaver's access row: each file, their key group, whether they could read it alone, when access ended. */
function accessRow(d: OffboardDates, them: string): string[] {
  const out = [`Access: every file a revision encrypted to ${them} (key group; when their access ended):`]
  if (!d.access.length) out.push('  (none)')
  const width = Math.max(0, ...d.access.map((a) => [...printable(a.path)].length))
  for (const a of d.access) {
    const group = `group ${a.groups.join(', ')}${a.threshold !== undefined ? ` (${a.threshold} of the groups needed${a.alone ? '' : ': cannot read alone'})` : ''}`
    const end = a.listedNow ? 'ends now (this offboarding)' : a.accessEnded ? `ended ${day(a.accessEnded)} (${a.accessEndedCommit!.slice(0, 10)})${a.dataKeyKnown ? ', but the data key was not rotated since: they can still decrypt it' : ''}` : 'ended (date unknown)'
    out.push(`  ${printable(a.path).padEnd(width)}  ${group}  ${end}`)
  }
  return out
}

export function renderOffboard(io: CliIo, r: OffboardHistoryReport): void {
  const out: string[] = []
  const who = r.name ? `${r.name} (${r.recipients.map(showRef).join(', ')})` : showRef(r.recipient)
  const notRotated = r.failures.filter((x) => r.exposed.some((e) => e.path === x.path))
  out.push(`${r.dryRun ? 'Plan (dry run, nothing written)' : notRotated.length ? 'Offboarded (INCOMPLETE: see "Not rotated" below)' : 'Offboarded'}: ${who}`)
  out.push('')
  const them = r.name ?? who
  if (r.dates) out.push(...accessRow(r.dates, them), '')
  if (r.values) {
    // the history lists below say what to rotate; here only what this run changed
    out.push(`Files that listed ${them} (key names they could read):`)
    if (!r.exposed.length) out.push('  (none)')
    for (const f of r.exposed) out.push(`  ${printable(f.path)}: ${f.keys.map(printable).join(', ') || '(no encrypted values)'}`)
  } else {
    out.push(`Exposure: key names ${them} could read — rotate these credentials at their providers:`)
    if (!r.exposed.length) out.push('  (no encrypted file lists this recipient)')
    for (const f of r.exposed) {
      out.push(`  ${printable(f.path)}`)
      for (const k of f.keys) out.push(`    ${printable(k)}`)
      if (!f.keys.length) out.push('    (no encrypted values)')
    }
  }
  const kept = r.results.filter((x) => x.recipients)
  if (kept.length) {
    out.push('', `Recipients ${r.dryRun ? 'each file would be' : 'each file is'} encrypted to now:`)
    for (const x of kept) out.push(`  ${x.path}: ${recipientList(x.recipients!)}`)
  }
  if (notRotated.length) {
    out.push('', `Not rotated${r.dryRun ? ' (would fail)' : ''}: ${who} can still read these; fix the error and run offboard again:`)
    for (const x of notRotated) out.push(`  ${x.path}: ${x.message}`)
  }
  if (r.config) {
    const c = r.config
    const what = c.refused ? `NOT edited: ${c.refused}` : c.removed ? (c.written ? `removed from ${c.removed} place(s)` : `would be removed from ${c.removed} place(s)`) : 'does not list this recipient'
    out.push('', `Config ${c.path}: ${what}`)
  }
  if (r.history !== undefined) {
    out.push('')
    if (r.history === null) out.push('History: not a git repository, skipped')
    else if (!r.values) {
      out.push(`History: key names held by any past revision readable by ${them}:`)
      if (!r.history.length) out.push('  (none)')
      for (const f of r.history) out.push(`  ${printable(f.path)}: ${f.keys.map(printable).join(', ') || '(no encrypted values)'}`)
    } else {
      const dated = new Map((r.dates?.values ?? []).map((v) => [`${v.path}\0${v.key}`, v]))
      const byPath = (vs: Array<{ path: string; key: string; why?: string }>, why: boolean): string[] => {
        const m = new Map<string, string[]>()
        for (const v of vs) {
          const notes: string[] = []
          if (why && v.why && v.why !== 'unchanged') notes.push(WHY[v.why] ?? v.why)
          const d = dated.get(`${v.path}\0${v.key}`)
          if (d) notes.push(`last changed ${day(d.changed)}${v.why === 'undecryptable' && !d.readByThem ? ', after their access ended as far as the ciphertexts tell' : ''}`)
          m.set(v.path, [...(m.get(v.path) ?? []), `${printable(v.key)}${notes.length ? ` (${notes.join('; ')})` : ''}`])
        }
        return vs.length ? [...m].map(([p, ks]) => `  ${printable(p)}: ${ks.join(', ')}`) : ['  (none)']
      }
      out.push(`Must be rotated at the provider: values ${them} could read in any revision that the files still hold (or that left them, or we cannot tell):`)
      out.push(...byPath(r.values.mustRotate, true))
      out.push('', `Changed since access ended: every value ${them} could read has been replaced since:`)
      out.push(...byPath(r.values.changedSince, false))
      out.push('', `Branches and tags whose tip still encrypts to ${them}:`)
      if (!r.stillEncrypting?.length) out.push('  (none)')
      for (const t of r.stillEncrypting ?? []) {
        const note = t.current ? ' (checked out: the commit below fixes it)' : t.kind === 'tag' ? ' (a tag keeps the old data keys: rotate its values at the provider)' : ''
        out.push(`  ${t.kind} ${t.ref}${note}: ${t.paths.join(', ')}`)
      }
    }
  }
  for (const w of r.warnings) out.push('', `Warning: ${w}`)
  if (r.nextSteps.length) out.push('', r.dryRun ? 'Next: run it for real:' : 'Next: commit and push:', ...r.nextSteps.map((c) => `  ${c}`))
  io.stdout.write(out.join('\n') + '\n')
}

export function renderStatus(io: CliIo, s: FileStatus): void {
  const out: string[] = []
  if (!s.encrypted) {
    io.stdout.write(`${s.path}: not encrypted (${s.format})\n`)
    return
  }
  out.push(`${s.path}: encrypted (${s.format}), lastmodified ${s.lastmodified}, version ${s.version}`)
  const groups = s.keyGroups ?? []
  for (const [i, g] of groups.entries()) {
    if (groups.length > 1) out.push(`  key group ${i}${i === 0 && s.shamirThreshold ? ` (shamir threshold ${s.shamirThreshold})` : ''}:`)
    const pad = groups.length > 1 ? '    ' : '  '
    for (const r of g) out.push(`${pad}${r.name ? `${r.name}: ` : ''}${showRef(r)}${r.createdAt ? ` (created ${r.createdAt})` : ''}`)
  }
  if (s.matchesRule === true) out.push('  creation rule: matches')
  else if (s.matchesRule === false) {
    out.push('  creation rule: differs (run updatekeys):')
    for (const l of s.ruleDiff ?? []) out.push(`    ${l}`)
  } else out.push(`  creation rule: none (${s.rule ?? 'no rule'})`)
  if (s.selectorsMatchRule === false) out.push(`  selectors: differ from the creation rule (${(s.selectorDiff ?? []).join(', ')}): a changed selector can make the next set or edit write a secret in clear`)
  io.stdout.write(out.join('\n') + '\n')
}

/** The plan lines updatekeys shows before asking. */
export function renderPlan(io: CliIo, p: { path: string; action: string; diff: Parameters<typeof formatDiff>[0] }, nameOf?: NameOf): void {
  const lines = [`${p.path}:`, ...formatDiff(p.diff, nameOf).map((l) => `  ${l}`)]
  lines.push(p.action === 'rotate' ? '  (a recipient loses access: the data key will be rotated and every value re-encrypted)' : '  (only additions: the data key is kept and wrapped for the new recipients)')
  io.stdout.write(lines.join('\n') + '\n')
}
