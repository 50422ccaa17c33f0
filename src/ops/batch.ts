/**
 * Running one key operation over many files: each file on its own (a failure is
 * reported and the run goes on), progress as events, identities loaded once.
 */
import { loadIdentities, type IdentityOptions } from '../keys/identities.js'
import type { Identity, KeyEntry } from '../keys/key-source.js'
import type { RecipientDiff } from './recipient-diff.js'

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

/**
 * Exit code, code and one-line message of any thrown value. Duck-typed: a lazily loaded
 * module may throw errors from a second copy of src/errors.ts (test loaders).
 */
export function describeError(e: unknown): { message: string; exitCode: number; code: string } {
  if (e instanceof Error && typeof (e as { exitCode?: unknown }).exitCode === 'number' && typeof (e as { code?: unknown }).code === 'string') {
    return { message: e.message, exitCode: (e as unknown as { exitCode: number }).exitCode, code: (e as unknown as { code: string }).code }
  }
  // unknown errors may carry anything in their message: name only the kind
  return { message: `internal error (${e instanceof Error ? e.name : typeof e})`, exitCode: 1, code: 'INTERNAL' }
}

/** Processes files one after the other; never throws for a single file's failure. */
export async function runBatch(files: readonly string[], work: (file: string) => Promise<FileReport>, onEvent?: (e: KeysEvent) => void): Promise<BatchResult> {
  const total = files.length
  onEvent?.({ type: 'start', total })
  const reports: FileReport[] = []
  const failures: FileFailure[] = []
  for (const [index, path] of files.entries()) {
    onEvent?.({ type: 'file-start', index, total, path })
    try {
      const report = await work(path)
      reports.push(report)
      onEvent?.({ type: 'file-done', index, total, report })
    } catch (e) {
      const failure: FileFailure = { path, ...describeError(e) }
      failures.push(failure)
      onEvent?.({ type: 'file-failed', index, total, failure })
    }
  }
  return { reports, failures, exitCode: failures[0]?.exitCode ?? 0 }
}

export type IdentityLoader = (entries: KeyEntry[]) => Promise<Identity[]>

/** Loads identities at most once per (key kinds, first age recipient) so a run over many files prompts and searches once. */
export function identityLoader(opts: IdentityOptions & { identities?: Identity[] }): IdentityLoader {
  if (opts.identities) {
    const given = opts.identities
    return () => Promise.resolve(given)
  }
  const cache = new Map<string, Promise<Identity[]>>()
  return (entries) => {
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
  }
}
