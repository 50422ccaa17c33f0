/** Actions of `rotate`, `updatekeys`, `offboard` and `status`: flags → ops, events → stderr, reports → stdout. */
import { resolve } from 'node:path'
import { defined } from '../../defined.js'
import { ConflictingOptionsError, UsageError } from '../../errors.js'
import { describeError, type BatchResult } from '../../ops/keys/batch.js'
import { listRepoFiles } from '../../ops/keys/repo-files.js'
import type { RecipientEdits } from '../../ops/keys/rotate.js'
import { indentFlag, list, pathFlag, type CliIo } from '../io.js'
import { safeJson, terminalText } from '../printable.js'
import { progress, renderOffboard, renderPlan, renderRecipients, renderStatus, summary } from './keys.render.js'

interface CommonFlags { all?: boolean; config?: string; dryRun?: boolean; quiet?: boolean; decryptionOrder?: string }

export interface RotateFlags extends CommonFlags, RecipientEdits {
  pgpKeyFile?: string[]
  keepUnlisted?: boolean
  inPlace?: boolean
  output?: string
  inputType?: string
  outputType?: string
  indent?: string
}

const configOpt = (f: CommonFlags, io: CliIo) => defined({ configPath: pathFlag(io, f.config) })
/** `--pgp-key-file`, each resolved against the working folder. */
const pgpKeyFiles = (f: { pgpKeyFile?: string[] }, io: CliIo) => f.pgpKeyFile?.map((x) => resolve(io.cwd, x))

/** The files to work on: the ones named, or with --all the repository's encrypted files covered by a rule. */
async function targets(files: string[], f: CommonFlags, io: CliIo): Promise<string[]> {
  if (f.all && files.length) throw new UsageError('name files or use --all, not both')
  if (!f.all) {
    if (!files.length) throw new UsageError('no files given: name the files, or use --all')
    return [...new Set(files)]
  }
  const found = await listRepoFiles(io.cwd, { env: io.env, ...configOpt(f, io) })
  if (!found.length) io.stderr.write('sops-like: no encrypted files covered by a creation rule were found\n')
  return found.map((x) => x.path)
}

const finish = (io: CliIo, verb: string, r: BatchResult, done: () => void, quiet?: boolean): number => {
  done()
  summary(io, verb, r, 0, quiet)
  return r.exitCode
}

export async function runRotate(files: string[], f: RotateFlags, io: CliIo): Promise<number> {
  const { rotateFiles } = await import('../../ops/keys/rotate.js')
  const edits: RecipientEdits = defined({
    addAge: list(f.addAge), rmAge: list(f.rmAge),
    addPgp: list(f.addPgp), rmPgp: list(f.rmPgp),
    addHcVaultTransit: list(f.addHcVaultTransit), rmHcVaultTransit: list(f.rmHcVaultTransit),
    addKms: list(f.addKms), rmKms: list(f.rmKms),
    addGcpKms: list(f.addGcpKms), rmGcpKms: list(f.rmGcpKms),
    addAzureKv: list(f.addAzureKv), rmAzureKv: list(f.rmAzureKv),
  })
  // invalid recipients fail before any file is listed or read
  const { parseEdits } = await import('../../ops/keys/rotate.js')
  await parseEdits(edits)
  if (f.output !== undefined || f.outputType !== undefined) return rotateElsewhere(files, edits, f, io)
  const paths = await targets(files, f, io)
  const p = progress(io, f.quiet)
  const r = await rotateFiles(paths, {
    ...edits,
    ...configOpt(f, io),
    ...defined({
      inputType: f.inputType,
      indent: indentFlag(f.indent),
      decryptionOrder: f.decryptionOrder,
      pgpKeyFiles: pgpKeyFiles(f, io),
      dryRun: f.dryRun,
      keepUnlisted: f.keepUnlisted,
    }),
    env: io.env,
    cwd: io.cwd,
    onEvent: p.onEvent,
    onNote: (line) => p.onEvent({ type: 'note', message: line }),
  })
  const code = finish(io, f.dryRun ? 'rotate (dry run)' : 'rotate', r, p.done, f.quiet)
  if (!f.quiet) renderRecipients(io, r.reports)
  return code
}

/** sops' form: one file rotated to --output (`-`: stdout), the input left as it is; failures throw (sops' exit codes). */
async function rotateElsewhere(files: string[], edits: RecipientEdits, f: RotateFlags, io: CliIo): Promise<number> {
  if (f.inPlace && f.output !== undefined) throw new ConflictingOptionsError('use either --in-place or --output, not both')
  if (f.all || files.length !== 1) throw new UsageError('--output and --output-type take one file; without them rotate writes each file in place')
  const { rotateFile } = await import('../../ops/keys/rotate.js')
  const report = await rotateFile(files[0]!, {
    ...edits,
    ...configOpt(f, io),
    ...defined({
      decryptionOrder: f.decryptionOrder,
      pgpKeyFiles: pgpKeyFiles(f, io),
      dryRun: f.dryRun,
      keepUnlisted: f.keepUnlisted,
      inputType: f.inputType,
      outputType: f.outputType,
      indent: indentFlag(f.indent),
    }),
    // `-o -`: the bytes go to stdout through emit, and no output path is passed
    ...(f.output === '-' ? { emit: (b: Uint8Array) => { io.stdout.write(b) } } : defined({ output: f.output })),
    env: io.env,
    cwd: io.cwd,
    onNote: (line) => { io.stderr.write(`sops-like: ${terminalText(line)}\n`) },
  })
  for (const w of report.warnings) io.stderr.write(`sops-like: ${w}\n`)
  return 0
}

