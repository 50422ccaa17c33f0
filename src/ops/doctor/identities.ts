/**
 * `doctor`, step 3: every identity decrypt would use, source by source, described by
 * its public side (age recipient, SSH public key and fingerprint, PGP fingerprints),
 * plus a trial identity per entry that step 4 tries on the file. The trial objects
 * hold key material and never go into the report.
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { NoIdentityError, RecipientError } from '../../errors.js'
import { createAgeIdentity } from '../../keys/age.js'
import { findSshIdentities, SSH_KEY_FILE_ENV, type FoundSshIdentity } from '../../keys/ssh-find.js'
import { gpgAvailable, gpgProgram } from '../../keys/gpg.js'
import type { Identity, KeyEntry } from '../../keys/key-source.js'
import { describeError } from '../keys/batch.js'
import { ageIdentities } from './age.js'
import type { Candidate } from './candidate.js'
import { gpgSecretKeys, pgpKeyFileFacts, type PgpKeyFacts } from './pgp.js'
import type { CheckStatus, DoctorProblem, FoundIdentity, IdentityCheck, IdentitySource } from './report.js'
import { defined } from '../../defined.js'

export interface GatherOptions {
  env: NodeJS.ProcessEnv
  home: string
  /** The file's master-key entries; undefined when no file was given. */
  entries?: KeyEntry[]
  /** Armored PGP private key file (else SOPS_LIKE_PGP_KEY_FILE). */
  pgpKeyFile?: string
}

export interface Gathered {
  check: IdentityCheck
  /** Trial identities by FoundIdentity.n. */
  trials: Map<number, { identity: Identity; accepts?: (e: KeyEntry) => boolean }>
  problems: DoctorProblem[]
  warnings: string[]
}

async function sshIdentities(env: NodeJS.ProcessEnv, home: string, warnings: string[]): Promise<{ sources: IdentitySource[]; candidates: Candidate[] }> {
  const found = await findSshIdentities(env, { homedir: home, onNote: (l) => warnings.push(l) })
  const sources: IdentitySource[] = []
  const candidates: Candidate[] = []
  const placed = new Set<string>()
  const explicit = env[SSH_KEY_FILE_ENV]
  const list: Array<{ name: string; path?: string }> = [
    { name: SSH_KEY_FILE_ENV, path: explicit }, // unset or '': not set (below)
    { name: '~/.ssh/id_ed25519', path: join(home, '.ssh', 'id_ed25519') },
    { name: '~/.ssh/id_rsa', path: join(home, '.ssh', 'id_rsa') },
  ]
  for (const { name, path } of list) {
    if (!path) { sources.push({ name, kind: 'ssh', state: 'not-set' }); continue }
    const abs = resolve(path)
    const mine = found.filter((f) => resolve(f.details.path) === abs)
    if (mine.length) {
      sources.push({ name, kind: 'ssh', path, state: 'found', count: mine.length, detail: `${mine[0]!.details.type}${mine[0]!.details.encrypted ? ', passphrase-protected (asked for only when an entry needs it)' : ''}` })
      if (!placed.has(abs)) candidates.push(...mine.map((f) => sshCandidate(f, `${name} (${path})`)))
      placed.add(abs)
    } else if (!existsSync(path)) sources.push({ name, kind: 'ssh', path, state: name === SSH_KEY_FILE_ENV ? 'error' : 'absent', ...defined({ detail: name === SSH_KEY_FILE_ENV ? 'file not found' : undefined }) })
    else sources.push({ name, kind: 'ssh', path, state: 'error', detail: 'not usable (see warnings)' })
  }
  return { sources, candidates }
}

function sshCandidate(f: FoundSshIdentity, source: string): Candidate {
  const d = f.details
  const derived = d.stanza === 'X25519'
  const info: Candidate['info'] = {
    type: 'age',
    kind: derived ? 'x25519-from-ssh' : d.type,
    source,
    recipient: derived ? d.ageRecipient! : d.publicKey,
    fingerprints: [d.fingerprint],
    ...defined({ locked: d.encrypted || undefined }),
  }
  return {
    info,
    trial: createAgeIdentity([f.identity], source),
    // as decrypt: a locked key's derived age1 identity only meets entries written to it
    ...defined({ accepts: derived && d.encrypted ? (e: KeyEntry) => e.fields.recipient?.trim() === d.ageRecipient : undefined }),
  }
}

const pgpInfo = (kind: 'pgp-key-file' | 'gpg', source: string, keys: PgpKeyFacts[]): Candidate['info'] => {
  const userIds = keys.flatMap((k) => (k.userId ? [k.userId] : []))
  return {
    type: 'pgp',
    kind,
    source,
    fingerprints: keys.flatMap((k) => k.fingerprints),
    ...defined({ userIds: userIds.length ? userIds : undefined, locked: keys.some((k) => k.locked) || undefined }),
  }
}

