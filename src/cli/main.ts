/**
 * The CLI: declares commands (each module loads its work lazily), runs one, and maps
 * typed errors to one stderr line and their exit code. Never calls process.exit.
 */
import { Command, CommanderError } from 'commander'
import { SopsLikeError } from '../errors.js'
import { processIo, type CliIo } from './io.js'
import { terminalText } from './printable.js'
import type { CommandContext, RegisterCommand } from './context.js'
import { registerCrypt } from './commands/crypt.command.js'
import { registerKeygen } from './commands/keygen.command.js'
import { registerEdit } from './commands/edit.command.js'
import { registerKeys } from './commands/keys.command.js'
import { registerGroups } from './commands/groups.command.js'
import { registerRun } from './commands/run.command.js'
import { registerGit } from './commands/git.command.js'
import { registerDoctor } from './commands/doctor.command.js'
import { registerAccess } from './commands/access.command.js'
import { registerHistory } from './commands/history.command.js'
import { registerCompletion } from './commands/completion.command.js'
import { VERSION } from '../version.js'
import { translateSopsArgv } from './sops-argv.js'

const REGISTER: readonly RegisterCommand[] = [registerCrypt, registerKeygen, registerEdit, registerKeys, registerGroups, registerRun, registerGit, registerAccess, registerHistory, registerDoctor, registerCompletion]
/** Which module declares each command (test/cli/crypt.test.ts walks every command's --help through it). */
const DECLARED_IN: Readonly<Record<string, RegisterCommand>> = {
  encrypt: registerCrypt, decrypt: registerCrypt, keygen: registerKeygen,
  edit: registerEdit, set: registerEdit, unset: registerEdit,
  rotate: registerKeys, updatekeys: registerKeys, offboard: registerKeys, status: registerKeys, filestatus: registerKeys, groups: registerGroups,
  run: registerRun, example: registerRun, get: registerRun, 'import-dotenvx': registerRun,
  textconv: registerGit, git: registerGit, check: registerGit,
  access: registerAccess,
  history: registerHistory, 'age-report': registerHistory,
  doctor: registerDoctor,
}

/**
 * Only the module that declares the command being run (building every command's options is
 * start-up time `run` and textconv pay on each call); all of them for help, `completion`
 * (it lists them) and anything unknown (so commander can suggest a name).
 */
const registersFor = (argv: readonly string[]): readonly RegisterCommand[] => {
  const name = argv[0] ?? ''
  return Object.hasOwn(DECLARED_IN, name) ? [DECLARED_IN[name]!] : REGISTER
}

export async function main(sopsArgv: string[], io: CliIo = processIo()): Promise<number> {
  let argv: string[]
  try {
    argv = translateSopsArgv(sopsArgv) // sops' spellings (-d FILE, exec-env, …) → our commands
  } catch (e) {
    return reportError(e, io)
  }
  let code = 0
  const ctx: CommandContext = { io, exit: (c) => { code = c } }
  const program = new Command('sops-like')
    .description('Encrypt the values of YAML, JSON, dotenv, INI, TOML and binary files to age and PGP recipients (SOPS-compatible).')
    .version(VERSION, '-v, --version')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => { io.stdout.write(s) },
      writeErr: (s) => { io.stderr.write(s) },
      outputError: (s, write) => write(`sops-like: ${s.replace(/^error: /, '').trim()}\n`),
    })
  for (const reg of registersFor(argv)) reg(program, ctx)
  try {
    await program.parseAsync(argv, { from: 'user' })
    return code
  } catch (e) {
    return reportError(e, io)
  }
}

export function reportError(e: unknown, io: CliIo): number {
  if (e instanceof CommanderError) {
    return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 1
  }
  const debug = !!io.env.SOPS_LIKE_DEBUG
  if (e instanceof SopsLikeError) {
    io.stderr.write(`sops-like: ${terminalText(e.message)}${e.hint ? ` (${terminalText(e.hint)})` : ''}\n`)
    if (debug && e.stack) io.stderr.write(e.stack + '\n')
    return e.exitCode
  }
  io.stderr.write('sops-like: internal error (run with SOPS_LIKE_DEBUG=1 for details)\n')
  if (debug && e instanceof Error && e.stack) io.stderr.write(e.stack + '\n')
  return 1
}
