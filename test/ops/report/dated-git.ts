/**
 * A git repository with a scripted, dated history for the report tests (history, offboard
 * --history): commits at known author and committer dates (`days` ago, to the second, as git keeps
 * them), run with no identity anywhere, since the reports must work without a key.
 */
import { execFileSync } from 'node:child_process'
import type { TestKey } from '../../helpers/keys.js'

export const DAY = 86_400_000
/** No identity anywhere: the reports must work without a key. */
export const NOKEY = { HOME: '/nonexistent-home', XDG_CONFIG_HOME: '/nonexistent-home/.config', PATH: process.env.PATH ?? '', GIT_CONFIG_NOSYSTEM: '1' }
export const withKey = (k: TestKey) => ({ ...NOKEY, SOPS_AGE_KEY_FILE: k.file })
export const iso = (ms: number) => new Date(ms).toISOString()

/** git in the folder `cwd()` names (tests move between repositories), dated commits named for the assertions. */
export function datedGit(cwd: () => string, now: number) {
  const commits: Record<string, string> = {}
  /** `days` ago, to the second (git keeps seconds). */
  const ago = (days: number) => Math.floor((now - days * DAY) / 1000) * 1000
  function git(args: string[], when?: number): string {
    const date = when !== undefined ? `@${when / 1000} +0000` : undefined
    return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], {
      cwd: cwd(), env: { ...NOKEY, ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}) }, stdio: 'pipe',
    }).toString('utf8')
  }
  function commit(name: string, days: number): void {
    git(['add', '-A'])
    git(['commit', '-q', '-m', name], ago(days))
    commits[name] = git(['rev-parse', 'HEAD']).trim()
  }
  return { commits, ago, git, commit }
}
