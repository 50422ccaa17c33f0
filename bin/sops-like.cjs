#!/usr/bin/env node
// Thin launcher, in CommonJS so that Node starts no ES module loader. Runs the bundled CLI
// (dist/cli/main.cjs) compiled with the V8 code cache the build made for it (main.cjs.cache:
// V8 then skips parsing the bundle; it ignores a cache from another Node version or another
// bundle and compiles as usual), else the tsc output (ES modules).
'use strict'
const { existsSync, readFileSync } = require('node:fs')
const { createRequire } = require('node:module')
const { dirname, join } = require('node:path')
const { Script } = require('node:vm')

/** The function require() puts around a CommonJS file; the code cache is made for exactly this text. */
const wrap = (source) => `(function (exports, require, module, __filename, __dirname) {${source}\n})`

/** Compiles a CommonJS file with `<file>.cache` when there is one (`cachedDataRejected` says whether V8 used it). */
function compileCached(file) {
  let cachedData
  try { cachedData = readFileSync(`${file}.cache`) } catch { /* no cache: V8 compiles */ }
  return new Script(wrap(readFileSync(file, 'utf8')), { filename: file, cachedData })
}

/** What require(file) would return, compiled with the code cache. */
function loadCached(file) {
  const module = { exports: {} }
  compileCached(file).runInThisContext()(module.exports, createRequire(file), module, file, dirname(file))
  return module.exports
}

if (require.main === module) {
  const bundled = join(__dirname, '../dist/cli/main.cjs')
  const cli = existsSync(bundled)
    ? Promise.resolve(loadCached(bundled))
    : import(require('node:url').pathToFileURL(join(__dirname, '../dist/src/cli/main.js')).href)
  cli.then((m) => m.main(process.argv.slice(2))).then((code) => { process.exitCode = code })
}

module.exports = { wrap, compileCached } // for scripts/bundle.mjs (makes the cache) and its tests
