/**
 * A team in real git, for the test/team suites: a bare origin and three people
 * (alice, bob, carol), each with their own HOME, age key (SOPS_AGE_KEY_FILE) and
 * clone (own git user, drivers and hooks set up with the BUILT CLI: `node
 * bin/sops-like.cjs`, so run `npm run build` first). Building a team from scratch
 * spawns a dozen processes, so `Team.template()` builds one per suite and
 * `template.fork()` copies it for each test (cheap: a file copy and three
 * `git remote set-url`).
 *
 * Typical use:
 *   const tpl = await Team.template({ files: { 'secrets.enc.yaml': 'a: 1\n' } })
 *   const team = tpl.fork()
 *   team.cli('alice', ['set', 'secrets.enc.yaml', '["a"]', '"2"'])
 *   team.commit('alice', 'change a'); team.push('alice')
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatForPath } from '../../src/formats/index.js'
import { unwrapDataKey } from '../../src/core/data-key.js'
import { loadIdentities } from '../../src/keys/identities.js'
import { entryId } from '../../src/keys/key-source.js'
import { parseEncrypted } from '../../src/ops/crypt/decrypt.js'
import { makeAgeKey, tempDir } from '../helpers/keys.js'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = join(ROOT, 'bin', 'sops-like.cjs')
/** What git runs as the drivers and hooks: the built CLI. */
export const COMMAND = `'${process.execPath}' '${BIN}'`

/** Whether the built CLI exists (team suites skip with one line when it does not). */
export const built = (): boolean => existsSync(join(ROOT, 'dist', 'cli', 'main.cjs'))

export type Name = 'alice' | 'bob' | 'carol'
export const NAMES: readonly Name[] = ['alice', 'bob', 'carol']

export interface Member {
  name: Name
  home: string
  /** The age identity file (SOPS_AGE_KEY_FILE). */
  keyFile: string
  recipient: string
  /** The clone. */
  repo: string
}

export interface Out { code: number; stdout: string; stderr: string }

export interface TemplateOptions {
  /** Plaintext files alice encrypts and commits in the first commit (names must match the creation rule). */
  files?: Record<string, string>
  /** The creation rule's path_regex (default: `\.enc\.`). */
  pathRegex?: string
  /** Who the rule encrypts to (default: all three). */
  recipients?: Name[]
  /** Install the hooks (`git hook install`) in every clone (default true). */
  hooks?: boolean
  /** Members whose clone gets neither `git setup` nor hooks (a clone nobody set up; not alice). */
  unconfigured?: Array<'bob' | 'carol'>
}

export class Team {
  private constructor(readonly root: string, readonly members: Record<Name, Member>, private readonly cleanupFn: () => void) {}

  get origin(): string { return join(this.root, 'origin.git') }

  /** A fully set-up team (origin, three clones, first commit pushed). */
  static async template(opts: TemplateOptions = {}): Promise<Team> {
    const t = tempDir('sops-like-team-')
    const members = {} as Record<Name, Member>
    for (const name of NAMES) {
      const home = join(t.dir, name, 'home')
      mkdirSync(join(home, '.config'), { recursive: true })
      const key = await makeAgeKey(home, 'age-key')
      members[name] = { name, home, keyFile: key.file, recipient: key.recipient, repo: join(t.dir, name, 'repo') }
    }
    const team = new Team(t.dir, members, t.cleanup)
    team.run(t.dir, ['init', '-q', '--bare', '-b', 'main', 'origin.git'])
    const alice = members.alice
    team.run(t.dir, ['clone', '-q', team.origin, alice.repo], 'alice')
    team.configure('alice')
    const who = (opts.recipients ?? [...NAMES]).map((n) => members[n].recipient).join(',')
    writeFileSync(join(alice.repo, '.sops-like.yaml'), `creation_rules:\n  - path_regex: ${opts.pathRegex ?? '\\.enc\\.'}\n    age: ${who}\n`)
    team.setup('alice', opts.hooks ?? true)
    for (const [name, text] of Object.entries(opts.files ?? {})) {
      writeFileSync(join(alice.repo, name), text)
      team.cli('alice', ['encrypt', '-i', name])
    }
    team.git('alice', ['add', '-A'])
    team.git('alice', ['commit', '-q', '-m', 'initial'])
    team.push('alice')
    for (const name of ['bob', 'carol'] as const) {
      team.run(t.dir, ['clone', '-q', team.origin, members[name].repo], name)
      team.configure(name)
      if (!opts.unconfigured?.includes(name)) team.setup(name, opts.hooks ?? true)
    }
    return team
  }

  /** An independent copy of this team (own root; remotes rewired to the copy's origin). */
  fork(): Team {
    const t = tempDir('sops-like-team-')
    cpSync(this.root, t.dir, { recursive: true, preserveTimestamps: true })
    const members = {} as Record<Name, Member>
    for (const name of NAMES) {
      const m = this.members[name]
      const move = (p: string) => join(t.dir, p.slice(this.root.length))
      members[name] = { ...m, home: move(m.home), keyFile: move(m.keyFile), repo: move(m.repo) }
    }
    const team = new Team(t.dir, members, t.cleanup)
    for (const name of NAMES) team.git(name, ['remote', 'set-url', 'origin', team.origin])
    return team
  }

  cleanup(): void { this.cleanupFn() }

