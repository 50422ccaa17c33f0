/**
 * Declares sops' `groups add` and `groups delete` (work loaded lazily from groups.action.ts):
 * the same flags and output as sops (the file on standard output unless -i).
 * Every declaration has the same shape on purpose: flags, help, and an action that loads its
 * work with import() (the start-up rule that test/architecture.test.ts checks; see ARCHITECTURE.md).
 */
import { Option, type Command } from 'commander'
import type { CommandContext } from '../context.js'
import { collect, INDENT_HELP } from '../io.js'

const typeOption = () => new Option('--input-type <type>', 'file format (default: from the file name)').choices(['yaml', 'json', 'dotenv', 'ini', 'toml', 'binary'])

export function registerGroups(program: Command, ctx: CommandContext): void {
  const groups = program
    .command('groups')
    .description("add or delete a file's key groups, as sops groups does (the data key is wrapped again; Shamir shares re-split)")
    .addHelpText('after', '\nExamples:\n  sops-like groups add --file secrets.enc.yaml --age age1… -i\n  sops-like groups delete --file secrets.enc.yaml 1 -i\n  sops-like status secrets.enc.yaml        # lists the key groups and their numbers\n')

  groups
    .command('add')
    .description('add a key group to a file (printed unless -i); the data key and values stay the same')
    .option('-f, --file <file>', 'the file to add the group to')
    .option('--age <recipient>', 'an age recipient of the new group (repeatable)', collect)
    .option('--pgp <fingerprint>', 'a PGP fingerprint of the new group (repeatable)', collect)
    .option('--kms <arn>', 'an AWS KMS key ARN of the new group (repeatable)', collect)
    .option('--hc-vault-transit <uri>', 'a Vault Transit key URI of the new group (repeatable)', collect)
    .option('--gcp-kms <id>', 'not supported by sops-like (refused)', collect)
    .option('--azure-kv <url>', 'not supported by sops-like (refused)', collect)
    .option('--hckms <id>', 'not supported by sops-like (refused)', collect)
    .option('-i, --in-place', 'write the file back instead of printing it')
    .option('--shamir-secret-sharing-threshold <n>', 'number of key groups needed to decrypt (default: the file\'s, or all groups)')
    .option('--indent <n>', INDENT_HELP)
    .addOption(typeOption())
    .option('--pgp-key-file <file>', 'armored PGP public key file(s) for PGP recipients', collect)
    .option('--config <file>', 'config file (default: .sops-like.yaml or .sops.yaml found upwards)')
    .option('--keep-unlisted', 'keep recipients the creation rule does not list (default: refuse, exit 31)')
    .argument('[extra...]')
    .addHelpText('after', '\nExamples:\n  sops-like groups add --file secrets.enc.yaml --age age1… -i\n  sops-like groups add -f secrets.enc.yaml --age age1… --shamir-secret-sharing-threshold 2 -i\n')
    .action(async (extra: string[], flags) => {
      const { runGroupsAdd } = await import('./groups.action.js')
      ctx.exit(await runGroupsAdd(extra, flags, ctx.io))
    })

  groups
    .command('delete')
    .description('delete key group INDEX (from 0) of a file (printed unless -i); refused if the rest could not open it')
    .argument('[index...]', 'the key group to delete (sops-like status FILE lists them)')
    .option('-f, --file <file>', 'the file to delete the group from')
    .option('-i, --in-place', 'write the file back instead of printing it')
    .option('--shamir-secret-sharing-threshold <n>', 'number of key groups needed to decrypt afterwards (default: the file\'s)')
    .option('--indent <n>', INDENT_HELP)
    .addOption(typeOption())
    .option('--pgp-key-file <file>', 'armored PGP public key file(s) for PGP recipients', collect)
    .option('--config <file>', 'config file (default: .sops-like.yaml or .sops.yaml found upwards)')
    .option('--keep-unlisted', 'keep recipients the creation rule does not list (default: refuse, exit 31)')
    .addHelpText('after', '\nWhen the deleted group held someone who is in no other group, the data key is rotated\n(every value re-encrypted), as updatekeys does; sops keeps it.\n\nExamples:\n  sops-like groups delete --file secrets.enc.yaml 1 -i\n')
    .action(async (index: string[], flags) => {
      const { runGroupsDelete } = await import('./groups.action.js')
      ctx.exit(await runGroupsDelete(index, flags, ctx.io))
    })
}
