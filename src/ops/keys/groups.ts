/**
 * `groups add` / `groups delete`, sops' key-group commands: append a key group to a file
 * or remove one by index, then wrap the data key for the new set of groups (split again
 * with Shamir when there are several; a single group gets the whole key). As sops, the
 * result goes to `emit` (standard output) unless written in place, `--shamir-secret-sharing-threshold`
 * replaces the file's threshold, and a deletion that leaves fewer groups than the
 * threshold is refused. Beyond sops: an empty group, a deletion of the only group, and
 * recipients the creation rule does not list (recipient-policy.ts, `keepUnlisted`) are
 * refused; and when a deletion takes the file away from a recipient who is in no other
 * group, the data key is rotated (as updatekeys does), since they may hold it.
 */
import { resolve } from 'node:path'
import { loadFormat, withIndent } from '../../formats/index.js'
import { openTree } from '../../core/document.js'
import { wrapDataKey } from '../../core/data-key.js'
import type { Metadata } from '../../core/metadata.js'
import { NoRecipientsError, UsageError } from '../../errors.js'
import { writeFileAtomic } from '../../io/atomic-write.js'
import { readInput } from '../../io/read.js'
import { assertInPlaceTarget } from '../../io/in-place.js'
import type { IdentityOptions } from '../../keys/identities.js'
import type { Identity } from '../../keys/key-source.js'
import { identityLoader } from './batch.js'
import { pickFormat } from '../crypt/codec.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import { hasRecipient, parseRecipientArg, refOfEntry, showRef, type RecipientRef } from './recipient-diff.js'
import { checkFileRecipients } from './recipient-policy.js'
import { emitWithMetadata, keepCreatedAt, recipientsFor, resealRotated, rulePgpKeyFiles } from './rotate.js'
import { defined } from '../../defined.js'

/** The keys of a new group, as sops' `groups add` flags name them. */
export interface NewKeyGroup {
  age?: string[]
  pgp?: string[]
  kms?: string[]
  hcVaultTransit?: string[]
}

export interface GroupsOptions extends IdentityOptions {
  cwd?: string
  inputType?: string
  /** Write the file back in place (sops' `-i`); else the bytes go to `emit`. */
  inPlace?: boolean
  /** Receives the new file's bytes when not in place (the CLI prints them, as sops). */
  emit?: (bytes: Uint8Array) => void
  /** sops' `--shamir-secret-sharing-threshold`: replaces the file's threshold when given. */
  threshold?: number
  configPath?: string
  /** Armored PGP public key files for PGP recipients. */
  pgpKeyFiles?: string[]
  /** Keep recipients the file's creation rule does not list (else UnlistedRecipientError). */
  keepUnlisted?: boolean
  identities?: Identity[]
  /** sops `--indent`: spaces per level of YAML/JSON output. */
  indent?: number
  now?: Date
}

export interface GroupsResult {
  /** The file's key groups afterwards. */
  keyGroups: RecipientRef[][]
  shamirThreshold?: number
  /** A new data key was made (a deletion removed someone from the file). */
  rotated: boolean
  /** Recipients no longer in any group (deletion). */
  removed: RecipientRef[]
  warnings: string[]
}

/** Validates the recipients of a new group; an empty group is refused (it could never be opened). */
export async function parseNewGroup(g: NewKeyGroup): Promise<RecipientRef[]> {
  const parse = (xs: string[] | undefined, kind: 'age' | 'pgp' | 'hc_vault' | 'kms', flag: string) => Promise.all((xs ?? []).map((x) => parseRecipientArg(x, kind, flag)))
  const refs = [...(await parse(g.pgp, 'pgp', '--pgp')), ...(await parse(g.kms, 'kms', '--kms')), ...(await parse(g.hcVaultTransit, 'hc_vault', '--hc-vault-transit')), ...(await parse(g.age, 'age', '--age'))]
  if (!refs.length) throw new UsageError('a new key group needs at least one key: give --age, --pgp, --kms or --hc-vault-transit')
  return refs
}

/** Reads and parses the file, and sets up how the result is written. */
async function load(file: string, opts: GroupsOptions) {
  if (file === '') throw new UsageError('give the file with --file FILE')
  const abs = resolve(opts.cwd ?? process.cwd(), file)
  const format = await withIndent(await loadFormat(pickFormat(abs, opts.inputType)), opts.indent)
  if (opts.inPlace) assertInPlaceTarget(abs)
  else if (!opts.emit) throw new UsageError('groups: write in place (-i) or give an emit callback')
  const { tree, metadata } = await parseEncrypted(readInput(abs), format.name, file)
  const write = (bytes: Uint8Array): void => (opts.inPlace ? writeFileAtomic(abs, bytes) : opts.emit!(bytes))
  return { abs, format, tree, metadata, write }
}

