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
    .option('--overload', 'the same as --override (dotenvx\'s word for it)')
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
      'Files: each -f in order; else run.files in .sops-like.yaml; else secrets.enc.{yaml,yml,json,env}, .env.enc, secrets.enc.toml,',
      'looked for from here up to the repository root (the folder holding .sops-like.yaml or .git); --dry-run names the files used.',
      'Order: a later -f wins over an earlier one (dotenvx: the first wins unless --overload).',
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
    .command('get')
    .description('print one decrypted value (or, with --all, every variable run would export) without running anything')
    .argument('[key]', 'a name (DB_PASSWORD), a dotted path (db.password) or a tree path (\'["db"]["password"]\')')
    .argument('[file]', 'encrypted file (default: the files run would load)')
    .option('-f, --file <file>', 'encrypted file to read (repeatable; later files win)', collect)
    .option('--all', 'every variable, as run would export them')
    .addOption(new Option('--format <format>', 'with --all: json (one object), shell (NAME=value on one line), eval (one NAME=value line each)').choices(['json', 'shell', 'eval']))
    .option('--upper', 'upper-case every variable name')
    .option('--allow-plaintext', 'accept files that are not encrypted')
    .option('--config <file>', 'config file with run.files (default: .sops-like.yaml or .sops.yaml found upwards)')
    .option('--pgp-key-file <file>', 'armored PGP private key to decrypt with')
    .addOption(typeOption())
    .addHelpText('after', [
      '',
      'A missing key exits 1 (as sops does for a missing --extract path). Values are printed as they are, with no quoting;',
      '--format shell and eval single-quote values that need it, so eval "$(sops-like get --all --format eval)" is safe.',
      '',
      'Examples:',
      '  sops-like get DATABASE_URL .env.enc',
      '  sops-like get db.password secrets.enc.yaml',
      '  sops-like get \'["hosts"][0]\' secrets.enc.yaml',
      '  sops-like get --all --format json',
      '',
    ].join('\n'))
    .action(async (key: string | undefined, file: string | undefined, flags) => {
      const { runGet } = await import('./run.action.js')
      ctx.exit(await runGet(key, file, flags, ctx.io))
    })

  program
    .command('import-dotenvx')
    .description('convert a dotenvx-encrypted .env file into an encrypted dotenv file for your creation rule\'s recipients')
    .argument('<file>', 'the dotenvx-encrypted file, e.g. .env.production')
    .option('--keys <file>', 'dotenvx\'s keys file (default: .env.keys beside the file; DOTENV_PRIVATE_KEY_<ENV> in the environment wins)')
    .option('-o, --output <file>', 'where to write (default: the file\'s name + .enc, e.g. .env.production.enc)')
    .option('-a, --age <recipients>', 'age recipients (comma-separated, repeatable); overrides the config', collect)
    .option('--config <file>', 'config file (default: .sops-like.yaml or .sops.yaml found upwards)')
    .addHelpText('after', [
      '',
      'The dotenvx values are decrypted in memory; only the encrypted output is written. DOTENV_PUBLIC_KEY lines',
      'and dotenvx\'s banner are dropped; other comments and the order are kept. The input is left as it is.',
      '',
      'Examples:',
      '  sops-like import-dotenvx .env.production',
      '  sops-like import-dotenvx .env.production --keys ../.env.keys -o secrets.enc.env',
      '',
    ].join('\n'))
    .action(async (file: string, flags) => {
      const { runImportDotenvx } = await import('./run.action.js')
      ctx.exit(await runImportDotenvx(file, flags, ctx.io))
    })

  program
    .command('example')
    .description('print a skeleton of an encrypted file: same keys, empty values, no metadata (needs no key)')
    .argument('<file>', 'encrypted file')
    .option('-o, --output <file>', 'write the skeleton to this file')
    .addOption(typeOption())
    .addHelpText('after', '\nExamples:\n  sops-like example secrets.enc.yaml > secrets.example.yaml\n  sops-like example secrets.enc.env > .env.example\n  sops-like example .env.enc -o .env.example\n')
    .action(async (file: string, flags) => {
      const { runExample } = await import('./run.action.js')
      ctx.exit(await runExample(file, flags, ctx.io))
    })
}
