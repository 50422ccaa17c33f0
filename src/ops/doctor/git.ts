/**
 * `doctor`'s git section: is this clone set up for the team workflow? The diff and
 * merge drivers in git config (git clone never copies them), no `cachetextconv`, the
 * pre-commit guard installed (our hook, a committed `core.hooksPath` folder, or the
 * pre-commit framework), and `.gitattributes` covering what the creation rules and the
 * check set cover. Each shortfall is a warning with the one command that fixes it; it
 * never fails the run (decryption does not depend on it). Reads only.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import type { GitCheck, GitLine } from './report.js'
import { attributeLines, repoDirs } from '../git/clone-setup.js'
import { gitConfigGet, runGit, type GitRunOptions } from '../../io/git-exec.js'
import { HOOK_MARKER } from '../git/hook.js'
import { DEFAULT_HOOKS_DIR, driverConfig, hasLine, plannedGlobs } from '../git/setup.js'
import { defined } from '../../defined.js'

/** The git section for the repository containing `cwd`, or undefined outside one. */
export function checkGit(cwd: string, opts: { env?: NodeJS.ProcessEnv; configPath?: string } = {}): GitCheck | undefined {
  const o: GitRunOptions = { cwd, ...defined({ env: opts.env }) }
  let dirs
  try { dirs = repoDirs(o) } catch { return undefined } // git not installed
  if (!dirs) return undefined
  const lines: GitLine[] = []
  const fixes = new Set<string>()
  const attrs = attributeLines(dirs.root, dirs.gitDir)

  // drivers
  for (const [key] of driverConfig()) {
    if (key.endsWith('.name')) continue
    const v = gitConfigGet(key, o)
    if (v !== undefined) lines.push({ status: 'ok', text: `${key} = ${v}` })
    else {
      lines.push({ status: attrs.length ? 'warn' : 'info', text: `${key} is not set${attrs.length ? ' but .gitattributes names the driver (git clone does not copy git config)' : ''}` })
      fixes.add('sops-like git setup')
    }
  }
  if (gitConfigGet('diff.sops-like.cachetextconv', o) !== undefined) {
    lines.push({ status: 'warn', text: 'diff.sops-like.cachetextconv is set: git keeps decrypted text inside .git' })
    fixes.add('sops-like git setup')
  }

  // hook
  const hooksPath = gitConfigGet('core.hooksPath', o)
  const hookRel = runGit(['rev-parse', '--git-path', 'hooks/pre-commit'], o)
  const hook = hookRel.status === 0 ? resolve(cwd, hookRel.stdout.toString('utf8').trim()) : join(dirs.gitDir, 'hooks', 'pre-commit')
  let hookText = ''
  try { hookText = readFileSync(hook, 'utf8') } catch { /* absent */ }
  const shownHook = relative(cwd, hook) || hook
  const framework = (() => { try { return readFileSync(join(dirs.root, '.pre-commit-config.yaml'), 'utf8').includes('sops-like check') } catch { return false } })()
  if (hookText.includes(HOOK_MARKER)) lines.push({ status: 'ok', text: `pre-commit guard installed: ${shownHook}${hooksPath ? ` (core.hooksPath = ${hooksPath})` : ''}` })
  else if (framework && hookText) lines.push({ status: 'ok', text: `pre-commit guard: .pre-commit-config.yaml runs sops-like check (${shownHook})` })
  else {
    const committed = !hooksPath && existsSync(join(dirs.root, DEFAULT_HOOKS_DIR, 'pre-commit'))
    const fix = committed ? 'sops-like git setup --hooks-path' : framework ? 'pre-commit install' : 'sops-like git hook install'
    lines.push({ status: 'warn', text: `no pre-commit guard in ${shownHook}${committed ? ` (${DEFAULT_HOOKS_DIR}/pre-commit is committed but this clone does not use it)` : ''}` })
    fixes.add(fix)
  }

  // attributes vs rules and the check set
  try {
    const planned = plannedGlobs({ cwd, ...defined({ env: opts.env, configPath: opts.configPath }) }, dirs.root)
    const text = (() => { try { return readFileSync(join(dirs.root, '.gitattributes'), 'utf8') } catch { return '' } })()
    const have = text.split(/\r?\n/)
    const missing = planned.globs.filter((g) => !hasLine(have, g))
    if (!planned.globs.length) lines.push({ status: 'info', text: 'no creation rule gives a file pattern for .gitattributes' })
    else if (missing.length) {
      lines.push({ status: 'warn', text: `.gitattributes lacks the drivers for ${missing.join(' ')} (what the creation rules and check set cover)` })
      fixes.add('sops-like git setup')
    } else lines.push({ status: 'ok', text: `.gitattributes covers what the creation rules and check set cover (${planned.globs.length} pattern${planned.globs.length === 1 ? '' : 's'})` })
    for (const s of planned.skipped) lines.push({ status: 'info', text: `not expressible as a glob: ${s}` })
  } catch (e) {
    lines.push({ status: 'info', text: `attributes not compared with the rules (${e instanceof Error && (e as { code?: unknown }).code ? e.message : 'the config could not be read'})` })
  }
  const out: GitCheck = { root: dirs.root, lines }
  if (fixes.size) {
    // git setup --hooks-path also installs the hook: one command then fixes everything
    const f = [...fixes]
    out.fix = f.includes('sops-like git setup --hooks-path') ? 'sops-like git setup --hooks-path' : f.join(' && ')
  }
  return out
}
