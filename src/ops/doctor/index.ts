/**
 * `doctor`: explains, step by step, why a file does (or does not) decrypt here:
 * 1. which config file applies and where it was looked for;
 * 2. which creation rule matches the file (index, path_regex, recipients);
 * 3. which identities were found in which source (public side only);
 * 4. which of the file's entries each identity opens, whether the data key is
 *    recovered and whether the values and MAC verify;
 * 5. inside a git work tree, whether this clone is set up (git.ts).
 * Never throws for a failed check: every step is reported, and `exitCode` is the
 * typed error's exit code of the first failed one (config, rule, identities, file).
 * The report holds names, paths, recipients and fingerprints only.
 */
import { homedir } from 'node:os'
import { dirname, resolve } from 'node:path'
import { checkConfig, checkRule } from './config.js'
import { openForDoctor, parseForDoctor } from './file.js'
import { checkGit } from './git.js'
import { gatherIdentities } from './identities.js'
import type { DoctorProblem, DoctorReport, RuleCheck } from './report.js'
import { defined } from '../../defined.js'

export type * from './report.js'

export interface DoctorOptions {
  env?: NodeJS.ProcessEnv
  /** Folder that relative paths are resolved from, and where the config search starts without a file. */
  cwd?: string
  /** Config file (as `--config`); else SOPS_LIKE_CONFIG / SOPS_CONFIG, else the upward search. */
  configPath?: string
  /** The file's format when its name does not tell. */
  inputType?: string
  /** Armored PGP private key file (else SOPS_LIKE_PGP_KEY_FILE). */
  pgpKeyFile?: string
  /** Home folder for the default keys.txt and ~/.ssh (default: `env.HOME`, else the OS home). */
  home?: string
}

/** Runs every check and returns the report (without a file: config and identities only). */
export async function doctor(file?: string, opts: DoctorOptions = {}): Promise<DoctorReport> {
  const env = opts.env ?? process.env
  const cwd = opts.cwd ?? process.cwd()
  const home = opts.home ?? (env.HOME || homedir())
  const abs = file === undefined ? undefined : resolve(cwd, file)

  const { check: config, config: cfg } = checkConfig(abs ? dirname(abs) : cwd, { env, ...(opts.configPath ? { configPath: resolve(cwd, opts.configPath) } : {}) })
  let rule: RuleCheck | undefined
  if (abs) rule = config.status === 'fail' ? { status: 'info', testedPath: abs, note: 'the config could not be loaded' } : checkRule(cfg, abs)

  const parsed = abs ? await parseForDoctor(abs, file!, opts.inputType) : undefined
  const entries = parsed?.parsed?.metadata.keyGroups.flat()
  const ids = await gatherIdentities({ env, home, ...(entries ? { entries } : {}), ...(opts.pgpKeyFile ? { pgpKeyFile: opts.pgpKeyFile } : {}) })
  const fileCheck = parsed ? (parsed.parsed ? await openForDoctor(parsed, ids) : parsed.check) : undefined

  const git = checkGit(abs ? dirname(abs) : cwd, { env, ...(opts.configPath ? { configPath: resolve(cwd, opts.configPath) } : {}) })
  const problems: DoctorProblem[] = [config.problem, rule?.problem, ...ids.problems, fileCheck?.problem].filter((p): p is DoctorProblem => !!p)
  return {
    ok: problems.length === 0,
    exitCode: problems[0]?.exitCode ?? 0,
    config,
    ...defined({ rule }),
    identities: ids.check,
    ...defined({ file: fileCheck }),
    ...defined({ git }),
    problems,
    warnings: ids.warnings,
  }
}
