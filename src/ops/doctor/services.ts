/**
 * `doctor`, for a file's key-service entries (Vault Transit, AWS KMS, GCP KMS, Azure Key
 * Vault, and whatever kind loadIdentities learns next): per entry, where the service's client
 * would find credentials (service-credentials.ts, offline) and whether the key answers — the
 * entry is unwrapped once, with a short deadline. The shares that open are handed to step 4
 * (file.ts) so the data key and MAC are checked with them too; only verdicts and one-line
 * causes leave this module (no token, no share, no ciphertext).
 */
import { entryId, type KeyEntry } from '../../keys/key-source.js'
import { loadIdentities } from '../../keys/identities.js'
import { describeError } from '../keys/batch.js'
import type { ServiceEntryCheck } from './report.js'
import { SERVICE_CREDENTIALS } from './service-credentials.js'

/** A short deadline: doctor says "no answer" rather than wait for a service's own timeout. */
export const SERVICE_PROBE_TIMEOUT_MS = 5000

export interface ServicesChecked {
  checks: ServiceEntryCheck[]
  /** The shares (or data keys) of the entries that opened; the caller zeroes them. */
  shares: Map<KeyEntry, Uint8Array>
}

/** Whether an entry is a key-service entry (anything but age and PGP). */
export const isServiceEntry = (e: KeyEntry): boolean => e.type !== 'age' && e.type !== 'pgp'

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim().slice(0, 240)

/** Checks every key-service entry of the file's key groups, one after the other. */
export async function checkServices(keyGroups: KeyEntry[][], opts: { env: NodeJS.ProcessEnv; home: string; timeoutMs?: number }): Promise<ServicesChecked> {
  const timeoutMs = opts.timeoutMs ?? SERVICE_PROBE_TIMEOUT_MS
  const checks: ServiceEntryCheck[] = []
  const shares = new Map<KeyEntry, Uint8Array>()
  for (const [group, entries] of keyGroups.entries()) {
    for (const entry of entries) {
      if (!isServiceEntry(entry)) continue
      const table = SERVICE_CREDENTIALS[entry.type]
      const row: ServiceEntryCheck = { group, type: entry.type, id: entryId(entry), service: table?.service ?? entry.type, status: 'info', answer: 'failed' }
      if (table) row.credentials = table.check({ env: opts.env, home: opts.home, entry })
      const notes: string[] = []
      try {
        const ids = (await loadIdentities([entry], { env: opts.env, onNote: (l) => notes.push(l), serviceTimeoutMs: timeoutMs })).filter((i) => i.type === entry.type)
        if (!ids.length) {
          row.answer = 'unsupported'
          row.error = `sops-like cannot use ${entry.type} keys`
        } else {
          let timer: NodeJS.Timeout | undefined
          const deadline = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), timeoutMs + 1000); timer.unref?.() })
          const got = await Promise.race([ids[0]!.unwrap(entry), deadline]).finally(() => clearTimeout(timer))
          if (got === 'timeout') {
            row.answer = 'timeout'
            row.error = `no answer within ${Math.round(timeoutMs / 1000)}s`
          } else if (got) {
            row.answer = 'opened'
            shares.set(entry, got)
          } else {
            // the identity says why in a note: "cannot decrypt with <key>: <cause>"
            const note = notes.find((n) => n.includes(`${row.id}: `)) ?? notes[0]
            const at = note?.indexOf(`${row.id}: `) ?? -1
            row.error = note ? oneLine(at >= 0 ? note.slice(at + row.id.length + 2) : note) : 'the key did not open the entry'
          }
        }
      } catch (e) {
        row.error = describeError(e).message
      }
      row.status = row.answer === 'opened' ? 'ok' : row.answer === 'unsupported' ? 'info' : 'warn'
      checks.push(row)
    }
  }
  return { checks, shares }
}
