/**
 * Declares `doctor` (the work is loaded lazily from doctor.action.ts).
 * Every declaration has the same shape on purpose: flags, help, and an action that loads its
 * work with import() (the start-up rule that test/architecture.test.ts checks; see ARCHITECTURE.md).
 */
import { Option, type Command } from 'commander'
import type { CommandContext } from '../context.js'
import type { DoctorFlags } from './doctor.action.js'

export function registerDoctor(program: Command, ctx: CommandContext): void {
  program
    .command('doctor')
    .description('explain step by step which config, creation rule and identities apply, and whether they open a file')
    .argument('[file]', 'encrypted file to check (without it: config and identities only)')
    .option('--json', 'print the report as JSON')
    .option('--config <file>', 'config file (default: .sops-like.yaml or .sops.yaml found upwards)')
    .addOption(new Option('--input-type <type>', 'file format (default: from the file name)').choices(['yaml', 'json', 'dotenv', 'ini', 'toml', 'binary']))
    .option('--pgp-key-file <file>', 'armored PGP private key to try (default: SOPS_LIKE_PGP_KEY_FILE)')
    .addHelpText('after', [
      '',
      'Identities are shown by their public side only (age recipient, SSH or PGP fingerprint).',
      'Exit code: 0 when every check passed; else the code of the first failed check, e.g.',
      '5 config malformed, 61 --config not found, 2 an identity source cannot be read,',
      '11 file not encrypted, 128 no identity opens the file, 51 MAC mismatch. The whole report is printed either way.',
      '',
      'Examples:',
      '  sops-like doctor',
      '  sops-like doctor secrets.enc.yaml',
      '  sops-like doctor --json secrets.enc.yaml',
      '',
    ].join('\n'))
    .action(async (file: string | undefined, flags: DoctorFlags) => {
      const { runDoctor } = await import('./doctor.action.js')
      ctx.exit(await runDoctor(file, flags, ctx.io))
    })
}
