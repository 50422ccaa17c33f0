/**
 * `doctor`: the age identity sources sops reads (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE,
 * SOPS_AGE_KEY_CMD, the default keys.txt files), searched with findAgeIdentities
 * and shown per source: each identity by its public recipient only. A source that
 * fails is reported and the others are still looked at.
 */
import { existsSync, readFileSync } from 'node:fs'
import { identityToRecipient } from 'age-encryption'
import { ReadError } from '../../errors.js'
import { createAgeIdentity } from '../../keys/age.js'
import { defaultKeyFiles, findAgeIdentities, parseIdentityFile, type FoundIdentities } from '../../keys/age-identities.js'
import { promptSecret } from '../../io/prompt-secret.js'
import { describeError } from '../keys/batch.js'
import type { DoctorProblem, IdentitySource } from './report.js'
import type { Candidate } from './candidate.js'
import { defined } from '../../defined.js'

export interface AgeStepOptions {
  env: NodeJS.ProcessEnv
  home: string
  /** The file's first age recipient (handed to SOPS_AGE_KEY_CMD as SOPS_AGE_RECIPIENT), if any. */
  recipientHint?: string
  /** Unlock passphrase-protected identity files (decrypt does when the file has age entries). */
  unlock: boolean
}

type SourceError = { name: string; problem: DoctorProblem }

/** findAgeIdentities stops at the first unusable source: run it again without it, so that the rest is still reported. */
function findAll(env: NodeJS.ProcessEnv, opts: AgeStepOptions): { found: FoundIdentities | null; errors: SourceError[] } {
  const errors: SourceError[] = []
  const e1 = { ...env }
  const keyFile = env.SOPS_AGE_KEY_FILE
  if (keyFile) {
    try {
      readFileSync(keyFile)
    } catch (e) {
      errors.push({ name: 'SOPS_AGE_KEY_FILE', problem: describeError(new ReadError(`cannot read age key file ${keyFile} (from SOPS_AGE_KEY_FILE, ${(e as NodeJS.ErrnoException).code ?? 'error'})`)) })
      delete e1.SOPS_AGE_KEY_FILE
    }
  }
  const find = (e: NodeJS.ProcessEnv) => findAgeIdentities(e, { home: opts.home, ...defined({ recipientHint: opts.recipientHint }) })
  try {
    return { found: find(e1), errors }
  } catch (err) {
    const first = describeError(err)
    if (!e1.SOPS_AGE_KEY_CMD) return { found: null, errors: [...errors, { name: 'default keys.txt', problem: first }] }
    const e2 = { ...e1 }
    delete e2.SOPS_AGE_KEY_CMD
    try {
      const found = find(e2)
      return { found, errors: [...errors, { name: 'SOPS_AGE_KEY_CMD', problem: first }] }
    } catch (err2) {
      const second = describeError(err2)
      if (second.message !== first.message) errors.push({ name: 'SOPS_AGE_KEY_CMD', problem: first })
      return { found: null, errors: [...errors, { name: 'default keys.txt', problem: second }] }
    }
  }
}

const kindOf = (key: string): Candidate['info']['kind'] =>
  key.startsWith('AGE-PLUGIN-') ? 'age-plugin' : key.startsWith('AGE-SECRET-KEY-PQ-') ? 'age-pq' : 'age-x25519'

/** One candidate per identity string: its recipient (derived, public) and a trial identity; malformed ones become problems. */
async function candidatesOf(keys: string[], source: string, problems: DoctorProblem[], warnings: string[]): Promise<Candidate[]> {
  const out: Candidate[] = []
  for (const [i, key] of keys.entries()) {
    const kind = kindOf(key)
    const where = `identity ${i + 1} of ${source}`
    if (kind === 'age-plugin') {
      // decrypt skips them too: a warning, not a failure
      out.push({ info: { type: 'age', kind, source, note: 'age plugin identities are not supported: skipped' } })
      warnings.push(`${where} is an age plugin identity, which is not supported: it is skipped`)
      continue
    }
    let recipient: string
    let trial
    try {
      recipient = await identityToRecipient(key)
      trial = createAgeIdentity([key], source)
    } catch {
      out.push({ info: { type: 'age', kind, source, note: 'malformed identity' } })
      problems.push(describeError(new ReadError(`${where} is malformed`)))
      continue
    }
    out.push({ info: { type: 'age', kind, source, recipient }, trial })
  }
  return out
}

