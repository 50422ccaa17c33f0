/** Real git repositories for the guard and clone set-up tests: an isolated HOME, the CLI from source as the drivers' and hook's command. */
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'
import { isolatedEnv, runCli, type CliResult } from './cli.js'

const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href
const ENTRY = fileURLToPath(new URL('./cli-entry.ts', import.meta.url))
/** What git runs for the drivers and the hook: the CLI from source. */
export const CMD = `'${process.execPath}' --import ${TSX} '${ENTRY}'`

export interface Out { code: number; stdout: string; stderr: string }

export class Repos {
  private n = 0
  readonly home: string
  constructor(readonly dir: string, readonly keyFile?: string) {
    this.home = join(dir, 'home')
    mkdirSync(this.home, { recursive: true })
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return isolatedEnv({
      HOME: this.home, XDG_CONFIG_HOME: join(this.home, '.config'), GIT_CONFIG_NOSYSTEM: '1', GIT_PAGER: 'cat', PAGER: 'cat',
      GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com',
      ...(this.keyFile ? { SOPS_AGE_KEY_FILE: this.keyFile } : {}), ...extra,
    })
  }

  git(repo: string, args: string[], env = this.env()): Out {
    const r = spawnSync('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: repo, env, encoding: 'utf8' })
    return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr }
  }

  ok(repo: string, args: string[], env = this.env()): string {
    const r = this.git(repo, args, env)
    assert.is(r.code, 0, `git ${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }

  /** A new repository holding `config` as .sops-like.yaml (not committed). */
  repo(config?: string): string {
    const repo = join(this.dir, `repo${this.n++}`)
    mkdirSync(repo)
    this.ok(repo, ['init', '-q', '-b', 'main'])
    if (config !== undefined) writeFileSync(join(repo, '.sops-like.yaml'), config)
    return repo
  }

  cli(repo: string, args: string[], env = this.env()): Promise<CliResult> {
    return runCli(args, { cwd: repo, env })
  }

  async cliOk(repo: string, args: string[], env = this.env()): Promise<CliResult> {
    const r = await this.cli(repo, args, env)
    assert.is(r.code, 0, `sops-like ${args.join(' ')}: ${r.stderr}`)
    return r
  }
}