async function pgpIdentities(opts: GatherOptions, wantTrials: boolean, problems: DoctorProblem[], warnings: string[]): Promise<{ sources: IdentitySource[]; candidates: Candidate[] }> {
  const { env } = opts
  const sources: IdentitySource[] = []
  const candidates: Candidate[] = []
  const keyFile = opts.pgpKeyFile || env.SOPS_LIKE_PGP_KEY_FILE
  const haveGpg = gpgAvailable(env)
  // the same identities decrypt builds: the key file first, then gpg
  const trials = wantTrials ? (await import('../../keys/pgp.js')).createPgpIdentities(env, defined({ keyFile })) : []
  if (!keyFile) sources.push({ name: 'SOPS_LIKE_PGP_KEY_FILE', kind: 'pgp', state: 'not-set' })
  else {
    try {
      const keys = (await pgpKeyFileFacts(keyFile)).filter((k) => k.private)
      if (!keys.length) throw new RecipientError(`PGP key file ${keyFile} holds no private key`)
      sources.push({ name: 'SOPS_LIKE_PGP_KEY_FILE', kind: 'pgp', path: keyFile, state: 'found', count: keys.length, ...defined({ detail: keys.some((k) => k.locked) ? 'passphrase-protected' : undefined }) })
      candidates.push({ info: pgpInfo('pgp-key-file', `SOPS_LIKE_PGP_KEY_FILE (${keyFile})`, keys), ...defined({ trial: trials[0] }) })
    } catch (e) {
      const problem = describeError(e)
      sources.push({ name: 'SOPS_LIKE_PGP_KEY_FILE', kind: 'pgp', path: keyFile, state: 'error', problem })
      problems.push(problem)
    }
  }
  const program = gpgProgram(env)
  if (!haveGpg) {
    sources.push({ name: 'gpg', kind: 'pgp', path: program, state: 'absent', detail: `${program} not found${program.includes('/') ? '' : ' on PATH'}` })
    return { sources, candidates }
  }
  const gpgTrial = trials[keyFile ? 1 : 0]
  const keyring = env.GNUPGHOME || join(opts.home, '.gnupg')
  const source = `gpg (${program}, keyring ${keyring})`
  if (!existsSync(keyring)) {
    // nothing to list, and running gpg would create the folder
    sources.push({ name: 'gpg', kind: 'pgp', path: program, state: 'empty', detail: `no keyring (${keyring} does not exist)` })
    return { sources, candidates }
  }
  try {
    const keys = await gpgSecretKeys(env)
    sources.push({ name: 'gpg', kind: 'pgp', path: program, state: keys.length ? 'found' : 'empty', count: keys.length })
    if (keys.length) candidates.push({ info: pgpInfo('gpg', source, keys), ...defined({ trial: gpgTrial }) })
  } catch (e) {
    const { message } = describeError(e)
    warnings.push(message)
    sources.push({ name: 'gpg', kind: 'pgp', path: program, state: 'error', detail: 'its secret keys could not be listed' })
    candidates.push({ info: { type: 'pgp', kind: 'gpg', source, note: 'secret keys could not be listed' }, ...defined({ trial: gpgTrial }) })
  }
  return { sources, candidates }
}

/** Every identity source and identity, in the order decrypt uses them (age, SSH, then PGP). */
export async function gatherIdentities(opts: GatherOptions): Promise<Gathered> {
  const { env, entries } = opts
  const types = new Set((entries ?? []).map((e) => e.type))
  const warnings: string[] = []
  const hint = entries?.find((e) => e.type === 'age')?.fields.recipient
  const age = await ageIdentities({ env, home: opts.home, unlock: types.has('age'), ...defined({ recipientHint: hint }) })
  const problems = [...age.problems]
  warnings.push(...age.warnings)
  const ssh = await sshIdentities(env, opts.home, warnings)
  const pgp = await pgpIdentities(opts, types.has('pgp'), problems, warnings)
  const all = [...age.candidates, ...ssh.candidates, ...pgp.candidates]
  const trials: Gathered['trials'] = new Map()
  const found: FoundIdentity[] = all.map((c, i) => {
    if (c.trial) trials.set(i + 1, { identity: c.trial, ...defined({ accepts: c.accepts }) })
    return { n: i + 1, ...c.info }
  })
  if (!found.length) problems.push(describeError(new NoIdentityError('no identity found: set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY, create ~/.config/sops/age/keys.txt (sops-like keygen), or see the sources above')))
  const sources = [...age.sources, ...ssh.sources, ...pgp.sources]
  const status: CheckStatus = problems.length ? 'fail' : sources.some((s) => s.state === 'error') || warnings.length ? 'warn' : 'ok'
  return { check: { status, sources, found }, trials, problems, warnings }
}
