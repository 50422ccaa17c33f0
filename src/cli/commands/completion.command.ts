/**
 * Declares `completion bash|zsh|fish` (the script generator is loaded lazily from ../completion/).
 * Every declaration has the same shape on purpose: flags, help, and an action that loads its
 * work with import() (the start-up rule that test/architecture.test.ts checks; see ARCHITECTURE.md).
 */
import { Argument, type Command } from 'commander'
import type { CommandContext } from '../context.js'

export function registerCompletion(program: Command, ctx: CommandContext): void {
  program
    .command('completion')
    .description('print a shell completion script for every command and flag')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .addHelpText('after', [
      '',
      'Examples:',
      '  source <(sops-like completion bash)     # in ~/.bashrc',
      '  source <(sops-like completion zsh)      # in ~/.zshrc, after compinit',
      '  sops-like completion fish > ~/.config/fish/completions/sops-like.fish',
      '',
    ].join('\n'))
    .action(async (shell: 'bash' | 'zsh' | 'fish', _flags: unknown, cmd: Command) => {
      const { completionScript } = await import('../completion/index.js')
      ctx.io.stdout.write(completionScript(cmd.parent ?? program, shell))
      ctx.exit(0)
    })
}
