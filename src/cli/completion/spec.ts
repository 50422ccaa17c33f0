/**
 * The command tree that completion scripts are generated from, read off the
 * commander program itself (its commands, their options and arguments), so the
 * scripts always match the CLI. Hidden commands and options are left out.
 */
import type { Command } from 'commander'
import { defined } from '../../defined.js'

export interface OptionSpec {
  /** `-o` and/or `--output`. */
  names: string[]
  description: string
  /** The option takes a value (`<file>` or `[value]`). */
  takesValue: boolean
  /** Allowed values, when commander knows them. */
  choices?: string[]
}

export interface CommandSpec {
  name: string
  aliases: string[]
  description: string
  options: OptionSpec[]
  commands: CommandSpec[]
  /** Takes positional arguments (files are offered for them, unless argChoices). */
  takesArgs: boolean
  /** The allowed values of its first argument, when commander knows them (`completion <shell>`). */
  argChoices?: string[]
}

/** A copy of commander's allowed values; none (or an empty list) is left out of the spec. */
const copyOf = (choices: readonly string[] | undefined): string[] | undefined => (choices?.length ? [...choices] : undefined)

/** The spec of `cmd` and, recursively, of its visible subcommands (including commander's `help`). */
export function commandSpec(cmd: Command): CommandSpec {
  const help = cmd.createHelp()
  const options: OptionSpec[] = help.visibleOptions(cmd).map((o) => ({
    names: [o.short, o.long].filter((n): n is string => !!n),
    description: oneLine(o.description),
    takesValue: o.required || o.optional,
    ...defined({ choices: copyOf(o.argChoices) }),
  }))
  const commands = help.visibleCommands(cmd).map((c) => commandSpec(c))
  return {
    name: cmd.name(),
    aliases: [...cmd.aliases()],
    description: oneLine(cmd.summary() || cmd.description()),
    options,
    commands,
    takesArgs: cmd.registeredArguments.length > 0,
    ...defined({ argChoices: copyOf(cmd.registeredArguments[0]?.argChoices) }),
  }
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim()

/** Every command with its path (`['git', 'hook', 'install']`), depth first, the root excluded. */
export function walk(spec: CommandSpec, path: string[] = []): Array<{ path: string[]; spec: CommandSpec }> {
  return spec.commands.flatMap((c) => {
    const at = [...path, c.name]
    return [{ path: at, spec: c }, ...walk(c, at)]
  })
}
