/**
 * `doctor`, step 4: does the file open? Parses it (no key needed), tries every found
 * identity on every master-key entry of its kind, then recovers the data key from
 * the shares that opened and decrypts the values with MAC verification, as decrypt
 * does. The data key, shares and plaintext are dropped here; only verdicts leave.
 */
import { loadFormat } from '../../formats/index.js'
import { openTree } from '../../core/document.js'
import { unwrapDataKey } from '../../core/data-key.js'
import type { Metadata } from '../../core/metadata.js'
import type { Tree } from '../../core/tree.js'
import { NoIdentityError } from '../../errors.js'
import { readInput } from '../../io/read.js'
import { entryId, type Identity, type KeyEntry } from '../../keys/key-source.js'
import { describeError } from '../keys/batch.js'
import { pickFormat } from '../crypt/codec.js'
import { parseEncrypted } from '../crypt/decrypt.js'
import type { Gathered } from './identities.js'
import type { EntryMatch, FileCheck, FoundIdentity } from './report.js'
import { sameRecipient } from '../keys/recipient-diff.js'
import type { ServicesChecked } from './services.js'
import { defined } from '../../defined.js'

export interface ParsedFile {
  check: FileCheck
  parsed?: { tree: Tree; metadata: Metadata }
}

/** Reads and parses the file; a file that cannot be read, parsed or is not encrypted fails here. */
export async function parseForDoctor(abs: string, shown: string, inputType?: string): Promise<ParsedFile> {
  const base = { status: 'ok' as const, path: shown }
  const rest = { recipients: [], dataKey: 'not-tried' as const, mac: 'not-checked' as const }
  let format
  try {
    format = await loadFormat(pickFormat(abs, inputType))
    const parsed = await parseEncrypted(readInput(abs), format.name)
    const md = parsed.metadata
    const check: FileCheck = {
      ...base,
      format: format.name,
      encrypted: true,
      lastmodified: md.lastmodified,
      ...defined({ shamirThreshold: md.shamirThreshold || undefined }), // 0: no threshold
      ...rest,
      recipients: md.keyGroups.flatMap((g, group) => g.map((e) => ({ group, type: e.type, id: entryId(e), openedBy: [], supported: e.type === 'age' || e.type === 'pgp' }))),
    }
    return { check, parsed }
  } catch (e) {
    const problem = describeError(e)
    return { check: { ...base, status: 'fail', ...defined({ format: format?.name, encrypted: problem.code === 'NOT_ENCRYPTED' ? false : undefined }), ...rest, problem } }
  }
}

/** Whether an identity's public side names an entry (recipient or fingerprint). */
function names(id: FoundIdentity, e: KeyEntry): boolean {
  if (e.type !== id.type) return false
  if (e.type === 'pgp') return !!id.fingerprints?.some((fp) => sameRecipient({ type: 'pgp', id: fp }, { type: 'pgp', id: e.fields.fp ?? '' }))
  const r = (e.fields.recipient ?? '').trim()
  if (!id.recipient || !r) return false
  // SSH recipients carry a comment; compare type and key only
  return r.startsWith('ssh-') ? r.split(/\s+/).slice(0, 2).join(' ') === id.recipient.split(/\s+/).slice(0, 2).join(' ') : r === id.recipient
}

/** Tries the identities on the parsed file; fills `found[].matches`, the recipients' `openedBy`, and the data key / MAC verdicts. */
export async function openForDoctor(p: ParsedFile, ids: Gathered, services?: ServicesChecked): Promise<FileCheck> {
  const check: FileCheck = { ...p.check, recipients: p.check.recipients.map((r) => ({ ...r, openedBy: [] })) }
  const { tree, metadata } = p.parsed!
  const shares = new Map<KeyEntry, Uint8Array>()
  // what the key services opened (services.ts) counts as well; this function zeroes every share it holds
  for (const [e, s] of services?.shares ?? []) shares.set(e, s)
  const serviceAnswer = new Map((services?.checks ?? []).map((c) => [`${c.group}\0${c.type}\0${c.id}`, c.answer]))
  let k = 0
  for (const [group, entries] of metadata.keyGroups.entries()) {
    for (const entry of entries) {
      const row = check.recipients[k++]!
      const answer = serviceAnswer.get(`${group}\0${row.type}\0${row.id}`)
      if (answer) {
        row.service = answer
        row.supported = answer !== 'unsupported'
      }
      for (const found of ids.check.found) {
        const t = ids.trials.get(found.n)
        const named = names(found, entry)
        if (found.type !== entry.type || (!t && !named)) continue
        const match: EntryMatch = { group, type: entry.type, id: row.id, opened: false }
        if (!t) match.error = found.note ?? 'cannot be tried'
        else if (t.accepts && !t.accepts(entry)) continue
        else {
          try {
            const share = await t.identity.unwrap(entry)
            if (share) {
              match.opened = true
              row.openedBy.push(found.n)
              if (!shares.has(entry)) shares.set(entry, share)
              else share.fill(0)
            }
          } catch (e) {
            match.error = describeError(e).message
          }
        }
        if (match.opened || named || match.error) (found.matches ??= []).push(match)
      }
    }
  }
  for (const found of ids.check.found) found.matches ??= []
  // the shares that opened, replayed through the same key recovery and MAC check decrypt uses
  const replay = (type: string): Identity => ({ type: type as Identity['type'], label: `${type} identities found by doctor`, unwrap: (e) => { const s = shares.get(e); return Promise.resolve(s ? Uint8Array.from(s) : null) } })
  let dataKey: Uint8Array | undefined
  try {
    const types = [...new Set(metadata.keyGroups.flat().map((e) => e.type))]
    dataKey = await unwrapDataKey(metadata.keyGroups, metadata.shamirThreshold, types.map(replay))
    check.dataKey = 'unwrapped'
  } catch (e) {
    check.dataKey = 'failed'
    check.status = 'fail'
    const groups = metadata.keyGroups.length
    const opened = metadata.keyGroups.filter((g) => g.some((e) => shares.has(e))).length
    const detail = groups > 1 ? ` (${opened} of ${groups} groups opened, ${metadata.shamirThreshold ?? groups} needed)` : ''
    check.problem = describeError(describeError(e).code === 'NO_MATCHING_KEY' ? new NoIdentityError(`no available identity opens ${check.path}${detail}`) : e)
  }
  if (dataKey) {
    try {
      await openTree(tree, metadata, { dataKey })
      check.mac = 'verified'
    } catch (e) {
      check.mac = 'failed'
      check.status = 'fail'
      check.problem = describeError(e)
    } finally {
      dataKey.fill(0)
    }
  }
  for (const s of shares.values()) s.fill(0)
  return check
}
