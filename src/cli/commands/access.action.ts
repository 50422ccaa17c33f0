/** The action of `access`: flags → the report (src/ops/report/access.ts), printed as a table, Markdown or JSON. */
import { defined } from '../../defined.js'
import { ConflictingOptionsError } from '../../errors.js'
import { useColor, type CliIo } from '../io.js'
import type { AccessFormat } from './access.render.js'

export interface AccessFlags {
  all?: boolean
  values?: boolean
  who?: string
  diff?: string
  format?: AccessFormat
  json?: boolean
  config?: string
}

export async function runAccess(files: string[], f: AccessFlags, io: CliIo): Promise<number> {
  if (f.all && files.length) throw new ConflictingOptionsError('access: name files or pass --all, not both')
  if (f.who !== undefined && f.diff !== undefined) throw new ConflictingOptionsError('access: --who and --diff are separate reports: pass one')
  const format: AccessFormat = f.json ? 'json' : f.format ?? 'table'
  const { accessDiff, accessMatrix, accessWho } = await import('../../ops/report/access.js')
  const render = await import('./access.render.js')
  const opts = { cwd: io.cwd, env: io.env, values: !!f.values, ...defined({ configPath: f.config }) }
  const color = useColor(io, 'stdout')
  let text: string
  let failures
  if (f.diff !== undefined) {
    const r = await accessDiff(f.diff, files, opts)
    failures = r.failures
    text = format === 'json' ? JSON.stringify(r, null, 2) + '\n' : format === 'markdown' ? render.renderDiffMarkdown(r) : render.renderDiffTable(r, color)
  } else if (f.who !== undefined) {
    const r = await accessWho(f.who, files, opts)
    failures = r.failures
    text = format === 'json' ? JSON.stringify(r, null, 2) + '\n' : format === 'markdown' ? render.renderWhoMarkdown(r) : render.renderWhoTable(r, color)
  } else {
    const r = await accessMatrix(files, opts)
    failures = r.failures
    text = format === 'json' ? JSON.stringify(r, null, 2) + '\n' : format === 'markdown' ? render.renderMatrixMarkdown(r) : render.renderMatrixTable(r, color)
  }
  io.stdout.write(text)
  for (const x of failures) io.stderr.write(`sops-like: ${render.printable(x.path)}: ${render.printable(x.message, 300)}\n`)
  return failures[0]?.exitCode ?? 0
}
