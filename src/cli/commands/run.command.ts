/**
 * Declares `run` (decrypt into a command's environment or a FIFO) and `example` (a keyless skeleton).
 * Every declaration has the same shape on purpose: flags, help, and an action that loads its
 * work with import() (the start-up rule that test/architecture.test.ts checks; see ARCHITECTURE.md).
 */
import { Option, type Command } from 'commander'
import type { CommandContext } from '../context.js'
import { collect, DECRYPTION_ORDER_FLAG } from '../io.js'

const typeOption = () => new Option('--input-type <type>', 'format of the files (default: from each name)').choices(['yaml', 'json', 'dotenv', 'ini', 'toml', 'binary'])

export function registerRun(program: Command, ctx: CommandContext): void {
  // `run` passes everything after the command through untouched; commander needs this on the parent for that
  program.enablePositionalOptions()
  program
    .command('run')
    .description('decrypt files into the environment of a command (or hand one to it as a file) and run it')
    .argument('[command...]', 'the command and its arguments, after --')
    .option('-f, --file <file>', 'encrypted file to load (repeatable; later files win)', collect)
    .option('--override', 'the files\' values win over variables already set')
    .option('--pristine', 'start from an empty environment: only the files\' values')
    .option('--upper', 'upper-case every variable name')
    .option('--dry-run', 'print the variable names and their files (never values); run nothing')
    .option('--keep-key-env', 'keep SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, … in the command\'s environment')
    .option('--allow-plaintext', 'accept files that are not encrypted')
    .option('--as-file <file>', 'hand this decrypted file to the command as {} (a FIFO) instead of setting variables')
    .option('--filename <name>', 'with --as-file: the name of the FIFO (default: the file\'s name without .enc)')
    .option('--no-fifo', 'with --as-file: use a private 0600 temporary file instead of a FIFO')
    .option('--config <file>', 'config file with run.files (default: .sops-like.yaml or .sops.yaml found upwards)')
    .option('--pgp-key-file <file>', 'armored PGP private key to decrypt with')
    .option(...DECRYPTION_ORDER_FLAG)
    .addOption(typeOption())
    .passThroughOptions()
    .addHelpText('after', [
      '',
      'Files: each -f in order; else run.files in .sops-like.yaml; else secrets.enc.{yaml,yml,json,env}, .env.enc, secrets.enc.toml here.',
      'Names: nested keys joined with _ (db: {password: x} → db_password); lists as JSON. Variables already set win unless --override.',
      'Exit code: the command\'s, or 128+N when it died of signal N; 127 not found, 126 not executable.',
      '',
      'Examples:',
      '  sops-like run -- npm start',
      '  sops-like run -f base.enc.yaml -f prod.enc.yaml --upper -- ./server --port 8080',
      '  sops-like run --dry-run -f secrets.enc.json',
      '  sops-like run --as-file config.enc.json -- ./app --config {}',
      '',
    ].join('\n'))
    .action(async (command: string[], flags) => {
      const { runRun } = await import('./run.action.js')
      ctx.exit(await runRun(command, flags, ctx.io))
    })

  program
    .command('example')
    .description('print a skeleton of an encrypted file: same keys, empty values, no metadata (needs no key)')
    .argument('<file>', 'encrypted file')
    .option('-o, --output <file>', 'write the skeleton to this file')
    .addOption(typeOption())
    .addHelpText('after', '\nExample:\n  sops-like example secrets.enc.env > .env.example\n')
    .addHelpText('after', '\nExamples:\n  sops-like example secrets.enc.yaml > secrets.example.yaml\n  sops-like example .env.enc -o .env.example\n')
    .action(async (file: string, flags) => {
      const { runExample } = await import('./run.action.js')
      ctx.exit(await runExample(file, flags, ctx.io))
    })
}