/** The age sources, each with its state, and the identities they hold. */
export async function ageIdentities(opts: AgeStepOptions): Promise<{ sources: IdentitySource[]; candidates: Candidate[]; problems: DoctorProblem[]; warnings: string[] }> {
  const { env } = opts
  const { found, errors } = findAll(env, opts)
  const sources: IdentitySource[] = []
  const candidates: Candidate[] = []
  const problems: DoctorProblem[] = []
  const warnings: string[] = []
  // findAgeIdentities labels sources `NAME` or `NAME (path)`; keys come in source order
  const keysOf = new Map<string, string[]>()
  let at = 0
  for (const s of found?.sources ?? []) {
    keysOf.set(s.source, found!.keys.slice(at, at + s.count))
    at += s.count
  }
  const add = async (label: string, base: Omit<IdentitySource, 'state'>, isSet: boolean, missing: IdentitySource['state']): Promise<void> => {
    const err = errors.find((e) => e.name === base.name)
    if (err) {
      sources.push({ ...base, state: 'error', problem: err.problem })
      problems.push(err.problem)
    } else if (!isSet) sources.push({ ...base, state: missing })
    else if (!found) sources.push({ ...base, state: 'error', detail: 'not examined: the search stopped at an unreadable keys.txt' })
    else {
      const keys = keysOf.get(label)
      const locked = found.encryptedFiles.find((f) => f.source === label)
      if (keys?.length) {
        sources.push({ ...base, state: 'found', count: keys.length })
        candidates.push(...(await candidatesOf(keys, label, problems, warnings)))
      } else if (locked) await lockedFile(label, locked.bytes, base, opts, sources, candidates, problems, warnings)
      else sources.push({ ...base, state: 'empty' })
    }
  }
  await add('SOPS_AGE_KEY', { name: 'SOPS_AGE_KEY', kind: 'age' }, !!env.SOPS_AGE_KEY, 'not-set')
  const keyFile = env.SOPS_AGE_KEY_FILE
  await add(`SOPS_AGE_KEY_FILE (${keyFile})`, { name: 'SOPS_AGE_KEY_FILE', kind: 'age', ...defined({ path: keyFile || undefined }) }, !!keyFile, 'not-set')
  await add('SOPS_AGE_KEY_CMD', { name: 'SOPS_AGE_KEY_CMD', kind: 'age' }, !!env.SOPS_AGE_KEY_CMD, 'not-set')
  const keysTxtError = errors.find((e) => e.name === 'default keys.txt')
  let placed = false
  for (const path of defaultKeyFiles(env, opts.home)) {
    const base = { name: 'keys.txt', kind: 'age' as const, path }
    if (keysTxtError && existsSync(path) && keysTxtError.problem.message.includes(path)) {
      sources.push({ ...base, state: 'error', problem: keysTxtError.problem })
      placed = true
    } else await add(`default keys.txt (${path})`, base, existsSync(path), 'absent')
  }
  if (keysTxtError) problems.push(keysTxtError.problem)
  if (keysTxtError && !placed) sources.push({ name: 'keys.txt', kind: 'age', state: 'error', problem: keysTxtError.problem })
  return { sources, candidates, problems, warnings }
}

/** A passphrase-protected identity file: opened only when the file has age entries (as decrypt does). */
async function lockedFile(
  label: string, bytes: Uint8Array, base: Omit<IdentitySource, 'state'>, opts: AgeStepOptions,
  sources: IdentitySource[], candidates: Candidate[], problems: DoctorProblem[], warnings: string[],
): Promise<void> {
  if (!opts.unlock) {
    sources.push({ ...base, state: 'locked', detail: 'passphrase-protected (opened only for a file with age recipients)' })
    candidates.push({ info: { type: 'age', kind: 'age-locked-file', source: label, locked: true, note: 'passphrase-protected: recipients are known once it is unlocked' } })
    return
  }
  const { decryptIdentityFile } = await import('../../keys/age-encrypted-identity.js')
  try {
    const text = await decryptIdentityFile(bytes, () => Promise.resolve(opts.env.SOPS_LIKE_AGE_PASSPHRASE ?? promptSecret(`Passphrase for age identity file ${label}: `)))
    const keys = parseIdentityFile(text)
    sources.push({ ...base, state: keys.length ? 'found' : 'empty', count: keys.length, detail: 'passphrase-protected, unlocked' })
    candidates.push(...(await candidatesOf(keys, label, problems, warnings)))
  } catch (e) {
    const problem = describeError(e)
    sources.push({ ...base, state: 'error', detail: 'passphrase-protected', problem })
    problems.push(problem)
  }
}
