/**
 * Declares `keygen` (the work is loaded lazily from keygen.action.ts).
 * Every declaration has the same shape on purpose: flags, help, and an action that loads its
 * work with import() (the start-up rule that test/architecture.test.ts checks; see ARCHITECTURE.md).
 */
import type { Command } from 'commander'
import type { CommandContext } from '../context.js'

export function registerKeygen(program: Command, ctx: CommandContext): void {
  program
    .command('keygen')
    .description('create a new age identity (appended to the default keys.txt unless -o) and print its recipient')
    .option('-o, --output <file>', 'key file to append to, or - to print the identity')
    .addHelpText('after', '\nExamples:\n  sops-like keygen                 # ~/.config/sops/age/keys.txt\n  sops-like keygen -o key.txt\n')
    .action(async (flags) => {
      const { runKeygen } = await import('./keygen.action.js')
      ctx.exit(await runKeygen(flags, ctx.io))
    })
}
