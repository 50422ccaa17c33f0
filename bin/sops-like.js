#!/usr/bin/env node
// Thin launcher: prefer the bundled CLI (fast start-up), fall back to the tsc output.
import { existsSync } from 'node:fs'
const bundled = new URL('../dist/cli/main.js', import.meta.url)
const mod = await import(existsSync(bundled) ? bundled.href : new URL('../dist/src/cli/main.js', import.meta.url).href)
process.exitCode = await mod.main(process.argv.slice(2))
