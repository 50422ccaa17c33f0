/**
 * Declares `history` (alias `age-report`): when each encrypted value last changed and when each
 * data key was rotated, from git history, without a key (the work is in src/ops/report/history.ts).
 * Every declaration has the same shape on purpose: flags, help, and an action that loads its
 * work with import() (the start-up rule that test/architecture.test.ts checks; see ARCHITECTURE.md).
 */
import { Option, type Command } from 'commander'
import type { CommandContext } from '../context.js'
import type { HistoryFlags } from './history.action.js'

export function registerHistory(program: Command, ctx: CommandContext): void {
  program
    .command('history')
    .alias('age-report')
    .description('when each encrypted value last changed and each data key was last rotated, read from git history (no key needed)')
    .argument('[files...]', 'encrypted files (default with --all: every file a creation rule covers)')
    .option('--all', 'every encrypted file a creation rule covers')
    .option('--older-than <age>', 'list values not changed for longer (90d, 12w, 36h, 1y) and exit 40 if there are any')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'markdown']).default('table'))
    .option('--config <file>', 'config file for --all (default: .sops-like.yaml or .sops.yaml found upwards)')
    .addHelpText('after', [
      '',
      'A value\'s date is the commit (author date) that gave it its current ciphertext: sops-like keeps',
      'an unchanged value\'s ciphertext, so no key is needed. A revision that re-encrypted EVERY value',
      'and re-wrapped the data key for every recipient is taken as a rotation of the data key, not a',
      'change of the values (a value changed in that very revision keeps its older date). Needs the',
      'whole history (in CI: actions/checkout with fetch-depth: 0).',
      'Exit codes: 0; 40 with --older-than when a value is stale; 1 usage, 2 a file cannot be read, 11 not encrypted.',
      '',
      'Examples:',
      '  sops-like history secrets.enc.yaml',
      '  sops-like history --all --older-than 90d            # CI: exit 40 and list what to rotate',
      '  sops-like history --all --format markdown > secret-ages.md',
      '  sops-like history --all --format json | jq \'.stale[]\'',
      '',
    ].join('\n'))
    .action(async (files: string[], flags: HistoryFlags) => {
      const { runHistory } = await import('./history.action.js')
      ctx.exit(await runHistory(files, flags, ctx.io))
    })
}
