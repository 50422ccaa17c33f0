/**
 * `doctor`: explains, step by step, why a file does (or does not) decrypt here:
 * 1. which config file applies and where it was looked for;
 * 2. which creation rule matches the file (index, path_regex, recipients);
 * 3. which identities were found in which source (public side only);
 * 4. for each key-service entry (Vault, KMS, …): whether credentials are found and
 *    whether the key answers (services.ts, a short deadline);
 * 5. which of the file's entries each identity opens, whether the data key is
 *    recovered and whether the values and MAC verify;
 * 6. inside a git work tree, whether this clone is set up (git.ts).
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
import { checkServices } from './services.js'
import type { DoctorProblem, DoctorReport, RuleCheck } from './report.js'
import { defined } from '../../defined.js'
import { explicitConfig } from '../../config/find.js'

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
  /** Deadline for each key-service probe (default SERVICE_PROBE_TIMEOUT_MS, 5 s). */
  serviceTimeoutMs?: number
}

/** Runs every check and returns the report (without a file: config and identities only). */
export async function doctor(file?: string, opts: DoctorOptions = {}): Promise<DoctorReport> {
  const env = opts.env ?? process.env
  const cwd = opts.cwd ?? process.cwd()
  const home = opts.home ?? (env.HOME || homedir())
  const abs = file === undefined ? undefined : resolve(cwd, file)

  const configPath = explicitConfig(cwd, opts.configPath)
  const { check: config, config: cfg } = checkConfig(abs ? dirname(abs) : cwd, { env, ...defined({ configPath }) })
  let rule: RuleCheck | undefined
  if (abs) rule = config.status === 'fail' ? { status: 'info', testedPath: abs, note: 'the config could not be loaded' } : checkRule(cfg, abs)

  const parsed = abs ? await parseForDoctor(abs, file!, opts.inputType) : undefined
  const entries = parsed?.parsed?.metadata.keyGroups.flat()
  const ids = await gatherIdentities({ env, home, ...defined({ entries, pgpKeyFile: opts.pgpKeyFile }) })
  const services = parsed?.parsed ? await checkServices(parsed.parsed.metadata.keyGroups, { env, home, ...defined({ timeoutMs: opts.serviceTimeoutMs }) }) : undefined
  const fileCheck = parsed ? (parsed.parsed ? await openForDoctor(parsed, ids, services) : parsed.check) : undefined
  // a file the key services open needs no local identity
  if (fileCheck?.dataKey === 'unwrapped' && services?.shares.size) {
    ids.problems = ids.problems.filter((p) => p.code !== 'NO_MATCHING_KEY')
    if (!ids.check.found.length) ids.check.status = 'info'
  }

  const git = checkGit(abs ? dirname(abs) : cwd, { env, ...defined({ configPath }) })
  const problems: DoctorProblem[] = [config.problem, rule?.problem, ...ids.problems, fileCheck?.problem].filter((p): p is DoctorProblem => !!p)
  return {
    ok: problems.length === 0,
    exitCode: problems[0]?.exitCode ?? 0,
    config,
    ...defined({ rule }),
    identities: ids.check,
    ...defined({ services: services?.checks.length ? services.checks : undefined, file: fileCheck, git }),
    problems,
    warnings: ids.warnings,
  }
}
