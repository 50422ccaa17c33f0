#!/usr/bin/env node
// Thin launcher, in CommonJS so that Node starts no ES module loader: the bundled CLI
// (dist/cli/main.cjs, compiled through the user's code cache, see load-bundle.cjs), else the
// tsc output (ES modules).
'use strict'
const { existsSync } = require('node:fs')
const { join } = require('node:path')

const bundled = join(__dirname, '../dist/cli/main.cjs')
const cli = existsSync(bundled)
  ? Promise.resolve(require('./load-bundle.cjs').loadBundle(bundled))
  : import(require('node:url').pathToFileURL(join(__dirname, '../dist/src/cli/main.js')).href)
cli.then((m) => m.main(process.argv.slice(2))).then((code) => { process.exitCode = code })
