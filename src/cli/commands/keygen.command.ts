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
    .option('--pq', 'a post-quantum hybrid identity (ML-KEM-768 + X25519: AGE-SECRET-KEY-PQ-1…, recipient age1pq1…), as age-keygen -pq')
    .addHelpText('after', '\nExamples:\n  sops-like keygen                 # ~/.config/sops/age/keys.txt\n  sops-like keygen -o key.txt\n  sops-like keygen --pq            # post-quantum (age1pq1…, needs age 1.3+ or sops-like to decrypt)\n')
    .action(async (flags) => {
      const { runKeygen } = await import('./keygen.action.js')
      ctx.exit(await runKeygen(flags, ctx.io))
    })
}
