/** `encrypt` and `decrypt`: map flags to the library's file operations. */
import { terminalText } from '../printable.js'
import { encryptFile, decryptFile } from '../../ops/crypt/files.js'
import type { Selectors } from '../../core/selection.js'
import { indentFlag, list, type CliIo } from '../io.js'

export interface CryptFlags {
  inPlace?: boolean
  output?: string
  inputType?: string
  outputType?: string
  filenameOverride?: string
  config?: string
  age?: string[]
  pgp?: string[]
  ageRecipientsFile?: string[]
  pgpKeyFile?: string[]
  decryptionOrder?: string
  hcVaultTransit?: string[]
  kms?: string[]
  encryptionContext?: string
  awsProfile?: string
  gcpKms?: string[]
  azureKv?: string[]
  extract?: string
  ignoreMac?: boolean
  unencryptedSuffix?: string
  encryptedSuffix?: string
  unencryptedRegex?: string
  encryptedRegex?: string
  unencryptedCommentRegex?: string
  encryptedCommentRegex?: string
  macOnlyEncrypted?: boolean
  shamirSecretSharingThreshold?: string
  indent?: string
}

const common = (f: CryptFlags, io: CliIo) => ({
  ...(f.inPlace ? { inPlace: true } : {}),
  ...(f.output ? { output: f.output } : {}),
  ...(f.inputType ? { inputType: f.inputType } : {}),
  ...(f.outputType ? { outputType: f.outputType } : {}),
  ...(f.filenameOverride ? { filenameOverride: f.filenameOverride } : {}),
  ...(f.indent !== undefined ? { indent: indentFlag(f.indent)! } : {}),
  env: io.env,
  cwd: io.cwd,
})

function selectors(f: CryptFlags): Selectors {
  const s: Selectors = {}
  if (f.unencryptedSuffix) s.unencrypted_suffix = f.unencryptedSuffix
  if (f.encryptedSuffix) s.encrypted_suffix = f.encryptedSuffix
  if (f.unencryptedRegex) s.unencrypted_regex = f.unencryptedRegex
  if (f.encryptedRegex) s.encrypted_regex = f.encryptedRegex
  if (f.unencryptedCommentRegex) s.unencrypted_comment_regex = f.unencryptedCommentRegex
  if (f.encryptedCommentRegex) s.encrypted_comment_regex = f.encryptedCommentRegex
  if (f.macOnlyEncrypted) s.mac_only_encrypted = true
  return s
}

export async function runEncrypt(file: string, f: CryptFlags, io: CliIo): Promise<number> {
  const out = await encryptFile(file, {
    ...common(f, io),
    ...(f.config ? { configPath: f.config } : {}),
    ...(f.age ? { age: list(f.age)! } : {}),
    ...(f.pgp ? { pgp: list(f.pgp)! } : {}),
    ...(f.hcVaultTransit ? { hcVaultTransit: list(f.hcVaultTransit)! } : {}),
    ...(f.kms ? { kms: list(f.kms)! } : {}),
    ...(f.encryptionContext ? { encryptionContext: f.encryptionContext } : {}),
    ...(f.awsProfile ? { awsProfile: f.awsProfile } : {}),
    ...(f.gcpKms ? { gcpKms: list(f.gcpKms)! } : {}),
    ...(f.azureKv ? { azureKv: list(f.azureKv)! } : {}),
    ...(f.ageRecipientsFile ? { ageRecipientsFiles: f.ageRecipientsFile } : {}),
    ...(f.pgpKeyFile ? { pgpKeyFiles: f.pgpKeyFile } : {}),
    ...(f.shamirSecretSharingThreshold ? { shamirThreshold: Number(f.shamirSecretSharingThreshold) } : {}),
    selectors: selectors(f),
  })
  if (!f.inPlace && !f.output) io.stdout.write(out)
  return 0
}

export async function runDecrypt(file: string, f: CryptFlags, io: CliIo): Promise<number> {
  const out = await decryptFile(file, {
    ...common(f, io),
    ...(f.extract !== undefined ? { extract: f.extract } : {}),
    ...(f.ignoreMac ? { ignoreMac: true } : {}),
    ...(f.pgpKeyFile?.[0] ? { pgpKeyFile: f.pgpKeyFile[0] } : {}),
    ...(f.decryptionOrder !== undefined ? { decryptionOrder: f.decryptionOrder } : {}),
    onNote: (line) => { io.stderr.write(`sops-like: ${terminalText(line)}\n`) },
  })
  if (!f.inPlace && !f.output) io.stdout.write(out)
  return 0
}
