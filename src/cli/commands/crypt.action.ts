/** `encrypt` and `decrypt`: map flags to the library's file operations. */
import { terminalText } from '../printable.js'
import { defined } from '../../defined.js'
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
  ...defined({
    inPlace: f.inPlace,
    output: f.output,
    inputType: f.inputType,
    outputType: f.outputType,
    // '' is "not given" (sops' default); the library would take it as the name itself
    filenameOverride: f.filenameOverride || undefined,
    indent: indentFlag(f.indent),
  }),
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
    ...defined({
      configPath: f.config,
      age: list(f.age),
      pgp: list(f.pgp),
      hcVaultTransit: list(f.hcVaultTransit),
      kms: list(f.kms),
      encryptionContext: f.encryptionContext,
      awsProfile: f.awsProfile,
      gcpKms: list(f.gcpKms),
      azureKv: list(f.azureKv),
      ageRecipientsFiles: f.ageRecipientsFile,
      pgpKeyFiles: f.pgpKeyFile,
      shamirThreshold: f.shamirSecretSharingThreshold ? Number(f.shamirSecretSharingThreshold) : undefined,
    }),
    selectors: selectors(f),
  })
  if (!f.inPlace && !f.output) io.stdout.write(out)
  return 0
}

export async function runDecrypt(file: string, f: CryptFlags, io: CliIo): Promise<number> {
  const out = await decryptFile(file, {
    ...common(f, io),
    ...defined({ extract: f.extract, ignoreMac: f.ignoreMac, pgpKeyFile: f.pgpKeyFile?.[0], decryptionOrder: f.decryptionOrder }),
    onNote: (line) => { io.stderr.write(`sops-like: ${terminalText(line)}\n`) },
  })
  if (!f.inPlace && !f.output) io.stdout.write(out)
  return 0
}
