/**
 * The one door to `@noble/curves`' secp256k1 (audited), for the ECDH step of dotenvx's ECIES
 * (`import-dotenvx`). Like ed25519-load.ts, the CLI bundle replaces this file with a require of
 * dist/cli/vendor on first call (scripts/bundle.mjs, LAZY): only `import-dotenvx` pays for it.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'

export const loadSecp256k1 = (): typeof secp256k1 => secp256k1
