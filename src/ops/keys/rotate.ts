/**
 * `rotate`: open a file (MAC verified), generate a NEW data key, re-encrypt every
 * value and the MAC, wrap the key for the file's recipients (optionally edited:
 * add → group 0, remove → every group) and write atomically in place — or, as sops'
 * `rotate` without `-i`, hand the bytes back (`emit`) or write them elsewhere (`output`).
 * `resealRotated` is the shared "new data key" step (updatekeys and offboard use it).
 */
import { isAbsolute, join, resolve } from 'node:path'
import { loadFormat, withIndent, type Format } from '../../formats/index.js'
import { openTree, sealTree, type OpenedDocument } from '../../core/document.js'
import { attachMetadata, detachMetadata } from '../../core/metadata-layout.js'
import { metadataToNode, type Metadata } from '../../core/metadata.js'
import { ConflictingOptionsError, NoRecipientsError, RecipientError } from '../../errors.js'
import { writeFileAtomic } from '../../io/atomic-write.js'
import { readInput } from '../../io/read.js'
import { assertInPlaceTarget } from '../../io/in-place.js'
import { loadConfigFor, matchRule } from '../../config/rules.js'
import type { IdentityOptions } from '../../keys/identities.js'
import type { Identity, KeyEntry, Recipient } from '../../keys/key-source.js'
import { identityLoader, runBatch, type BatchResult, type FileReport, type IdentityLoader, type KeysEvent } from './batch.js'
import { encryptedCodec, pickFormat } from '../crypt/codec.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import { diffRecipients, editGroups, parseRecipientArg, refOfEntry, sameRecipient, showRef, type RecipientRef } from './recipient-diff.js'
import { checkFileRecipients } from './recipient-policy.js'
import { defined } from '../../defined.js'

/** Builds wrap-capable recipients for identifiers; kinds sops-like cannot wrap for (kms, vault, …) are refused. */
export async function recipientsFor(groups: RecipientRef[][], opts: { env?: NodeJS.ProcessEnv; pgpKeyFiles?: string[]; entries?: KeyEntry[] } = {}): Promise<Recipient[][]> {
  const env = opts.env ?? process.env
  const { createAgeRecipient } = await import('../../keys/age.js')
  const needsPgp = groups.some((g) => g.some((r) => r.type === 'pgp'))
  const pgp = needsPgp ? await import('../../keys/pgp.js') : undefined
  const vault = groups.some((g) => g.some((r) => r.type === 'hc_vault')) ? await import('../../keys/hc-vault.js') : undefined
  const kms = groups.some((g) => g.some((r) => r.type === 'kms')) ? await import('../../keys/aws-kms.js') : undefined
  const gcp = groups.some((g) => g.some((r) => r.type === 'gcp_kms')) ? await import('../../keys/gcp-kms.js') : undefined
  const azure = groups.some((g) => g.some((r) => r.type === 'azure_kv')) ? await import('../../keys/azure-kv.js') : undefined
  return groups.map((g) => g.map((r) => {
    if (r.type === 'kms' && kms) {
      // the entry's role, context and profile stay with its ARN
      const was = opts.entries?.find((e) => e.type === 'kms' && e.fields.arn === r.id)
      return kms.createKmsRecipient((was && kms.kmsKeyOfEntry(was)) || kms.parseKmsArn(r.id), { env })
    }
    if (r.type === 'age') return createAgeRecipient(r.id, { env })
    if (r.type === 'pgp' && pgp) return pgp.createPgpRecipient(r.id, { keyFiles: opts.pgpKeyFiles ?? [], env })
    if (r.type === 'hc_vault' && vault) return vault.createVaultRecipient(r.id, { env })
    if (r.type === 'gcp_kms' && gcp) return gcp.createGcpKmsRecipient(r.id, { env })
    if (r.type === 'azure_kv' && azure) return azure.createAzureKvRecipient(r.id, { env })
    throw new RecipientError(`the file has ${r.type} keys, which sops-like cannot encrypt to: rotate it with sops`)
  }))
}

/** New entries keep the `created_at` of the entry they replace (same kind and identifier), as sops does. */
export function keepCreatedAt(fresh: KeyEntry[][], old: KeyEntry[][]): KeyEntry[][] {
  const prior = old.flat()
  return fresh.map((g) => g.map((e) => {
    if (e.fields.created_at === undefined) return e
    const was = prior.find((o) => o.fields.created_at && sameRecipient(refOfEntry(o), refOfEntry(e)))
    return was ? { ...e, fields: { ...e.fields, created_at: was.fields.created_at! } } : e
  }))
}

