/** The text form of a doctor report: numbered steps, one status tag per line (coloured only on a TTY without NO_COLOR). */
import type { CheckStatus, CredentialSource, DoctorReport, FileCheck, FoundIdentity, IdentitySource, RuleCheck, ServiceEntryCheck } from '../../ops/doctor/index.js'
import { showRef } from '../../ops/keys/recipient-diff.js'
import { useColor, type CliIo } from '../io.js'
import { terminalText } from '../printable.js'

const TAG: Record<CheckStatus, string> = { ok: 'ok', warn: 'warn', fail: 'FAIL', info: '-' }
const COLOR: Record<CheckStatus, string> = { ok: '32', warn: '33', fail: '31', info: '2' }

type Paint = { tag(s: CheckStatus): string; word(s: CheckStatus): string; head(s: string): string }

const painter = (color: boolean): Paint => {
  const word = (s: CheckStatus): string => (color ? `\x1b[${COLOR[s]}m${TAG[s]}\x1b[0m` : TAG[s])
  return {
    word,
    tag: (s) => word(s) + ' '.repeat(5 - TAG[s].length),
    head: (s) => (color ? `\x1b[1m${s}\x1b[0m` : s),
  }
}

const plural = (n: number, one: string, many = one + 's'): string => `${n} ${n === 1 ? one : many}`
const MORE = ' '.repeat(10)

function configLines(r: DoctorReport, p: Paint, n: number): string[] {
  const c = r.config
  const out = [p.head(`${n}. Config file`)]
  if (c.problem) {
    out.push(`  ${p.tag('fail')} ${c.problem.message}`)
    if (c.path) out.push(`${MORE}file: ${c.path}`)
  } else if (c.path) out.push(`  ${p.tag(c.status)} ${c.path}${c.ruleCount !== undefined ? ` (${plural(c.ruleCount, 'creation rule')})` : ''}`)
  else out.push(`  ${p.tag(c.status)} none found`)
  if (c.explicitFrom) out.push(`${MORE}given by ${c.explicitFrom}`)
  else out.push(`${MORE}searched for ${c.names.join(', ')} upwards from ${c.searchedFrom}${c.searched.length > 1 ? ` (${c.searched.length} folders, up to ${c.searched[c.searched.length - 1]})` : ''}`)
  if (c.untrusted) out.push(`${MORE}stopped at ${terminalText(c.untrusted)}: others can write it (or it is not yours), so a config there is not used; give it with --config if you trust it`)
  return out
}

function ruleLines(rule: RuleCheck, p: Paint, n: number): string[] {
  const out = [p.head(`${n}. Creation rule for ${rule.testedPath}`)]
  if (rule.problem) out.push(`  ${p.tag('fail')} ${rule.problem.message}`)
  else if (rule.index === undefined) out.push(`  ${p.tag(rule.status)} ${rule.note ?? 'no rule'}`)
  else {
    const re = rule.pathRegex ? `path_regex: ${rule.pathRegex}` : rule.pathRegex === '' ? "path_regex: '' matches every file" : 'no path_regex: matches every file'
    out.push(`  ${p.tag(rule.status)} creation_rules[${rule.index}] matches (${re})`)
    for (const [i, g] of (rule.keyGroups ?? []).entries()) {
      const pad = (rule.keyGroups?.length ?? 0) > 1 ? `${MORE}key group ${i}: ` : MORE
      if (g.age.length) out.push(`${pad}age: ${g.age.join(', ')}`)
      if (g.pgp.length) out.push(`${pad}pgp: ${g.pgp.join(', ')}`)
      if (g.unsupported.length) out.push(`${pad}not supported here: ${g.unsupported.join(', ')}`)
    }
    if (rule.shamirThreshold) out.push(`${MORE}shamir threshold: ${rule.shamirThreshold}`)
    if (rule.ageRecipientsFiles) out.push(`${MORE}age recipients files: ${rule.ageRecipientsFiles.join(', ')}`)
    if (rule.pgpKeyFiles) out.push(`${MORE}pgp key files: ${rule.pgpKeyFiles.join(', ')}`)
  }
  return out
}

