/** `run` and `example`: map flags to src/ops (run, exec-file, example) and render. */
import { terminalText } from '../printable.js'
import { resolve } from 'node:path'
import { ConflictingOptionsError, UsageError } from '../../errors.js'
import { defined } from '../../defined.js'
import type { CliIo } from '../io.js'

export interface RunFlags {
  file?: string[]
  override?: boolean
  /** dotenvx's word for --override */
  overload?: boolean
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

export async function runRun(command: string[], flags: RunFlags, io: CliIo): Promise<number> {
  const f: RunFlags = flags.overload ? { ...flags, override: true } : flags
  const onNote = (line: string): void => { io.stderr.write(`sops-like: ${terminalText(line)}\n`) }
  const common = {
    cwd: io.cwd,
    env: io.env,
    onNote,
    ...defined({
      allowPlaintext: f.allowPlaintext,
      keepKeyEnv: f.keepKeyEnv,
      pristine: f.pristine,
      inputType: f.inputType,
      pgpKeyFile: f.pgpKeyFile,
      decryptionOrder: f.decryptionOrder,
    }),
  }
  if (!command.length && !f.dryRun) throw new UsageError('no command given', { hint: 'put it after --, e.g. sops-like run -- npm start' })
  if (f.asFile !== undefined) {
    const clash = [f.file?.length ? '-f' : '', f.upper ? '--upper' : '', f.override ? (flags.overload ? '--overload' : '--override') : '', f.config ? '--config' : ''].filter(Boolean)
    if (clash.length) throw new ConflictingOptionsError(`--as-file cannot be combined with ${clash.join(', ')}`)
    const { decryptForFile, fileNameFor, runWithFile } = await import('../../ops/run/exec-file.js')
    const opts = { ...common, ...defined({ filename: f.filename, noFifo: f.fifo === false ? true : undefined }) }
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
    ...defined({ files: f.file, configPath: f.config, override: f.override, upper: f.upper }),
  }
  if (f.dryRun) {
    const { planRun } = await import('../../ops/run/run.js')
    const plan = await planRun(opts)
    const { displayPath } = await import('../../ops/run/load-env.js')
    const from = plan.source === 'given' ? '-f' : plan.source === 'config' ? 'run.files' : 'found by name'
    onNote(`files (${from}, later wins): ${plan.files.map((p) => displayPath(p, resolve(io.cwd))).join(', ')}`)
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
  const out = await exampleFile(file, { cwd: io.cwd, ...defined({ inputType: f.inputType }) })
  if (f.output) {
    const { writeFileAtomic } = await import('../../io/atomic-write.js')
    writeFileAtomic(resolve(io.cwd, f.output), out)
  } else io.stdout.write(out)
  return 0
}

export interface GetFlags {
  file?: string[]
  all?: boolean
  format?: 'json' | 'shell' | 'eval'
  upper?: boolean
  allowPlaintext?: boolean
  config?: string
  pgpKeyFile?: string
  inputType?: string
}

export async function runGet(key: string | undefined, file: string | undefined, f: GetFlags, io: CliIo): Promise<number> {
  // `get --all FILE`: the one argument is the file
  if (f.all && key !== undefined && file === undefined) [key, file] = [undefined, key]
  if (f.all && key !== undefined) throw new UsageError('give either a key or --all, not both')
  if (f.format && key !== undefined) throw new UsageError('--format is for --all (a single value is printed as it is)')
  const files = [...(file !== undefined ? [file] : []), ...(f.file ?? [])]
  const opts = {
    cwd: io.cwd,
    env: io.env,
    // no file named: undefined, so run's list applies (run.files, else the conventional names)
    ...defined({
      files: files.length ? files : undefined,
      configPath: f.config,
      upper: f.upper,
      allowPlaintext: f.allowPlaintext,
      inputType: f.inputType,
      pgpKeyFile: f.pgpKeyFile,
    }),
  }
  const { formatVars, getAll, getValue } = await import('../../ops/run/get.js')
  if (key === undefined) {
    io.stdout.write(formatVars(await getAll(opts.files, opts), f.format ?? 'json'))
    return 0
  }
  const value = await getValue(key, opts.files, opts)
  io.stdout.write(`${value}\n`)
  return 0
}

export interface ImportDotenvxFlags {
  keys?: string
  output?: string
  age?: string[]
  config?: string
}

export async function runImportDotenvx(file: string, f: ImportDotenvxFlags, io: CliIo): Promise<number> {
  const { importDotenvx } = await import('../../ops/crypt/import-dotenvx.js')
  const { list } = await import('../io.js')
  const r = await importDotenvx(file, {
    cwd: io.cwd,
    env: io.env,
    ...defined({ keysFile: f.keys, output: f.output, age: list(f.age), configPath: f.config }),
  })
  const { displayPath } = await import('../../ops/run/load-env.js')
  const out = displayPath(r.output, resolve(io.cwd))
  io.stderr.write(`sops-like: wrote ${out}: ${r.names.length} variable${r.names.length === 1 ? '' : 's'} (${r.decrypted} decrypted from dotenvx); check it with sops-like run --dry-run -f ${out}, then delete ${file} and its key from .env.keys\n`)
  return 0
}
