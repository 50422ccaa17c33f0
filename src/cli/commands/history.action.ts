/** Action of `history` / `age-report`: flags → valueHistory, the report → stdout, stale values → exit 40. */
import { defined } from '../../defined.js'
import { CheckFailedError } from '../../errors.js'
import { pathFlag, type CliIo } from '../io.js'

export interface HistoryFlags { all?: boolean; olderThan?: string; format?: 'table' | 'json' | 'markdown'; config?: string }

export async function runHistory(files: string[], f: HistoryFlags, io: CliIo): Promise<number> {
  const { valueHistory } = await import('../../ops/report/history.js')
  const { renderHistory } = await import('./history.render.js')
  const report = await valueHistory(files, {
    cwd: io.cwd,
    env: io.env,
    ...defined({ all: f.all, olderThan: f.olderThan, configPath: pathFlag(io, f.config) }),
  })
  io.stdout.write(renderHistory(report, f.format ?? 'table'))
  if (report.stale.length) {
    const e = new CheckFailedError(`${report.stale.length} value${report.stale.length === 1 ? '' : 's'} not changed for more than ${f.olderThan}: rotate them at their provider and set the new values`)
    io.stderr.write(`sops-like: ${e.message}\n`)
    return e.exitCode
  }
  return 0
}