  /** The member's environment: own HOME, own key, nothing else from the caller's. */
  env(name: Name, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const m = this.members[name]
    return {
      PATH: process.env.PATH ?? '',
      HOME: m.home,
      XDG_CONFIG_HOME: join(m.home, '.config'),
      XDG_CACHE_HOME: join(this.root, 'cache'), // the bundle's code cache, shared by the team (speed)
      SOPS_AGE_KEY_FILE: m.keyFile,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_PAGER: 'cat',
      PAGER: 'cat',
      GIT_EDITOR: 'true',
      LANG: 'C',
      ...extra,
    }
  }

  /** Runs git in `cwd` as `name` (no assertion). */
  run(cwd: string, args: string[], name: Name = 'alice', extra: NodeJS.ProcessEnv = {}): Out {
    const r = spawnSync('git', args, { cwd, env: this.env(name, extra), encoding: 'utf8' })
    const out = { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr }
    return out
  }

  /** Runs git in the member's clone; throws unless it exits 0 (or `allowFail`). */
  git(name: Name, args: string[], o: { allowFail?: boolean; env?: NodeJS.ProcessEnv } = {}): Out {
    const r = this.run(this.members[name].repo, args, name, o.env)
    if (!o.allowFail && r.code !== 0) throw new Error(`${name}: git ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`)
    return r
  }

  /** Runs the built CLI in the member's clone; throws unless it exits `expect` (default 0; null: any). */
  cli(name: Name, args: string[], o: { expect?: number | null; env?: NodeJS.ProcessEnv; input?: string } = {}): Out {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: this.members[name].repo, env: this.env(name, o.env), encoding: 'utf8', input: o.input ?? '' })
    const out = { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr }
    const expect = o.expect === undefined ? 0 : o.expect
    if (expect !== null && out.code !== expect) throw new Error(`${name}: sops-like ${args.join(' ')} exited ${out.code} (expected ${expect}): ${out.stderr.trim()}`)
    return out
  }

  /** `sops-like decrypt FILE` as the member: the plaintext (throws if it does not decrypt). */
  decrypt(name: Name, file: string): string { return this.cli(name, ['decrypt', file]).stdout }

  /** Decrypts a file's text (e.g. from `show`) as the member, outside any clone; `null` when it does not decrypt. */
  decryptText(name: Name, text: string, ext = 'yaml'): string | null {
    const file = join(this.root, `${name}-view.${ext}`)
    writeFileSync(file, text)
    try {
      const r = this.cli(name, ['decrypt', file], { expect: null })
      return r.code === 0 ? r.stdout : null
    } finally {
      rmSync(file, { force: true })
    }
  }

  /** Sets one top-level key of an encrypted file (`sops-like set`). */
  set(name: Name, file: string, key: string, value: string): void { this.cli(name, ['set', file, `["${key}"]`, JSON.stringify(value)]) }

  /** `git add -A && git commit` as the member. */
  commit(name: Name, message: string): void {
    this.git(name, ['add', '-A'])
    this.git(name, ['commit', '-q', '-m', message])
  }

  push(name: Name, ...args: string[]): void { this.git(name, ['push', '-q', 'origin', ...(args.length ? args : ['HEAD'])]) }

  /** `git pull` with the given flags (e.g. --no-rebase, --rebase); no assertion on the exit code. */
  pull(name: Name, ...flags: string[]): Out { return this.git(name, ['pull', '-q', ...flags, 'origin', 'main'], { allowFail: true }) }

  /** `git merge --no-edit REF`; no assertion on the exit code. */
  merge(name: Name, ref: string, ...flags: string[]): Out { return this.git(name, ['merge', '--no-edit', ...flags, ref], { allowFail: true }) }

  /** A file of the member's clone (working tree). */
  read(name: Name, file: string): string { return readFileSync(join(this.members[name].repo, file), 'utf8') }
  write(name: Name, file: string, text: string): void { writeFileSync(join(this.members[name].repo, file), text) }

  /** A file at a revision (`git show REV:FILE`). */
  show(name: Name, rev: string, file: string): string { return this.git(name, ['show', `${rev}:${file}`]).stdout }

  /** The recipients a file's text is encrypted to (from its metadata; the format from `file`'s name). */
  static async recipients(text: string, file = 'x.yaml'): Promise<string[]> {
    const { metadata } = await parseEncrypted(Buffer.from(text), formatForPath(file))
    return metadata.keyGroups.flat().map(entryId).sort()
  }

  /** The data key of a file's text as the member's key opens it (hex; throws when it does not open). */
  async dataKey(name: Name, text: string, file = 'x.yaml'): Promise<string> {
    const { metadata } = await parseEncrypted(Buffer.from(text), formatForPath(file))
    const ids = await loadIdentities(metadata.keyGroups.flat(), { env: this.env(name) })
    return Buffer.from(await unwrapDataKey(metadata.keyGroups, metadata.shamirThreshold, ids)).toString('hex')
  }

  private configure(name: Name): void {
    this.git(name, ['config', 'user.name', name])
    this.git(name, ['config', 'user.email', `${name}@example.com`])
    this.git(name, ['config', 'commit.gpgsign', 'false'])
    this.git(name, ['config', 'pull.rebase', 'false'])
  }

  private setup(name: Name, hooks: boolean): void {
    this.cli(name, ['git', 'setup', '--command', COMMAND])
    if (hooks) this.cli(name, ['git', 'hook', 'install', '--command', COMMAND])
  }
}
