/**
 * Declares `rotate`, `updatekeys`, `offboard` and `status` (work loaded lazily from keys.action.ts).
 * Every declaration has the same shape on purpose: flags, help, and an action that loads its
 * work with import() (the start-up rule that test/architecture.test.ts checks; see ARCHITECTURE.md).
 */
import { Option, type Command } from 'commander'
import type { CommandContext } from '../context.js'
import { collect, DECRYPTION_ORDER_FLAG, INDENT_HELP } from '../io.js'

const typeOption = (flag: string, what: string) => new Option(flag, what).choices(['yaml', 'json', 'dotenv', 'ini', 'toml', 'binary'])

export function registerKeys(program: Command, ctx: CommandContext): void {
  program
    .command('rotate')
    .description('give files a new data key: re-encrypt every value and the MAC, re-wrap the key (in place, atomically; -o - prints it as sops does)')
    .argument('[files...]', 'encrypted files to rotate')
    .option('--all', 'every encrypted file in the repository that a creation rule covers')
    .option('-i, --in-place', 'write the rotated file back (the default here; sops needs it)')
    .option('-o, --output <file>', 'write the rotated file there instead, - for standard output (one file; the input is left as it is)')
    .addOption(typeOption('--input-type <type>', 'file format (default: from the file name)'))
    .addOption(typeOption('--output-type <type>', 'with --output: format of the rotated file (default: the input format)'))
    .option('--indent <n>', INDENT_HELP)
    .option('--add-age <recipient>', 'add an age recipient to key group 0 (repeatable)', collect)
    .option('--rm-age <recipient>', 'remove an age recipient from every key group (repeatable)', collect)
    .option('--add-pgp <fingerprint>', 'add a PGP fingerprint to key group 0 (repeatable)', collect)
    .option('--rm-pgp <fingerprint>', 'remove a PGP fingerprint from every key group (repeatable)', collect)
    .option('--add-hc-vault-transit <uri>', 'add a Vault Transit key (https://host:8200/v1/transit/keys/NAME) to key group 0 (repeatable)', collect)
    .option('--rm-hc-vault-transit <uri>', 'remove a Vault Transit key from every key group (repeatable)', collect)
    .option('--add-kms <arn>', 'add an AWS KMS key (arn:aws:kms:…[+role ARN]) to key group 0 (repeatable)', collect)
    .option('--rm-kms <arn>', 'remove an AWS KMS key from every key group (repeatable)', collect)
    .option('--add-gcp-kms <id>', 'add a GCP KMS key (projects/…/cryptoKeys/NAME) to key group 0 (repeatable)', collect)
    .option('--rm-gcp-kms <id>', 'remove a GCP KMS key from every key group (repeatable)', collect)
    .option('--add-azure-kv <url>', 'add an Azure Key Vault key (https://VAULT/keys/NAME/VERSION) to key group 0 (repeatable)', collect)
    .option('--rm-azure-kv <url>', 'remove an Azure Key Vault key from every key group (repeatable)', collect)
    .option('--pgp-key-file <file>', 'armored PGP public key file(s) for PGP recipients', collect)
    .option('--config <file>', 'config file (default: .sops-like.yaml or .sops.yaml found upwards)')
    .option('--keep-unlisted', 'keep recipients the creation rule does not list (default: refuse, exit 31)')
    .option(...DECRYPTION_ORDER_FLAG)
    .option('--dry-run', 'open and check every file, show what would change, write nothing')
    .option('-q, --quiet', 'print only warnings and failures (no per-file progress, no summary on success)')
    .addHelpText('after', '\nUnlike sops, `rotate FILE` rewrites the file in place (as `rotate --all` does): the files are\ncommitted, and a rotated key only helps once it is written. For sops\' stdout behaviour type\n`sops-like rotate -o - FILE` (or `sops-like -r FILE`, which does that).\n' +
      '\nExamples:\n  sops-like rotate secrets.enc.yaml\n  sops-like rotate -o - secrets.enc.yaml > rotated.enc.yaml\n  sops-like rotate --all --rm-age age1…    # someone left\n  sops-like rotate --all --dry-run\n')
    .action(async (files: string[], flags) => {
      const { runRotate } = await import('./keys.action.js')
      ctx.exit(await runRotate(files, flags, ctx.io))
    })

  program
    .command('updatekeys')
    .description("make files' recipients match their creation rule (the data key is rotated when anyone is removed)")
    .argument('[files...]', 'encrypted files to update')
    .option('--all', 'every encrypted file in the repository that a creation rule covers')
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .addOption(typeOption('--input-type <type>', 'file format (default: from each file name)'))
    .option('--config <file>', 'config file (default: .sops-like.yaml or .sops.yaml found upwards)')
    .option('--dry-run', 'show the changes and check the files open, write nothing')
    .option(...DECRYPTION_ORDER_FLAG)
    .option('-q, --quiet', 'print only warnings and failures (no per-file progress, no summary on success)')
    .addHelpText('after', '\nExamples:\n  sops-like updatekeys secrets.enc.yaml\n  sops-like updatekeys --all -y\n')
    .action(async (files: string[], flags) => {
      const { runUpdateKeys } = await import('./keys.action.js')
      ctx.exit(await runUpdateKeys(files, flags, ctx.io))
    })

  program
    .command('offboard')
    .description('remove a recipient from every file (rotating data keys) and the config; report the key names they could read')
    .argument('<recipient>', "age recipient (age1…, ssh-…), PGP fingerprint, key-service key (arn:aws:kms:…, Vault Transit URI, GCP KMS resource id, Azure Key Vault key URL), or a name from the config's recipients:")
    .option('--json', 'print the report as JSON')
    .option('--history', 'also list key names exposed in any past git revision readable by them')
    .option('--config <file>', 'config file to edit (default: .sops-like.yaml or .sops.yaml found upwards)')
    .option('--pgp-key-file <file>', 'armored PGP public key file(s) for the PGP recipients that stay', collect)
    .option('--keep-unlisted', 'keep recipients the creation rule does not list (default: refuse, exit 31)')
    .option('--dry-run', 'show the plan and check every file can be decrypted, write nothing')
    .option(...DECRYPTION_ORDER_FLAG)
    .option('-q, --quiet', 'print only warnings and failures (no per-file progress, no summary on success)')
    .addHelpText('after', '\nExamples:\n  sops-like offboard age1… --dry-run\n  sops-like offboard ops-lead --history     # a name from recipients: in the config\n  sops-like offboard FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4 --history --json\n  sops-like offboard arn:aws:kms:eu-west-1:111122223333:key/…   # a KMS key: files and creation rules\n')
    .action(async (recipient: string, flags) => {
      const { runOffboard } = await import('./keys.action.js')
      ctx.exit(await runOffboard(recipient, flags, ctx.io))
    })

  program
    .command('filestatus')
    .description('print {"encrypted":true} or {"encrypted":false} for a file, as sops filestatus does')
    .argument('<file>', 'file to inspect')
    .addOption(typeOption('--input-type <type>', 'file format (default: from the file name)'))
    .addHelpText('after', '\nExamples:\n  sops-like filestatus secrets.enc.yaml     # {"encrypted":true}\n  sops-like status secrets.enc.yaml         # recipients, key groups, creation rule\n')
    .action(async (file: string, flags) => {
      const { runFileStatus } = await import('./keys.action.js')
      ctx.exit(await runFileStatus(file, flags, ctx.io))
    })

  program
    .command('status')
    .description('whether files are encrypted, their recipients and key groups, and whether they match their creation rule')
    .argument('<files...>', 'files to inspect')
    .option('--json', 'print JSON')
    .option('--config <file>', 'config file (default: .sops-like.yaml or .sops.yaml found upwards)')
    .addHelpText('after', '\nExamples:\n  sops-like status secrets.enc.yaml\n  sops-like status --json config/*.enc.json\n')
    .action(async (files: string[], flags) => {
      const { runStatus } = await import('./keys.action.js')
      ctx.exit(await runStatus(files, flags, ctx.io))
    })
}
