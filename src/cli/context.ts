/** What every command module gets: the io and a way to report its exit code. */
import type { Command } from 'commander'
import type { CliIo } from './io.js'

export interface CommandContext {
  io: CliIo
  /** Record the command's exit code (main returns it). */
  exit(code: number): void
}

/** A command module declares its command on the program; its action loads the work lazily. */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void
