/**
 * Declares `edit`, `set` and `unset` (the work is in src/ops/edit/edit.ts and src/ops/edit/set.ts).
 * Every declaration has the same shape on purpose: flags, help, and an action that loads its
 * work with import() (the start-up rule that test/architecture.test.ts checks; see ARCHITECTURE.md).
 */
import { Option, type Command } from 'commander'
import type { CommandContext } from '../context.js'
import { collect, DECRYPTION_ORDER_FLAG, INDENT_HELP } from '../io.js'

const typeOption = () => new Option('--input-type <type>', 'file format (default: from the file name)').choices(['yaml', 'json', 'dotenv', 'ini', 'toml', 'binary'])

/** The options `set` and `unset` share: format, key, and the guards every rewrite passes. */
function rewriteOptions(cmd: Command): Command {
  return cmd
    .addOption(typeOption())
    .option('--indent <n>', INDENT_HELP)
    .option('--pgp-key-file <file>', 'armored PGP private key to decrypt with', collect)
    .option(...DECRYPTION_ORDER_FLAG)
    .option('--config <file>', 'config file for the creation-rule check (default: .sops-like.yaml or .sops.yaml found upwards)')
    .option('--keep-unlisted', 'write even if the file lists recipients its creation rule does not (default: refuse, exit 31)')
    .option('--no-rotate', 'keep the data key even if the file\'s wrapped keys changed since the last commit (by default it is rotated)')
    .option('--allow-unencrypted', 'write in clear values that the file as read or the last commit kept encrypted')
    .option('--force', 'rewrite the file even when it is read-only (no owner write permission)')
}

export function registerEdit(program: Command, ctx: CommandContext): void {
  program
    .command('edit')
    .description('edit an encrypted file in $EDITOR (creates it from a template if missing); unchanged values keep their ciphertext')
    .argument('<file>', 'file to edit')
    .addOption(typeOption())
    .option('--indent <n>', INDENT_HELP)
    .addOption(new Option('--output-type <type>', 'accepted as in sops when it is the file\'s own format (edit never converts)').choices(['yaml', 'json', 'dotenv', 'ini', 'toml', 'binary']))
    .option('-a, --age <recipients>', 'new file: age recipients (comma-separated, repeatable); overrides the config', collect)
    .option('-p, --pgp <fingerprints>', 'new file: PGP fingerprints (comma-separated, repeatable); overrides the config', collect)
    .option('--age-recipients-file <file>', 'new file: file with one age/SSH recipient per line', collect)
    .option('--config <file>', 'config file (default: .sops-like.yaml or .sops.yaml found upwards)')
    .option('--shamir-secret-sharing-threshold <n>', 'new file: number of key groups needed to decrypt')
    .option('--pgp-key-file <file>', 'armored PGP private key to decrypt with', collect)
    .option(...DECRYPTION_ORDER_FLAG)
    .option('--keep-unlisted', 'save even if the file lists recipients its creation rule does not (default: refuse, exit 31)')
    .option('--no-rotate', 'keep the data key even if the file\'s wrapped keys changed since the last commit (by default it is rotated)')
    .option('--allow-unencrypted', 'write in clear values that the file as read or the last commit kept encrypted')
    .option('--force', 'rewrite the file even when it is read-only (no owner write permission)')
    .addHelpText('after', '\nThe editor is $SOPS_EDITOR, $VISUAL or $EDITOR (e.g. EDITOR="code --wait"), else vi or nano.\nExit code 200 when the file was not changed.\n\nExamples:\n  sops-like edit secrets.enc.yaml\n  EDITOR="code --wait" sops-like edit new.enc.json   # new file: recipients from .sops-like.yaml\n')
    .action(async (file: string, flags) => {
      const { runEdit } = await import('./edit.action.js')
      ctx.exit(await runEdit(file, flags, ctx.io))
    })

  rewriteOptions(
    program
      .command('set')
      .description('set one value of an encrypted file in place; every other value keeps its ciphertext')
      .argument('<file>', 'encrypted file')
      .argument('<path>', 'tree path, e.g. \'["db"]["password"]\' or \'["hosts"][0]\'; in a dotenv file also a plain name: API_KEY')
      .argument('[value]', 'the value as JSON: \'"text"\', 5, 1.5, true, null, {"a":1}; after a plain dotenv name, plain text')
      .option('--value-stdin', 'read the value from standard input, as a string of its bytes (keeps it out of the shell history)')
      .option('--value-file <file>', 'read the value from a file, as a string of its bytes')
      .option('--json', 'parse the value from --value-stdin / --value-file (or after a plain dotenv name) as JSON')
      .option('--idempotent', 'do not rewrite the file when the value is already there')
  )
    .addHelpText('after', '\nExamples:\n  sops-like set secrets.enc.yaml \'["db"]["port"]\' 5432\n  sops-like set .env.enc API_KEY sk-123            # dotenv: plain name, plain text\n  printf %s "$PASSWORD" | sops-like set --value-stdin secrets.enc.yaml \'["db"]["password"]\'\n  echo \'{"a": 1}\' | sops-like set --value-stdin --json secrets.enc.json \'["o"]\'\n')
    .action(async (file: string, path: string, value: string | undefined, flags) => {
      const { runSet } = await import('./edit.action.js')
      ctx.exit(await runSet(file, path, value, flags, ctx.io))
    })

  rewriteOptions(
    program
      .command('unset')
      .description('remove one key or list item from an encrypted file in place')
      .argument('<file>', 'encrypted file')
      .argument('<path>', 'tree path, e.g. \'["db"]["password"]\' or \'["hosts"][0]\'')
      .option('--idempotent', 'succeed without writing when the path does not exist')
  )
    .addHelpText('after', '\nExamples:\n  sops-like unset secrets.enc.yaml \'["db"]["password"]\'\n  sops-like unset secrets.enc.yaml \'["hosts"][0]\'\n  sops-like unset --idempotent secrets.enc.json \'["old_key"]\'\n')
    .action(async (file: string, path: string, flags) => {
      const { runUnset } = await import('./edit.action.js')
      ctx.exit(await runUnset(file, path, flags, ctx.io))
    })
}