export interface UpdateKeysFlags extends CommonFlags { yes?: boolean; inputType?: string }

async function confirm(io: CliIo, question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline')
  io.stderr.write(question)
  const rl = createInterface({ input: process.stdin, terminal: false })
  try {
    const answer = await new Promise<string>((res) => {
      rl.once('line', res)
      rl.once('close', () => res(''))
    })
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

export async function runUpdateKeys(files: string[], f: UpdateKeysFlags, io: CliIo): Promise<number> {
  const tty = !!io.stderr.isTTY && !!process.stdin.isTTY
  if (!f.dryRun && !f.yes && !tty) throw new UsageError('updatekeys asks for confirmation: pass -y (--yes) to proceed without a terminal, or --dry-run to only look')
  const { planAll, applyAll } = await import('../../ops/keys/updatekeys.js')
  const paths = await targets(files, f, io)
  const opts = { ...configOpt(f, io), ...defined({ decryptionOrder: f.decryptionOrder, inputType: f.inputType }), env: io.env, cwd: io.cwd, onNote: (line: string) => io.stderr.write(`sops-like: ${terminalText(line)}\n`) }
  const planned = await planAll(paths, opts)
  for (const x of planned.failures) io.stderr.write(`sops-like: ${x.path}: ${x.message}\n`)
  const changing = planned.plans.filter((p) => p.action !== 'up-to-date')
  const upToDate = planned.plans.length - changing.length
  if (!f.quiet) for (const p of planned.plans) if (p.action === 'up-to-date') io.stderr.write(`sops-like: ${p.path}: already up to date\n`)
  const { recipientNamesFor } = await import('../../config/rules.js')
  // -q: no diffs (the confirmation prompt, when there is one, still says how many files)
  if (!f.quiet) for (const p of changing) renderPlan(io, p, recipientNamesFor(p.abs, { ...defined({ explicit: configOpt(f, io).configPath }), env: io.env }))
  const firstFail = planned.failures[0]?.exitCode ?? 0
  if (!changing.length) return firstFail
  if (!f.dryRun && !f.yes && !(await confirm(io, `Apply these changes to ${changing.length} file${changing.length === 1 ? '' : 's'}? (y/n): `))) {
    io.stderr.write('sops-like: nothing written\n')
    return firstFail || 1
  }
  const p = progress(io, f.quiet)
  const r = await applyAll(changing, { ...opts, ...defined({ dryRun: f.dryRun }), onEvent: p.onEvent })
  p.done()
  summary(io, f.dryRun ? 'updatekeys (dry run)' : 'updatekeys', r, planned.failures.length, f.quiet, upToDate)
  return firstFail || r.exitCode
}

export interface OffboardFlags { json?: boolean; history?: boolean; config?: string; dryRun?: boolean; pgpKeyFile?: string[]; quiet?: boolean; keepUnlisted?: boolean; decryptionOrder?: string }

export async function runOffboard(recipient: string, f: OffboardFlags, io: CliIo): Promise<number> {
  // --history adds the access row and the dates (src/ops/report/history-offboard.ts) to offboard's report
  const { offboard } = await import('../../ops/keys/offboard.js')
  const { offboardWithHistory } = await import('../../ops/report/history-offboard.js')
  const p = progress(io, f.quiet)
  const report = await (f.history ? offboardWithHistory : offboard)(recipient, {
    ...configOpt(f, io),
    ...defined({
      decryptionOrder: f.decryptionOrder,
      dryRun: f.dryRun,
      history: f.history,
      keepUnlisted: f.keepUnlisted,
      pgpKeyFiles: pgpKeyFiles(f, io),
    }),
    env: io.env,
    cwd: io.cwd,
    onEvent: p.onEvent,
    onNote: (line) => p.onEvent({ type: 'note', message: line }),
  })
  p.done()
  summary(io, f.dryRun ? 'offboard (dry run)' : 'offboard', { reports: report.results, failures: report.failures.filter((x) => report.exposed.some((e) => e.path === x.path)), exitCode: report.exitCode }, 0, f.quiet)
  if (f.json) io.stdout.write(safeJson(report) + '\n')
  else renderOffboard(io, report)
  return report.exitCode
}

export async function runStatus(files: string[], f: { json?: boolean; config?: string }, io: CliIo): Promise<number> {
  const { fileStatus } = await import('../../ops/keys/status.js')
  const results: Array<Record<string, unknown>> = []
  let code = 0
  for (const file of files) {
    try {
      const s = await fileStatus(file, { ...configOpt(f, io), env: io.env, cwd: io.cwd })
      if (f.json) results.push({ ...s })
      else renderStatus(io, s)
    } catch (e) {
      const d = describeError(e)
      code ||= d.exitCode
      if (f.json) results.push({ path: file, error: d.message, code: d.code })
      io.stderr.write(`sops-like: ${file}: ${d.message}\n`)
    }
  }
  if (f.json) io.stdout.write(JSON.stringify(results, null, 2) + '\n')
  return code
}

/** sops' `filestatus`: one JSON line, `{"encrypted":true}` or `{"encrypted":false}`. */
export async function runFileStatus(file: string, f: { inputType?: string }, io: CliIo): Promise<number> {
  const { fileStatus } = await import('../../ops/keys/status.js')
  const s = await fileStatus(file, { cwd: io.cwd, env: io.env, ...defined({ inputType: f.inputType }) })
  io.stdout.write(JSON.stringify({ encrypted: s.encrypted }) + '\n')
  return 0
}
