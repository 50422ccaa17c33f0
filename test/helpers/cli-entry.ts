// Runs the CLI from source in a real process (for tests that need signals, stdin or a TTY-less child).
import { main } from '../../src/cli/main.js'
process.exitCode = await main(process.argv.slice(2))