const recipientOpts = (abs: string, opts: GroupsOptions, metadata: Metadata) => {
  const env = opts.env ?? process.env
  return { env, entries: metadata.keyGroups.flat(), pgpKeyFiles: [...(opts.pgpKeyFiles ?? []), ...rulePgpKeyFiles(abs, defined({ configPath: opts.configPath, env }))] }
}

/** sops `groups add`: the file with one more key group; the data key is kept (the values and MAC are unchanged) and wrapped again for every group. */
export async function addKeyGroup(file: string, group: NewKeyGroup, opts: GroupsOptions = {}): Promise<GroupsResult> {
  const added = await parseNewGroup(group)
  const { abs, format, tree, metadata, write } = await load(file, opts)
  const groups = [...metadata.keyGroups.map((g) => g.map(refOfEntry)), added]
  const threshold = opts.threshold ?? metadata.shamirThreshold
  const { warnings } = await checkFileRecipients(file, abs, groups, { ...opts, added })
  const recipients = await recipientsFor(groups, recipientOpts(abs, opts, metadata))
  const doc = await openTree(tree, metadata, { identities: await identityLoader(opts)(metadata.keyGroups.flat()) })
  try {
    const wrapped = await wrapDataKey(doc.dataKey, recipients, threshold)
    // the values, MAC and lastmodified stay as they are: only the key groups change (as sops)
    const { shamirThreshold: _old, ...rest } = metadata
    const md: Metadata = { ...rest, keyGroups: keepCreatedAt(wrapped.keyGroups, metadata.keyGroups), ...defined({ shamirThreshold: wrapped.shamirThreshold }) }
    write(await emitWithMetadata(tree, md, format))
    return { keyGroups: groups, ...defined({ shamirThreshold: wrapped.shamirThreshold }), rotated: false, removed: [], warnings }
  } finally {
    doc.dataKey.fill(0)
  }
}

/** sops `groups delete`: the file without key group `index`; refused when the rest could not open it. */
export async function deleteKeyGroup(file: string, index: number, opts: GroupsOptions = {}): Promise<GroupsResult> {
  if (!Number.isInteger(index) || index < 0) throw new UsageError('the key group index is a whole number from 0 (see sops-like status FILE)')
  const { abs, format, tree, metadata, write } = await load(file, opts)
  const current = metadata.keyGroups.map((g) => g.map(refOfEntry))
  if (index >= current.length) throw new UsageError(`${file} has no key group ${index}: it has ${current.length} (0 to ${current.length - 1}; see sops-like status ${file})`)
  if (current.length === 1) throw new NoRecipientsError(`refusing to delete the only key group of ${file}: nobody could open it; add a group first (groups add) or use rotate --add-age/--rm-age`)
  const groups = current.filter((_, i) => i !== index)
  const threshold = opts.threshold ?? metadata.shamirThreshold
  if (threshold !== undefined && threshold > groups.length) {
    throw new UsageError(`removing this key group will make the Shamir threshold impossible to satisfy: Shamir threshold is ${threshold}, but we only have ${groups.length} key groups; pass --shamir-secret-sharing-threshold ${groups.length} (or lower)`)
  }
  const removed = current[index]!.filter((r) => !hasRecipient(groups, r))
  const { warnings } = await checkFileRecipients(file, abs, groups, opts)
  const recipients = await recipientsFor(groups, recipientOpts(abs, opts, metadata))
  const doc = await openTree(tree, metadata, { identities: await identityLoader(opts)(metadata.keyGroups.flat()) })
  try {
    if (removed.length) {
      // someone leaves the file and may hold its key: a new data key, every value re-encrypted
      write(await resealRotated(doc, format, recipients, { ...defined({ threshold, now: opts.now }), keepVersion: true }))
      warnings.push(`${file}: new data key (no longer a recipient: ${removed.map(showRef).join(', ')})`)
    } else {
      const wrapped = await wrapDataKey(doc.dataKey, recipients, threshold)
      const { shamirThreshold: _old, ...rest } = metadata
      const md: Metadata = { ...rest, keyGroups: keepCreatedAt(wrapped.keyGroups, metadata.keyGroups), ...defined({ shamirThreshold: wrapped.shamirThreshold }) }
      write(await emitWithMetadata(tree, md, format))
    }
    const md = { keyGroups: groups, ...defined({ shamirThreshold: groups.length > 1 ? (threshold ?? groups.length) : threshold }) }
    return { ...md, rotated: removed.length > 0, removed, warnings }
  } finally {
    doc.dataKey.fill(0)
  }
}
