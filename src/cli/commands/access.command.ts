/**
 * Declares `access` (work loaded lazily from access.action.ts): who can read which encrypted
 * file or value, what one person can read, and what changed in access since a git revision —
 * from metadata alone, no key needed.
 * Every declaration has the same shape on purpose: flags, help, and an action that loads its
 * work with import() (the start-up rule that test/architecture.test.ts checks; see ARCHITECTURE.md).
 */
import { Option, type Command } from 'commander'
import type { CommandContext } from '../context.js'

export function registerAccess(program: Command, ctx: CommandContext): void {
  program
    .command('access')
    .description('who can read which encrypted file (or value): recipients by name, key groups and Shamir thresholds; no key needed')
    .argument('[files...]', 'encrypted files (default: every encrypted file of the repository)')
    .option('--all', 'every encrypted file of the repository (the default when no file is named)')
    .option('--values', 'one row per encrypted value (key names only, never values)')
    .option('--who <name>', "what one person can read: a name from the config's recipients:, a label the table shows, or a key")
    .option('--diff <rev>', 'what changed in access since a git revision (files added or removed, readers gained or lost)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'markdown']).default('table'))
    .option('--json', 'same as --format json')
    .option('--config <file>', 'config file whose recipients: names are shown (default: .sops-like.yaml or .sops.yaml found upwards)')
    .addHelpText('after', '\nA recipient in a Shamir setup (key_groups with shamir_threshold) can decrypt a file alone only\nwhen they hold keys in as many groups as the threshold; the table says "k/t" otherwise.\n' +
      '\nExamples:\n  sops-like access\n  sops-like access --values secrets.enc.yaml\n  sops-like access --who ops-lead\n  sops-like access --diff origin/main --format markdown   # for a PR comment\n  sops-like access --format json > access.json\n')
    .action(async (files: string[], flags) => {
      const { runAccess } = await import('./access.action.js')
      ctx.exit(await runAccess(files, flags, ctx.io))
    })
}
