/** `run` and `example`: map flags to src/ops (run, exec-file, example) and render. */
import { resolve } from 'node:path'
import { ConflictingOptionsError, UsageError } from '../../errors.js'
import type { CliIo } from '../io.js'

export interface RunFlags {
  file?: string[]
  override?: boolean
  pristine?: boolean
  upper?: boolean
  dryRun?: boolean
  keepKeyEnv?: boolean
  allowPlaintext?: boolean
  asFile?: string
  filename?: string
  fifo?: boolean
  config?: string
  pgpKeyFile?: string
  inputType?: string
  decryptionOrder?: string
}

export async function runRun(command: string[], f: RunFlags, io: CliIo): Promise<number> {
  const onNote = (line: string): void => { io.stderr.write(`sops-like: ${line}\n`) }
  const common = {
    cwd: io.cwd,
    env: io.env,
    onNote,
    ...(f.allowPlaintext ? { allowPlaintext: true } : {}),
    ...(f.keepKeyEnv ? { keepKeyEnv: true } : {}),
    ...(f.pristine ? { pristine: true } : {}),
    ...(f.inputType ? { inputType: f.inputType } : {}),
    ...(f.pgpKeyFile ? { pgpKeyFile: f.pgpKeyFile } : {}),
    ...(f.decryptionOrder !== undefined ? { decryptionOrder: f.decryptionOrder } : {}),
  }
  if (!command.length && !f.dryRun) throw new UsageError('no command given', { hint: 'put it after --, e.g. sops-like run -- npm start' })
  if (f.asFile !== undefined) {
    const clash = [f.file?.length ? '-f' : '', f.upper ? '--upper' : '', f.override ? '--override' : '', f.config ? '--config' : ''].filter(Boolean)
    if (clash.length) throw new ConflictingOptionsError(`--as-file cannot be combined with ${clash.join(', ')}`)
    const { decryptForFile, fileNameFor, runWithFile } = await import('../../ops/run/exec-file.js')
    const opts = { ...common, ...(f.filename !== undefined ? { filename: f.filename } : {}), ...(f.fifo === false ? { noFifo: true } : {}) }
    if (f.dryRun) {
      const name = fileNameFor(f.filename, f.asFile)
      await decryptForFile(f.asFile, opts)
      io.stdout.write(`{} → ${name} (${f.fifo === false ? 'private temporary file' : 'FIFO'}) from ${f.asFile}\n`)
      return 0
    }
    return runWithFile(f.asFile, command, opts)
  }
  const opts = {
    ...common,
    ...(f.file?.length ? { files: f.file } : {}),
    ...(f.config ? { configPath: f.config } : {}),
    ...(f.override ? { override: true } : {}),
    ...(f.upper ? { upper: true } : {}),
  }
  if (f.dryRun) {
    const { planRun } = await import('../../ops/run/run.js')
    const plan = await planRun(opts)
    for (const v of plan.vars) io.stdout.write(`${v.name}\t${v.file}${v.shadowed ? '\t(already set: the environment\'s value is used)' : ''}\n`)
    if (!plan.vars.length) onNote('the files define no variables')
    return 0
  }
  const { runWithEnv } = await import('../../ops/run/run.js')
  return runWithEnv(command, opts)
}

export interface ExampleFlags {
  output?: string
  inputType?: string
}

export async function runExample(file: string, f: ExampleFlags, io: CliIo): Promise<number> {
  const { exampleFile } = await import('../../ops/run/example.js')
  const out = await exampleFile(file, { cwd: io.cwd, ...(f.inputType ? { inputType: f.inputType } : {}) })
  if (f.output) {
    const { writeFileAtomic } = await import('../../io/atomic-write.js')
    writeFileAtomic(resolve(io.cwd, f.output), out)
  } else io.stdout.write(out)
  return 0
}
