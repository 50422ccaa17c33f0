/**
 * Declares `textconv`, `git setup`, `git merge`, `git hook install|uninstall` and `check` (the work is in src/ops/).
 * Every declaration has the same shape on purpose: flags, help, and an action that loads its
 * work with import() (the start-up rule that test/architecture.test.ts checks; see ARCHITECTURE.md).
 */
import { Option, type Command } from 'commander'
import type { CommandContext } from '../context.js'
import { collect } from '../io.js'

const typeOption = () => new Option('--input-type <type>', 'file format (default: from the file name)').choices(['yaml', 'json', 'dotenv', 'ini', 'toml', 'binary'])

export function registerGit(program: Command, ctx: CommandContext): void {
  program
    .command('textconv')
    .description('print a file for git diff: decrypted, or a keyless view without a key, or unchanged if not encrypted (always exits 0)')
    .argument('<file>', 'file to show (git passes a temporary copy)')
    .addOption(typeOption())
    .addHelpText('after', '\nUsed by git as diff.sops-like.textconv (see: sops-like git setup). Set SOPS_LIKE_DEBUG=1 to see why a file was not decrypted.\nThe first line of every sops file\'s view names its recipients (the config\'s names where it gives them) and the data key\'s fingerprint (a hash of the wrapped keys), so a diff shows a recipient added or removed, or a rotation.\n')
    .addHelpText('after', '\nExamples (git runs it; set up with `sops-like git setup`):\n  sops-like textconv secrets.enc.yaml\n  git diff secrets.enc.yaml          # readable lines, also without a key\n')
    .action(async (file: string, flags: { inputType?: string }) => {
      const { runTextconv } = await import('./git.action.js')
      ctx.exit(await runTextconv(file, flags, ctx.io))
    })

  const gitCmd = program.command('git').description('git integration: readable diffs, key-by-key merges, a pre-commit guard')

  gitCmd
    .command('setup')
    .description('add .gitattributes lines for the files the creation rules cover and the git config for the diff and merge drivers (idempotent)')
    .option('--global', 'write to the global git config and the global attributes file')
    .option('--pattern <glob>', 'an extra file pattern (repeatable), e.g. for a path_regex that is not a simple glob', collect)
    .option('--command <cmd>', 'the command git should run', 'sops-like')
    .option('--config <file>', 'config file (default: .sops-like.yaml or .sops.yaml found upwards)')
    .option('--hooks-path [dir]', 'keep the pre-commit hook in a committed folder (default .githooks) and set core.hooksPath to it, so each clone needs only this command')
    .addHelpText('after', '\nA catch-all rule (path_regex \'\') is written as the globs of files named like secrets files\n(*.enc.* *.sops.* .env .env.* *.key *.pem, plus check.include). Run it once in every clone:\ngit config is not copied by git clone. Never sets diff.sops-like.cachetextconv: that would\nstore decrypted text inside .git.\n\nExamples:\n  sops-like git setup\n  sops-like git setup --hooks-path            # hooks in .githooks/ (commit it)\n  sops-like git setup --pattern \'config/*.secret.json\'\n')
    .action(async (flags) => {
      const { runGitSetup } = await import('./git.action.js')
      ctx.exit(await runGitSetup(flags, ctx.io))
    })

  gitCmd
    .command('merge')
    .description('git merge driver: merge encrypted files key by key (exit 1 on a conflict, leaving ours)')
    .argument('<base>', '%O: the common ancestor')
    .argument('<ours>', '%A: our version, receives the result')
    .argument('<theirs>', '%B: their version')
    .argument('[path]', '%P: the path in the repository (picks the format)')
    .addOption(typeOption())
    .addHelpText('after', '\nConfigured by sops-like git setup as: merge.sops-like.driver = sops-like git merge %O %A %B %P\n')
    .addHelpText('after', "\nExamples (git runs it; set up with `sops-like git setup`):\n  git config merge.sops-like.driver 'sops-like git merge %O %A %B %P'\n")
    .action(async (base: string, ours: string, theirs: string, path: string | undefined, flags: { inputType?: string }) => {
      const { runGitMerge } = await import('./git.action.js')
      ctx.exit(await runGitMerge({ base, ours, theirs, path, inputType: flags.inputType }, ctx.io))
    })

  gitCmd
    .command('conflicts')
    .description('during a conflicted merge: the values both sides changed, decrypted, with the base (from the index stages :1: :2: :3:)')
    .argument('<file>', 'the conflicted encrypted file')
    .option('--json', 'print JSON')
    .addOption(typeOption())
    .addHelpText('after', '\nPrints decrypted values: like decrypt, only where you can read them.\n\nExamples:\n  sops-like git conflicts secrets.enc.yaml\n  git show :3:secrets.enc.yaml | sops-like decrypt --filename-override secrets.enc.yaml\n')
    .action(async (file: string, flags: { json?: boolean; inputType?: string }) => {
      const { runGitConflicts } = await import('./git.action.js')
      ctx.exit(await runGitConflicts(file, flags, ctx.io))
    })

  const hookCmd = gitCmd
    .command('hook')
    .description('git hooks')
  hookCmd
    .command('uninstall')
    .description('remove the hooks git hook install wrote (only those: a hook of yours is left, a chained one is put back)')
    .addHelpText('after', '\nA hook without sops-like\'s marker is never removed (exit 1 says which). A hook that install\nmoved to NAME.local is moved back to NAME.\n\nExample:\n  sops-like git hook uninstall\n')
    .action(async () => {
      const { runHookUninstall } = await import('./git.action.js')
      ctx.exit(await runHookUninstall(ctx.io))
    })
  hookCmd
    .command('install')
    .description('install hooks: pre-commit (check --staged, and check --merging during a merge), post-merge and post-rewrite (check --since ORIG_HEAD); existing hooks are kept and run first')
    .option('--command <cmd>', 'the command the hook should run', 'sops-like')
    .addHelpText('after', "\nExamples:\n  sops-like git hook install\n  sops-like git hook install --command 'npx sops-like'\n")
    .action(async (flags: { command: string }) => {
      const { runHookInstall } = await import('./git.action.js')
      ctx.exit(await runHookInstall(flags, ctx.io))
    })

  program
    .command('check')
    .description('pre-commit guard: fail when a covered file is not encrypted, invalid, fails its MAC or has stale recipients')
    .argument('[files...]', 'files to check (default: the staged files with --staged, else every tracked file)')
    .option('--staged', 'check the staged contents (what is about to be committed)')
    .option('--since <rev>', 'instead: flag files whose recipients or data key went backwards in the commits since REV (the post-merge hook passes ORIG_HEAD); needs no key')
    .option('--merging', 'instead: the same for the staged result of the merge in progress, against both sides (pre-commit runs it while a merge is in progress)')
    .option('--config <file>', 'config file (default: .sops-like.yaml or .sops.yaml found upwards)')
    .addHelpText('after', '\nCovered: files a creation rule\'s path_regex matches; for a catch-all rule (path_regex \'\'), files named\nlike secrets files (*.enc.* *.sops.* .env .env.* *.key *.pem, not .env.example); plus check.include,\nminus check.exclude in the config. Exit code 40 when a file fails the check.\n\nExamples:\n  sops-like check --staged\n  sops-like check secrets.enc.yaml\n  sops-like check --since ORIG_HEAD     # after a merge or pull: did an offboarded recipient or an old data key come back?\n')
    .action(async (files: string[], flags: { staged?: boolean; config?: string; since?: string; merging?: boolean }) => {
      const { runCheck } = await import('./git.action.js')
      ctx.exit(await runCheck(files, flags, ctx.io))
    })
}