function sourceLine(s: IdentitySource, p: Paint): string {
  const name = `${s.name}${s.path && s.path !== s.name ? ` (${s.path})` : ''}`
  const detail = s.detail ? `, ${s.detail}` : ''
  switch (s.state) {
    case 'found': return `  ${p.tag('ok')} ${name}: ${plural(s.count ?? 0, 'identity', 'identities')}${detail}`
    case 'empty': return s.name === 'gpg' ? `  ${p.tag('info')} ${name}: ${s.detail ?? 'no secret keys'}` : `  ${p.tag('warn')} ${name}: holds no identity${detail}`
    case 'not-set': return `  ${p.tag('info')} ${name}: not set`
    case 'absent': return `  ${p.tag('info')} ${name}: ${s.detail ?? 'not found'}`
    case 'locked': return `  ${p.tag('info')} ${name}: ${s.detail ?? 'passphrase-protected'}`
    default: return `  ${p.tag(s.problem ? 'fail' : 'warn')} ${name}: ${s.problem?.message ?? s.detail ?? 'unusable'}`
  }
}

const short = (s = ''): string => (s.length > 72 ? s.slice(0, 60) + '…' : s)

/** An identity by its public side: recipient, SSH key and fingerprint, or PGP fingerprints. */
function publicSide(id: FoundIdentity): string {
  const fp = id.fingerprints ?? []
  switch (id.kind) {
    case 'age-x25519': return `age ${id.recipient ?? '(malformed)'}`
    case 'age-pq': return `age post-quantum ${short(id.recipient) || '(malformed)'}`
    case 'age-plugin': return 'age plugin identity'
    case 'age-locked-file': return 'age identity file'
    case 'ssh-ed25519':
    case 'ssh-rsa': return `${short(id.recipient)} ${fp[0] ?? ''}`
    case 'x25519-from-ssh': return `age ${id.recipient} (X25519 derived from ssh-ed25519 ${fp[0] ?? ''})`
    default: return `pgp${id.kind === 'gpg' ? ' via gpg' : ''} ${fp.join(', ') || '(fingerprints unknown)'}`
  }
}

function identityLines(id: FoundIdentity, withFile: boolean): string[] {
  const extra = [id.locked ? 'passphrase-protected' : '', id.note ?? ''].filter(Boolean).join('; ')
  const out = [`  [${id.n}] ${publicSide(id)}${extra ? ` (${extra})` : ''}`, `${MORE}from ${id.source}`]
  if (id.userIds?.length) out.push(`${MORE}${id.userIds.join('; ')}`)
  if (!withFile) return out
  if (!id.matches?.length) out.push(`${MORE}matches no recipient of the file`)
  for (const m of id.matches ?? []) {
    const what = showRef({ type: m.type, id: m.id })
    out.push(`${MORE}${m.opened ? 'opens' : 'names but does not open'} ${what}${m.error ? `: ${m.error}` : ''}`)
  }
  return out
}

const SERVICE_WORD: Record<NonNullable<FileCheck['recipients'][number]['service']>, string> = {
  opened: 'opened by its key service', failed: 'its key service did not open it (see above)', timeout: 'its key service did not answer (see above)', unsupported: 'key kind not supported here',
}

const CRED_TAG: Record<CredentialSource['state'], CheckStatus> = { found: 'ok', 'not-set': 'info', absent: 'info', info: 'info', warn: 'warn' }
const CRED_WORD: Record<CredentialSource['state'], string> = { found: 'found', 'not-set': 'not set', absent: 'not found', info: '', warn: '' }

/** Per key-service entry: the credential sources its client would use, then whether the key answered. */
function serviceLines(list: ServiceEntryCheck[], p: Paint, n: number): string[] {
  const out = [p.head(`${n}. Key services`)]
  for (const s of list) {
    out.push(`  ${s.service} ${terminalText(s.id)}${new Set(list.map((x) => x.group)).size > 1 ? ` (group ${s.group})` : ''}`)
    if (s.credentials) {
      out.push(`    ${p.tag(s.credentials.found ? 'ok' : 'warn')} credentials ${s.credentials.found ? 'found' : 'not found'}`)
      for (const c of s.credentials.sources) out.push(`    ${MORE.slice(4)}${p.tag(CRED_TAG[c.state])} ${terminalText(c.name)}${CRED_WORD[c.state] ? `: ${CRED_WORD[c.state]}` : ''}${c.detail ? `${CRED_WORD[c.state] ? ', ' : ': '}${terminalText(c.detail)}` : ''}`)
    }
    const said = s.answer === 'opened' ? 'the key answered: entry opened' : s.answer === 'unsupported' ? s.error ?? 'not supported' : `the key did not open the entry: ${terminalText(s.error ?? s.answer)}`
    out.push(`    ${p.tag(s.status)} ${said}`)
  }
  return out
}