/** Re-attaches metadata (changed key entries, same values) to an encrypted data tree and emits the file. */
export async function emitWithMetadata(data: OpenedDocument['tree'], metadata: Metadata, format: Format): Promise<Uint8Array> {
  return (await encryptedCodec(format)).emit(attachMetadata(data, metadataToNode(metadata), format.metadataLayout))
}

/** Seals an opened document under a NEW data key for `groups` and returns the file's bytes. */
export async function resealRotated(doc: OpenedDocument, format: Format, groups: Recipient[][], opts: { threshold?: number; now?: Date; keepVersion?: boolean } = {}): Promise<Uint8Array> {
  if (!groups.length || groups.some((g) => !g.length)) throw new NoRecipientsError('refusing to leave a key group without recipients')
  const threshold = opts.threshold // kept for a single group too: sops keeps shamir_threshold as it is
  const sealed = await sealTree(doc.tree, format, {
    groups,
    selectors: doc.metadata.selectors,
    ...defined({ threshold: threshold || undefined, now: opts.now }), // 0: no threshold
  })
  const md: Metadata = { ...sealed.metadata, keyGroups: keepCreatedAt(sealed.metadata.keyGroups, doc.metadata.keyGroups), extra: doc.metadata.extra }
  if (opts.keepVersion) md.version = doc.metadata.version // sops' rotate/updatekeys keep the file's version
  return emitWithMetadata(detachMetadata(sealed.tree, format.metadataLayout).tree, md, format)
}

/** Armored PGP public key files named by the file's creation rule (`pgp_keys`), if any. */
export function rulePgpKeyFiles(abs: string, opts: { configPath?: string; env?: NodeJS.ProcessEnv }): string[] {
  try {
    const cfg = loadConfigFor(abs, defined({ explicit: opts.configPath, env: opts.env }))
    const rule = cfg ? matchRule(cfg, abs) : null
    return (rule?.pgpKeys ?? []).map((p) => (isAbsolute(p) ? p : join(cfg!.dir, p)))
  } catch {
    return []
  }
}

/** Recipient edits `rotate` applies: added to group 0, removed from every group. */
export interface RecipientEdits {
  /** age recipients or PGP fingerprints */
  addAge?: string[]
  rmAge?: string[]
  addPgp?: string[]
  rmPgp?: string[]
  /** HashiCorp Vault Transit key URIs */
  addHcVaultTransit?: string[]
  rmHcVaultTransit?: string[]
  /** AWS KMS key ARNs */
  addKms?: string[]
  rmKms?: string[]
  /** GCP KMS key resource ids to add to group 0 / remove from every group. */
  addGcpKms?: string[]
  rmGcpKms?: string[]
  /** Azure Key Vault key URLs to add to group 0 / remove from every group. */
  addAzureKv?: string[]
  rmAzureKv?: string[]
}

export interface RotateOptions extends IdentityOptions, RecipientEdits {
  cwd?: string
  inputType?: string
  /** Format of the rotated file (default: the input's); only with `output` or `emit`. */
  outputType?: string
  /** sops `--indent`: spaces per level of YAML/JSON output. */
  indent?: number
  /** Write the rotated file here (atomically) and leave the input untouched. */
  output?: string
  /** Hand the rotated bytes to this callback (e.g. for stdout) and write nothing; `-` reads standard input. */
  emit?: (bytes: Uint8Array) => void
  configPath?: string
  /** Armored PGP public key files for PGP recipients. */
  pgpKeyFiles?: string[]
  /** Open and check every file, compute the result, write nothing. */
  dryRun?: boolean
  /** Keep recipients the file's creation rule does not list (else UnlistedRecipientError; see recipient-policy.ts). */
  keepUnlisted?: boolean
  identities?: Identity[]
  now?: Date
  onEvent?: (e: KeysEvent) => void
}

export interface ParsedEdits { add: RecipientRef[]; remove: RecipientRef[] }

