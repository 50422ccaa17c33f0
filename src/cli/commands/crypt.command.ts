/**
 * Declares `encrypt` and `decrypt` (the work is loaded lazily from crypt.action.ts).
 * Every declaration has the same shape on purpose: flags, help, and an action that loads its
 * work with import() (the start-up rule that test/architecture.test.ts checks; see ARCHITECTURE.md).
 */
import { Option, type Command } from 'commander'
import type { CommandContext } from '../context.js'
import { collect, DECRYPTION_ORDER_FLAG, INDENT_HELP } from '../io.js'

const typeOption = (flag: string, what: string) => new Option(flag, what).choices(['yaml', 'json', 'dotenv', 'ini', 'toml', 'binary'])

export function registerCrypt(program: Command, ctx: CommandContext): void {
  program
    .command('encrypt')
    .description('encrypt the values of a file (stdout unless -i/-o)')
    .argument('[file]', 'file to encrypt, or - for standard input', '-')
    .option('-i, --in-place', 'write the result back to the file')
    .option('-o, --output <file>', 'write the result to this file (atomically)')
    .option('-a, --age <recipients>', 'age recipients (comma-separated, repeatable); overrides the config', collect)
    .option('-p, --pgp <fingerprints>', 'PGP fingerprints (comma-separated, repeatable); overrides the config', collect)
    .option('--age-recipients-file <file>', 'file with one age/SSH recipient per line', collect)
    .option('--pgp-key-file <file>', 'armored PGP public key file(s) to encrypt to', collect)
    .option('-k, --kms <arns>', 'AWS KMS key ARNs, arn:aws:kms:…[+arn:aws:iam::…:role/…] (comma-separated, repeatable); overrides the config', collect)
    .option('--encryption-context <pairs>', 'AWS KMS encryption context for --kms keys (key:value,…)')
    .option('--aws-profile <name>', 'AWS profile for --kms keys')
    .option('--gcp-kms <ids>', 'GCP KMS keys, projects/P/locations/L/keyRings/R/cryptoKeys/K (comma-separated, repeatable); overrides the config', collect)
    .option('--azure-kv <urls>', 'Azure Key Vault keys, https://VAULT.vault.azure.net/keys/NAME[/VERSION] (comma-separated, repeatable); overrides the config', collect)
    .option('--hc-vault-transit <uris>', 'Vault Transit keys, https://host:8200/v1/transit/keys/NAME (comma-separated, repeatable); overrides the config', collect)
    .addOption(typeOption('--input-type <type>', 'input format (default: from the file name)'))
    .addOption(typeOption('--output-type <type>', 'output format (default: the input format)'))
    .option('--filename-override <path>', 'file name used for format detection and config rules')
    .option('--config <file>', 'config file (default: .sops-like.yaml or .sops.yaml found upwards)')
    .option('--unencrypted-suffix <suffix>', 'leave keys ending with this suffix in clear')
    .option('--encrypted-suffix <suffix>', 'encrypt only keys ending with this suffix')
    .option('--unencrypted-regex <re>', 'leave keys matching this regex in clear')
    .option('--encrypted-regex <re>', 'encrypt only keys matching this regex')
    .option('--unencrypted-comment-regex <re>', 'leave values after comments matching this regex in clear')
    .option('--encrypted-comment-regex <re>', 'encrypt only values after comments matching this regex')
    .option('--mac-only-encrypted', 'compute the MAC over encrypted values only')
    .option('--shamir-secret-sharing-threshold <n>', 'number of key groups needed to decrypt')
    .option('--indent <n>', INDENT_HELP)
    .addHelpText('after', '\nExamples:\n  sops-like encrypt --age age1… secrets.yaml > secrets.enc.yaml\n  sops-like encrypt -i secrets.enc.yaml            # recipients from .sops-like.yaml\n  cat app.env | sops-like encrypt --input-type dotenv -\n')
    .action(async (file: string, flags) => {
      const { runEncrypt } = await import('./crypt.action.js')
      ctx.exit(await runEncrypt(file, flags, ctx.io))
    })

  program
    .command('decrypt')
    .description('decrypt a file (stdout unless -i/-o); the MAC is verified first')
    .argument('[file]', 'file to decrypt, or - for standard input', '-')
    .option('-i, --in-place', 'write the plaintext back to the file')
    .option('-o, --output <file>', 'write the plaintext to this file (mode 0600)')
    .option('--extract <path>', 'print one value, e.g. \'["db"]["password"]\'')
    .addOption(typeOption('--input-type <type>', 'input format (default: from the file name)'))
    .addOption(typeOption('--output-type <type>', 'output format (default: the input format)'))
    .option('--filename-override <path>', 'file name used for format detection')
    .option('--ignore-mac', 'decrypt even if the MAC does not match (values are still authenticated)')
    .option('--pgp-key-file <file>', 'armored PGP private key to decrypt with', collect)
    .option('--indent <n>', INDENT_HELP)
    .option(...DECRYPTION_ORDER_FLAG)
    .addHelpText('after', '\nExamples:\n  SOPS_AGE_KEY_FILE=key.txt sops-like decrypt secrets.enc.yaml\n  sops-like decrypt --extract \'["db"]["password"]\' secrets.enc.yaml\n  sops-like decrypt --output-type json secrets.enc.yaml\n')
    .action(async (file: string, flags) => {
      const { runDecrypt } = await import('./crypt.action.js')
      ctx.exit(await runDecrypt(file, flags, ctx.io))
    })

}