function fileLines(f: FileCheck, p: Paint, n: number): string[] {
  const out = [p.head(`${n}. File ${f.path}`)]
  if (f.encrypted) out.push(`  ${p.tag('ok')} ${f.format} file, encrypted (lastmodified ${f.lastmodified}${f.shamirThreshold ? `, shamir threshold ${f.shamirThreshold}` : ''})`)
  if (f.recipients.length) {
    const groups = new Set(f.recipients.map((r) => r.group)).size
    for (const r of f.recipients) {
      const status: CheckStatus = r.openedBy.length ? 'ok' : 'info'
      const who = r.service ? SERVICE_WORD[r.service] : r.openedBy.length ? `opened by ${r.openedBy.map((n) => `[${n}]`).join(' ')}` : r.supported ? 'no identity here opens it' : 'key kind not supported here'
      out.push(`  ${p.tag(r.service === 'opened' ? 'ok' : status)} recipient ${groups > 1 ? `(group ${r.group}) ` : ''}${terminalText(showRef({ type: r.type, id: r.id }))}: ${who}`)
    }
  }
  if (f.dataKey !== 'not-tried') out.push(`  ${p.tag(f.dataKey === 'unwrapped' ? 'ok' : 'fail')} data key ${f.dataKey === 'unwrapped' ? 'unwrapped' : 'not recovered'}`)
  if (f.mac !== 'not-checked') out.push(`  ${p.tag(f.mac === 'verified' ? 'ok' : 'fail')} values and MAC ${f.mac === 'verified' ? 'verified' : 'do not verify'}`)
  if (f.problem) out.push(`  ${p.tag('fail')} ${f.problem.message}`)
  if (f.problem?.code === 'NO_MATCHING_KEY') out.push(`${MORE}the file is encrypted only to the recipients above: someone who can open it must add one of`, `${MORE}your recipients (sops-like rotate --add-age …, or add it to the creation rule and run updatekeys)`)
  return out
}

export function renderDoctor(r: DoctorReport, io: CliIo): string {
  const p = painter(useColor(io, 'stdout'))
  let n = 0
  const out = [...configLines(r, p, ++n), '']
  if (r.rule) out.push(...ruleLines(r.rule, p, ++n), '')
  out.push(p.head(`${++n}. Identities`), ...r.identities.sources.map((s) => sourceLine(s, p)))
  if (r.identities.found.length) {
    out.push('', `  found (public side only${r.file?.encrypted ? '; what each one opens in the file' : ''}):`)
    for (const id of r.identities.found) out.push(...identityLines(id, !!r.file?.encrypted))
  } else out.push(r.services?.length ? `  ${p.tag(r.identities.status === 'fail' ? 'fail' : 'info')} no age or PGP identity found (the file's key services are checked below)` : `  ${p.tag('fail')} no identity found`)
  out.push('')
  if (r.services?.length) out.push(...serviceLines(r.services, p, ++n), '')
  if (r.file) out.push(...fileLines(r.file, p, ++n), '')
  if (r.git) out.push(p.head(`${++n}. Git integration (${r.git.root})`), ...r.git.lines.map((l) => `  ${p.tag(l.status)} ${l.text}`), ...(r.git.fix ? [`${MORE}fix: ${r.git.fix}`] : []), '')
  if (r.warnings.length) out.push(p.head('Warnings'), ...r.warnings.map((w) => `  ${p.tag('warn')} ${w}`), '')
  out.push(r.ok ? `Result: ${p.word('ok')}` : `Result: ${p.word('fail')} (exit ${r.exitCode}): ${r.problems[0]?.message ?? ''}`)
  return out.join('\n') + '\n'
}
