/**
 * Running one key operation over many files: each file on its own (a failure is
 * reported and the run goes on), progress as events, identities loaded once.
 */
import { decryptionOrderOf } from '../../core/decryption-order.js'
import { SopsLikeError } from '../../errors.js'
import { loadIdentities, type IdentityOptions } from '../../keys/identities.js'
import type { Identity, KeyEntry } from '../../keys/key-source.js'
import type { RecipientDiff, RecipientRef } from './recipient-diff.js'

/** What happened to one file. `planned`: a dry run would have written it. */
export type Outcome = 'rotated' | 'updated' | 'unchanged' | 'skipped' | 'planned'

export interface FileReport {
  /** The path as given (or relative to the working folder for `--all`). */
  path: string
  outcome: Outcome
  /** The recipient change made (or planned). */
  diff?: RecipientDiff
  /** Whether the data key was (or would be) replaced. */
  rotated: boolean
  /** One-line warnings (e.g. a recipient to remove that the file does not have). */
  warnings: string[]
  /** The recipients the data key is (or would be) wrapped for afterwards, one list per key group (rotate, offboard). */
  recipients?: RecipientRef[][]
}

export interface FileFailure {
  path: string
  message: string
  exitCode: number
  code: string
}

export type KeysEvent =
  | { type: 'start'; total: number }
  | { type: 'file-start'; index: number; total: number; path: string }
  | { type: 'file-done'; index: number; total: number; report: FileReport }
  | { type: 'file-failed'; index: number; total: number; failure: FileFailure }
  | { type: 'note'; path?: string; message: string }

export interface BatchResult {
  reports: FileReport[]
  failures: FileFailure[]
  /** 0, or the exit code of the first failure. */
  exitCode: number
}

/** Exit code, code and one-line message of any thrown value. */
export function describeError(e: unknown): { message: string; exitCode: number; code: string } {
  if (e instanceof SopsLikeError) return { message: e.message, exitCode: e.exitCode, code: e.code }
  // unknown errors may carry anything in their message: name only the kind
  return { message: `internal error (${e instanceof Error ? e.name : typeof e})`, exitCode: 1, code: 'INTERNAL' }
}

/** How many files are worked on at once by default: key wrapping is asynchronous, so a few files overlap well. */
export const DEFAULT_CONCURRENCY = 4

/**
 * Processes files a few at a time (`concurrency`, 1 = strictly one after the other);
 * never throws for a single file's failure. Events and results come in file order.
 */
export async function runBatch(files: readonly string[], work: (file: string) => Promise<FileReport>, onEvent?: (e: KeysEvent) => void, concurrency = DEFAULT_CONCURRENCY): Promise<BatchResult> {
  const total = files.length
  onEvent?.({ type: 'start', total })
  const done: Array<{ report?: FileReport; failure?: FileFailure } | undefined> = new Array(total)
  let next = 0
  let flushed = 0
  const flush = (): void => {
    while (flushed < total && done[flushed]) {
      const d = done[flushed]!
      if (d.report) onEvent?.({ type: 'file-done', index: flushed, total, report: d.report })
      else onEvent?.({ type: 'file-failed', index: flushed, total, failure: d.failure! })
      flushed++
    }
  }
  const worker = async (): Promise<void> => {
    while (next < total) {
      const index = next++
      const path = files[index]!
      onEvent?.({ type: 'file-start', index, total, path })
      try {
        done[index] = { report: await work(path) }
      } catch (e) {
        done[index] = { failure: { path, ...describeError(e) } }
      }
      flush()
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, total)) }, worker))
  const reports = done.flatMap((d) => (d?.report ? [d.report] : []))
  const failures = done.flatMap((d) => (d?.failure ? [d.failure] : []))
  return { reports, failures, exitCode: failures[0]?.exitCode ?? 0 }
}

/** Loads the identities for a file's entries; `order` is the decryption order to open it with. */
export type IdentityLoader = ((entries: KeyEntry[]) => Promise<Identity[]>) & { order?: readonly string[] }

/**
 * Loads identities at most once per (key kinds, first age recipient) so a run over many files prompts and searches once.
 * The decryption order (flag or SOPS_DECRYPTION_ORDER) is read, and refused when invalid, here: before any file.
 */
export function identityLoader(opts: IdentityOptions & { identities?: Identity[] }): IdentityLoader {
  const order = decryptionOrderOf(opts)
  if (opts.identities) {
    const given = opts.identities
    return Object.assign(() => Promise.resolve(given), { order })
  }
  const cache = new Map<string, Promise<Identity[]>>()
  return Object.assign((entries: KeyEntry[]) => {
    const types = [...new Set(entries.map((e) => e.type))].sort().join(',')
    // SOPS_AGE_KEY_CMD gets the recipient as a hint; other sources do not depend on it
    const hint = (opts.env ?? process.env).SOPS_AGE_KEY_CMD ? entries.find((e) => e.type === 'age')?.fields.recipient ?? '' : ''
    const key = `${types}\0${hint}`
    let p = cache.get(key)
    if (!p) {
      p = loadIdentities(entries, opts)
      cache.set(key, p)
      p.catch(() => cache.delete(key))
    }
    return p
  }, { order })
}
