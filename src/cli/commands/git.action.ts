/** Actions of the git commands: map flags to src/ops and render results (each loads only its own op). */
import { CheckFailedError, UsageError } from '../../errors.js'
import { defined } from '../../defined.js'
import { list, type CliIo } from '../io.js'

const note = (io: CliIo, line: string) => { io.stderr.write(`sops-like: ${line}\n`) }
/** `--command` (default sops-like); '' would write hooks and drivers that run nothing, so it counts as not given. */
const commandFlag = (c: string | undefined) => c || undefined

/** `textconv FILE`: always exits 0; notes only with SOPS_LIKE_DEBUG. */
export async function runTextconv(file: string, flags: { inputType?: string }, io: CliIo): Promise<number> {
  const debug = io.env.SOPS_LIKE_DEBUG ? (line: string) => note(io, line) : undefined
  try {
    const { textconvFile } = await import('../../ops/git/textconv.js')
    const { resolve } = await import('node:path')
    const r = await textconvFile(resolve(io.cwd, file), { env: io.env, cwd: io.cwd, ...defined({ inputType: flags.inputType, onDebug: debug }) })
    io.stdout.write(r.output)
  } catch (e) {
    debug?.(`textconv: ${e instanceof Error ? e.message : 'error'}`)
  }
  await setupNotice(io)
  return 0
}

/** textconv and the merge driver: one line (at most once a minute) when this clone lacks the driver config its .gitattributes needs. */
async function setupNotice(io: CliIo): Promise<void> {
  try {
    const { cloneSetupNoticeOnce } = await import('../../ops/git/clone-setup.js')
    const line = cloneSetupNoticeOnce({ cwd: io.cwd, env: io.env })
    if (line) note(io, line)
  } catch { /* never fail a diff or a merge over a notice */ }
}

export async function runGitSetup(flags: { global?: boolean; pattern?: string[]; command?: string; config?: string; hooksPath?: string | boolean }, io: CliIo): Promise<number> {
  const { gitSetup } = await import('../../ops/git/setup.js')
  const patterns = list(flags.pattern)
  const r = gitSetup({
    cwd: io.cwd,
    env: io.env,
    ...defined({
      global: flags.global,
      patterns,
      command: commandFlag(flags.command),
      configPath: flags.config,
      // a bare --hooks-path (true) is '': the default folder
      hooksPath: typeof flags.hooksPath === 'string' ? flags.hooksPath : flags.hooksPath !== undefined ? '' : undefined,
    }),
  })
  for (const c of r.catchAll) io.stdout.write(`${c}\n`)
  for (const s of r.skipped) note(io, `skipped ${s}`)
  for (const n of r.notes) note(io, n)
  if (!r.changes.length) io.stdout.write('git setup: nothing to change, already set up\n')
  for (const c of r.changes) io.stdout.write(`${c}\n`)
  return 0
}

/** The merge driver: 0 when merged, 1 on a conflict or any failure, 45 when refused (git reports a conflict for any non-zero exit and keeps %A). */
export async function runGitMerge(given: { base: string; ours: string; theirs: string; path?: string | undefined; inputType?: string | undefined }, io: CliIo): Promise<number> {
  // an empty %P names no path: the format then comes from ours
  const args = { base: given.base, ours: given.ours, theirs: given.theirs, ...defined({ path: given.path || undefined, inputType: given.inputType }) }
  const name = args.path ?? args.ours
  await setupNotice(io)
  try {
    const { gitMergeFiles } = await import('../../ops/git/merge.js')
    const r = await gitMergeFiles({ ...args, cwd: io.cwd, env: io.env, onNote: (l) => note(io, l) })
    if (r.status === 'conflict') {
      const left = r.resealed ? 'the file is left as ours, re-encrypted to the merged recipients under a new data key' : 'the file is left as ours'
      note(io, `merge conflict in ${name}: ${r.conflicts.join(', ')} changed on both sides (${left}; edit it with sops-like edit, then git add)`)
      return 1
    }
    if (r.status === 'fallback') {
      if (!r.clean) note(io, `${name} is not encrypted: merged line by line, with conflicts`)
      return r.clean ? 0 : 1
    }
    for (const n of r.notes) note(io, n)
    return 0
  } catch (e) {
    const msg = e instanceof Error && typeof (e as { code?: unknown }).code === 'string' ? e.message : 'internal error (run with SOPS_LIKE_DEBUG=1 for details)'
    note(io, `cannot merge ${name}: ${msg}`)
    if (io.env.SOPS_LIKE_DEBUG && e instanceof Error && e.stack) io.stderr.write(e.stack + '\n')
    return (e as { code?: unknown }).code === 'MERGE_REFUSED' ? 45 : 1
  }
}

export async function runHookInstall(flags: { command?: string }, io: CliIo): Promise<number> {
  const { installGitHooks } = await import('../../ops/git/hook.js')
  for (const r of installGitHooks({ cwd: io.cwd, env: io.env, ...defined({ command: commandFlag(flags.command) }) })) {
    if (r.action === 'unchanged') io.stdout.write(`${r.hook} hook already installed: ${r.path}\n`)
    else if (r.action === 'chained') io.stdout.write(`installed ${r.path}; the previous hook moved to ${r.previous} and runs first\n`)
    else io.stdout.write(`installed ${r.path}\n`)
  }
  return 0
}