/** Validates the recipient flags once, before any file is touched. */
export async function parseEdits(o: Pick<RotateOptions, 'addAge' | 'rmAge' | 'addPgp' | 'rmPgp' | 'addHcVaultTransit' | 'rmHcVaultTransit' | 'addKms' | 'rmKms' | 'addGcpKms' | 'rmGcpKms' | 'addAzureKv' | 'rmAzureKv'>): Promise<ParsedEdits> {
  const parse = (xs: string[] | undefined, kind: 'age' | 'pgp' | 'hc_vault' | 'kms' | 'gcp_kms' | 'azure_kv', flag: string) => Promise.all((xs ?? []).map((x) => parseRecipientArg(x, kind, flag)))
  return {
    add: [...(await parse(o.addAge, 'age', '--add-age')), ...(await parse(o.addPgp, 'pgp', '--add-pgp')), ...(await parse(o.addHcVaultTransit, 'hc_vault', '--add-hc-vault-transit')), ...(await parse(o.addKms, 'kms', '--add-kms')), ...(await parse(o.addGcpKms, 'gcp_kms', '--add-gcp-kms')), ...(await parse(o.addAzureKv, 'azure_kv', '--add-azure-kv'))],
    remove: [...(await parse(o.rmAge, 'age', '--rm-age')), ...(await parse(o.rmPgp, 'pgp', '--rm-pgp')), ...(await parse(o.rmHcVaultTransit, 'hc_vault', '--rm-hc-vault-transit')), ...(await parse(o.rmKms, 'kms', '--rm-kms')), ...(await parse(o.rmGcpKms, 'gcp_kms', '--rm-gcp-kms')), ...(await parse(o.rmAzureKv, 'azure_kv', '--rm-azure-kv'))],
  }
}

/** Rotates one file (see module doc). Removing a recipient the file lacks only warns; if nothing else is asked, the file is left untouched. */
export async function rotateOne(file: string, edits: ParsedEdits, opts: RotateOptions, load: IdentityLoader): Promise<FileReport> {
  const stdin = file === '-'
  const elsewhere = opts.output !== undefined || opts.emit !== undefined
  if (stdin && !elsewhere) throw new ConflictingOptionsError('standard input cannot be rotated in place: give --output FILE, or - for standard output')
  if (opts.outputType && !elsewhere) throw new ConflictingOptionsError('--output-type needs --output: a file rotated in place keeps its format')
  const abs = resolve(opts.cwd ?? process.cwd(), file)
  const format = await loadFormat(pickFormat(stdin ? undefined : abs, opts.inputType))
  const outFormat = await withIndent(opts.outputType ? await loadFormat(pickFormat(stdin ? undefined : abs, opts.outputType)) : format, opts.indent)
  if (!elsewhere) assertInPlaceTarget(abs)
  const { tree, metadata } = await parseEncrypted(readInput(stdin ? '-' : abs), format.name)
  const current = metadata.keyGroups.map((g) => g.map(refOfEntry))
  const { groups, missing, ineffective } = editGroups(current, edits)
  const warnings = [
    ...missing.map((r) => `${file} does not have recipient ${showRef(r)}: nothing to remove`),
    ...ineffective.map((r) => `${file} already has recipient ${showRef(r)}`),
  ]
  const asked = edits.add.length + edits.remove.length
  if (asked > 0 && missing.length + ineffective.length === asked && !elsewhere) return { path: file, outcome: 'skipped', rotated: false, warnings }
  for (const [i, g] of groups.entries()) {
    if (!g.length) throw new NoRecipientsError(`refusing to remove the last recipient${groups.length > 1 ? ` of key group ${i}` : ''}: the file would have no key`)
  }
  warnings.push(...(await checkFileRecipients(file, abs, groups, { ...opts, added: edits.add })).warnings)
  const diff = diffRecipients(current, groups, metadata.shamirThreshold, metadata.shamirThreshold)
  const env = opts.env ?? process.env
  const recipients = await recipientsFor(groups, { env, entries: metadata.keyGroups.flat(), pgpKeyFiles: [...(opts.pgpKeyFiles ?? []), ...rulePgpKeyFiles(abs, { ...defined({ configPath: opts.configPath }), env })] })
  const doc = await openTree(tree, metadata, { identities: await load(metadata.keyGroups.flat()), ...defined({ order: load.order }) })
  const out = await resealRotated(doc, outFormat, recipients, { ...defined({ threshold: metadata.shamirThreshold, now: opts.now }), keepVersion: true })
  if (opts.dryRun) return { path: file, outcome: 'planned', diff, rotated: true, warnings, recipients: groups }
  if (opts.emit) opts.emit(out)
  else writeFileAtomic(opts.output !== undefined ? resolve(opts.cwd ?? process.cwd(), opts.output) : abs, out)
  return { path: file, outcome: 'rotated', diff, rotated: true, warnings, recipients: groups }
}

/** Rotates each file on its own; failures are collected, the run goes on. Invalid recipient flags throw before any file. */
export async function rotateFiles(files: readonly string[], opts: RotateOptions = {}): Promise<BatchResult> {
  const edits = await parseEdits(opts)
  const load = identityLoader(opts)
  return runBatch(files, (f) => rotateOne(f, edits, opts, load), opts.onEvent)
}

/** Rotates a single file; throws on failure. */
export async function rotateFile(file: string, opts: RotateOptions = {}): Promise<FileReport> {
  return rotateOne(file, await parseEdits(opts), opts, identityLoader(opts))
}
