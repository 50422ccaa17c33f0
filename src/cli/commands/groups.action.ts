/** Actions of `groups add` / `groups delete`: flags → src/ops/keys/groups.ts; the file to stdout unless -i, warnings to stderr. */
import { resolve } from 'node:path'
import { defined } from '../../defined.js'
import { UsageError } from '../../errors.js'
import type { GroupsOptions, GroupsResult } from '../../ops/keys/groups.js'
import { indentFlag, list, pathFlag, type CliIo } from '../io.js'

interface GroupsFlags {
  file?: string
  inPlace?: boolean
  shamirSecretSharingThreshold?: string
  indent?: string
  inputType?: string
  pgpKeyFile?: string[]
  config?: string
  keepUnlisted?: boolean
}

export interface GroupsAddFlags extends GroupsFlags {
  age?: string[]
  pgp?: string[]
  kms?: string[]
  hcVaultTransit?: string[]
  gcpKms?: string[]
  azureKv?: string[]
  hckms?: string[]
}

/** A whole number flag (sops' IntFlag). */
function intFlag(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined
  if (!/^-?\d+$/.test(v.trim())) throw new UsageError(`${flag} takes a whole number (got a non-number)`)
  return Number(v)
}

async function options(f: GroupsFlags, io: CliIo): Promise<GroupsOptions & { file: string }> {
  if (!f.file) throw new UsageError('give the file with --file FILE (-f FILE)')
  const threshold = intFlag(f.shamirSecretSharingThreshold, '--shamir-secret-sharing-threshold')
  const indent = indentFlag(f.indent)
  return {
    file: f.file,
    ...defined({
      threshold: threshold || undefined, // sops: 0 (or none) keeps the file's threshold
      indent,
      inputType: f.inputType,
      configPath: pathFlag(io, f.config),
      pgpKeyFiles: f.pgpKeyFile?.map((x) => resolve(io.cwd, x)),
      keepUnlisted: f.keepUnlisted,
    }),
    // written back in place, or else the bytes go to stdout
    ...(f.inPlace ? { inPlace: true } : { emit: (b: Uint8Array) => { io.stdout.write(b) } }),
    env: io.env,
    cwd: io.cwd,
  }
}

const warn = (io: CliIo, r: GroupsResult): number => {
  for (const w of r.warnings) io.stderr.write(`sops-like: ${w}\n`)
  return 0
}

export async function runGroupsAdd(extra: string[], f: GroupsAddFlags, io: CliIo): Promise<number> {
  if (extra.length) throw new UsageError('error: no positional arguments allowed (give the file with --file FILE)')
  for (const [flag, v] of [['--gcp-kms', f.gcpKms], ['--azure-kv', f.azureKv], ['--hckms', f.hckms]] as const) {
    if (v?.length) throw new UsageError(`sops-like cannot encrypt to ${flag.slice(2)} keys: use --age, --pgp, --kms or --hc-vault-transit`)
  }
  const { addKeyGroup } = await import('../../ops/keys/groups.js')
  const { file, ...opts } = await options(f, io)
  const group = defined({ age: list(f.age), pgp: list(f.pgp), kms: list(f.kms), hcVaultTransit: list(f.hcVaultTransit) })
  return warn(io, await addKeyGroup(file, group, opts))
}

export async function runGroupsDelete(args: string[], f: GroupsFlags, io: CliIo): Promise<number> {
  if (args.length !== 1) throw new UsageError('error: exactly one positional argument (index) required')
  if (!/^\d+$/.test(args[0]!)) throw new UsageError('failed to parse [index] argument: give the key group number, from 0 (sops-like status FILE lists them)')
  const { deleteKeyGroup } = await import('../../ops/keys/groups.js')
  const { file, ...opts } = await options(f, io)
  return warn(io, await deleteKeyGroup(file, Number(args[0]), opts))
}
