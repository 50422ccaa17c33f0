/** `edit`, `set`, `unset`: map flags to src/ops/edit/edit.ts and src/ops/edit/set.ts; the reopen prompt for `edit`. */
import { terminalText } from '../printable.js'
import { resolve } from 'node:path'
import { defined } from '../../defined.js'
import { ConflictingOptionsError, UsageError, type SopsLikeError } from '../../errors.js'
import { readInput } from '../../io/read.js'
import { promptLine } from '../../io/terminal.js'
import { indentFlag, list, pathFlag, type CliIo } from '../io.js'

export interface EditFlags {
  inputType?: string
  outputType?: string
  age?: string[]
  pgp?: string[]
  ageRecipientsFile?: string[]
  config?: string
  shamirSecretSharingThreshold?: string
  pgpKeyFile?: string[]
  decryptionOrder?: string
  valueStdin?: boolean
  valueFile?: string
  json?: boolean
  idempotent?: boolean
  keepUnlisted?: boolean
  /** false with --no-rotate (commander's negatable option) */
  rotate?: boolean
  allowUnencrypted?: boolean
  force?: boolean
  indent?: string
}

const common = (f: EditFlags, io: CliIo) => ({
  ...defined({
    inputType: f.inputType,
    pgpKeyFile: pathFlag(io, f.pgpKeyFile?.[0]),
    configPath: f.config,
    decryptionOrder: f.decryptionOrder,
    keepUnlisted: f.keepUnlisted,
    noRotate: f.rotate === false || undefined,
    allowUnencrypted: f.allowUnencrypted,
    force: f.force,
    indent: indentFlag(f.indent),
  }),
  env: io.env,
  cwd: io.cwd,
  onNote: (line: string) => { io.stderr.write(`sops-like: ${terminalText(line)}\n`) },
})

/** Asks on the terminal whether to reopen the editor; false without a terminal. */
async function askReopen(): Promise<boolean> {
  const answer = await promptLine('Press Enter to reopen the editor, or type q and Enter to give up (nothing is written): ')
  return answer !== undefined && !/^\s*[qn]/i.test(answer)
}

export async function runEdit(file: string, f: EditFlags, io: CliIo): Promise<number> {
  if (f.outputType) {
    const { formatForPath } = await import('../../formats/index.js')
    const own = f.inputType ?? formatForPath(file)
    if (f.outputType !== own) throw new UsageError(`edit writes ${file} back as ${own}: to convert, sops-like decrypt --output-type ${f.outputType} ${file} and encrypt the result`)
  }
  const { editFile } = await import('../../ops/edit/edit.js')
  await editFile(file, {
    ...common(f, io),
    ...defined({
      age: list(f.age),
      pgp: list(f.pgp),
      ageRecipientsFiles: f.ageRecipientsFile?.map((p) => resolve(io.cwd, p)),
      shamirThreshold: f.shamirSecretSharingThreshold ? Number(f.shamirSecretSharingThreshold) : undefined,
      // an invalid edit reopens the editor only when someone is there to answer
      onInvalid: io.stderr.isTTY
        ? async (e: SopsLikeError) => {
            io.stderr.write(`sops-like: ${e.message}\n`)
            return askReopen()
          }
        : undefined,
    }),
  })
  return 0
}

export async function runSet(file: string, path: string, value: string | undefined, f: EditFlags, io: CliIo): Promise<number> {
  const given = [value !== undefined, !!f.valueStdin, f.valueFile !== undefined].filter(Boolean).length
  if (given > 1) throw new ConflictingOptionsError('give the value once: as an argument, with --value-stdin or with --value-file')
  if (given === 0) throw new UsageError('missing value: give it as an argument, with --value-stdin or with --value-file')
  const text = value ?? readInput(f.valueStdin ? '-' : resolve(io.cwd, f.valueFile!))
  const source = value !== undefined ? 'argument' : f.valueStdin ? 'stdin' : 'file'
  const { setFromInput } = await import('../../ops/edit/set.js')
  await setFromInput(file, path, { text, source, ...defined({ json: f.json }) }, { ...common(f, io), ...defined({ idempotent: f.idempotent }) })
  return 0
}

export async function runUnset(file: string, path: string, f: EditFlags, io: CliIo): Promise<number> {
  const { unsetValue } = await import('../../ops/edit/set.js')
  await unsetValue(file, path, { ...common(f, io), ...defined({ idempotent: f.idempotent }) })
  return 0
}