export async function runHookUninstall(io: CliIo): Promise<number> {
  const { uninstallGitHooks } = await import('../../ops/git/hook.js')
  let foreign = 0
  for (const r of uninstallGitHooks({ cwd: io.cwd, env: io.env })) {
    if (r.action === 'removed') io.stdout.write(`removed ${r.path}\n`)
    else if (r.action === 'restored') io.stdout.write(`removed ${r.path}; the hook it ran first is back in its place\n`)
    else if (r.action === 'foreign') {
      foreign++
      note(io, `left ${r.path}: it is not the hook sops-like installs (another tool's, a link, or edited by hand); remove it by hand if you mean to`)
    }
  }
  return foreign ? 1 : 0
}

/** `check --since REV`: recipients or data keys that went backwards in REV..HEAD (exit 40 when any did). */
async function runCheckSince(files: string[], since: string | undefined, io: CliIo): Promise<number> {
  const { checkKeyRegressions } = await import('../../ops/git/key-regression.js')
  // --since REV, or else the merge in progress: two different checks
  const r = await checkKeyRegressions({ ...(since !== undefined ? { since } : { merging: true }), cwd: io.cwd, env: io.env, files })
  for (const p of r.problems) note(io, `check: ${p.message}`)
  const what = since !== undefined ? `since ${since}` : 'in the merge in progress'
  if (r.problems.length) {
    const names = [...new Set(r.problems.map((p) => p.file))]
    throw new CheckFailedError(`keys went backwards ${what} in ${names.length} file${names.length > 1 ? 's' : ''}: ${names.join(', ')} (run the commands above)`)
  }
  if (r.noMerge) { io.stdout.write('check: no merge in progress, nothing to compare\n'); return 0 }
  const n = `${r.files.length} encrypted file${r.files.length === 1 ? '' : 's'}`
  const summary = since !== undefined ? `${r.commits} commit${r.commits === 1 ? '' : 's'} since ${since}, ${n} changed` : `${n} compared with both sides of the merge`
  io.stdout.write(`check: ${summary}, no recipient or data key went backwards\n`)
  return 0
}

export async function runCheck(files: string[], flags: { staged?: boolean; config?: string; since?: string; merging?: boolean }, io: CliIo): Promise<number> {
  if (flags.since !== undefined || flags.merging) {
    if (flags.staged || (flags.since !== undefined && flags.merging)) throw new UsageError('check: --staged, --since and --merging check different things: use one at a time')
    return runCheckSince(files, flags.since, io)
  }
  const { checkFiles } = await import('../../ops/git/check.js')
  const r = await checkFiles({
    cwd: io.cwd,
    env: io.env,
    files, // none named ([]): the op checks every tracked file
    ...defined({ staged: flags.staged, configPath: flags.config }),
  })
  for (const n of r.notes) note(io, `check: ${n}`)
  for (const p of r.problems) note(io, `check: ${p.message}`)
  if (r.problems.length) {
    const names = [...new Set(r.problems.map((p) => p.file))]
    throw new CheckFailedError(`check failed for ${names.length} file${names.length > 1 ? 's' : ''}: ${names.join(', ')}`)
  }
  io.stdout.write(`check: ${r.checked.length} file${r.checked.length === 1 ? '' : 's'} checked, no problems\n`)
  return 0
}

/** `git conflicts FILE`: base/ours/theirs of each conflicting value (stdout); the way out (stderr). */
export async function runGitConflicts(file: string, flags: { json?: boolean; inputType?: string }, io: CliIo): Promise<number> {
  const { gitConflicts } = await import('../../ops/git/conflicts.js')
  const r = await gitConflicts(file, { cwd: io.cwd, env: io.env, ...defined({ inputType: flags.inputType }) })
  if (flags.json) {
    io.stdout.write(JSON.stringify(r, null, 2) + '\n')
    return 0
  }
  const missing = !r.stages.ours ? 'ours deleted the file' : !r.stages.theirs ? 'theirs deleted the file' : ''
  if (missing) {
    io.stdout.write(`${r.path}: ${missing}; nothing to compare value by value\n`)
    return 0
  }
  const n = r.conflicts.length
  io.stdout.write(`${r.path}: ${n} conflicting value${n === 1 ? '' : 's'}${r.stages.base ? '' : ' (no common ancestor: added on both sides)'}\n`)
  const side = (label: string, v: string | undefined): string => {
    if (v === undefined) return `  ${label} (absent)`
    const lines = v.split('\n')
    return lines.length === 1 ? `  ${label} ${v}` : `  ${label}\n${lines.map((l) => `      ${l}`).join('\n')}`
  }
  for (const c of r.conflicts) {
    io.stdout.write([c.path, side('base:  ', c.base), side('ours:  ', c.ours), side('theirs:', c.theirs)].join('\n') + '\n')
  }
  note(io, `resolve with: sops-like edit ${file} (it holds ours), then git add ${file}`)
  return 0
}
