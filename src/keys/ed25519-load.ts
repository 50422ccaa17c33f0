/**
 * The one door to `@noble/curves`' Ed25519 (audited), for the Edwards → Montgomery conversions
 * of ssh-ed25519 keys. Its module set-up costs milliseconds, so the CLI bundle replaces this
 * file with a require of dist/cli/vendor on first call (scripts/bundle.mjs, LAZY): only a file
 * or command that involves an ssh-ed25519 key pays for it. The library imports it statically
 * so that bundlers of apps see the package.
 */
import { ed25519 } from '@noble/curves/ed25519.js'

export const loadEd25519 = (): typeof ed25519 => ed25519
