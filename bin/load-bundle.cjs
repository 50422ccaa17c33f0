// Loads the bundled CLI (dist/cli/main.cjs) as require() would, but through V8's code cache,
// so that V8 need not parse the whole bundle on every start. The cache is kept per user:
// <$XDG_CACHE_HOME or ~/.cache>/sops-like/main-<key>.cache, where the key is a SHA-256 of the
// bundle's text, the Node version, the platform and Node's flags: another build or another
// Node never meets a cache made for something else (V8 itself only compares lengths).
// The first start of a build writes it (0600, in a 0700 folder) when it exits, as Node 22's
// own compile cache does, so that it also holds the functions that start compiled: bytecode
// made from the bundle's text, no data of the run (V8 keeps those elsewhere).
// The four newest caches are kept (several installed versions). A cache file or folder that
// is not the user's own, or that others can write, is ignored.
// SOPS_LIKE_CODE_CACHE=0 turns it off.
'use strict'
const { createHash } = require('node:crypto')
const fs = require('node:fs')
const { createRequire } = require('node:module')
const { dirname, isAbsolute, join } = require('node:path')
const { Script } = require('node:vm')

/** The function require() puts around a CommonJS file. */
const wrap = (source) => `(function (exports, require, module, __filename, __dirname) {${source}\n})`

const CACHE_NAME = /^main-[0-9a-f]{32}\.cache$/
const KEEP = 4

function cacheFolder(env) {
  if (env.SOPS_LIKE_CODE_CACHE === '0') return undefined
  const base = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : '')
  return isAbsolute(base) ? join(base, 'sops-like') : undefined
}

/** Owned by this user and writable by nobody else. */
function ownedAndPrivate(path) {
  const st = fs.lstatSync(path)
  const uid = process.getuid?.()
  return (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0 ? st : undefined
}

function readCache(folder, file) {
  try {
    if (!ownedAndPrivate(folder)?.isDirectory() || !ownedAndPrivate(file)?.isFile()) return undefined
    return fs.readFileSync(file)
  } catch {
    return undefined // none yet
  }
}

function writeCache(folder, file, data) {
  try {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 })
    if (!ownedAndPrivate(folder)?.isDirectory()) return
    const tmp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(tmp, data, { mode: 0o600, flag: 'w' })
    fs.renameSync(tmp, file)
    // the newest few stay (two installed versions used in turn must not evict each other)
    const old = fs.readdirSync(folder).filter((n) => CACHE_NAME.test(n)).map((n) => ({ n, t: fs.statSync(join(folder, n)).mtimeMs }))
    for (const { n } of old.sort((a, b) => b.t - a.t).slice(KEEP)) fs.rmSync(join(folder, n), { force: true })
  } catch {
    /* no home, read-only, a race with another start: this start simply had no cache */
  }
}

/** Compiles `file` with the user's code cache; `used` says whether V8 took it. */
function compileBundle(file, env = process.env) {
  const source = fs.readFileSync(file, 'utf8')
  const folder = cacheFolder(env)
  const key = createHash('sha256').update(`${process.version} ${process.platform} ${process.arch} ${process.execArgv.join(' ')}\n`).update(source).digest('hex').slice(0, 32)
  const cacheFile = folder && join(folder, `main-${key}.cache`)
  const cachedData = cacheFile && readCache(folder, cacheFile)
  const script = new Script(wrap(source), { filename: file, cachedData })
  const used = cachedData !== undefined && !script.cachedDataRejected
  if (cacheFile && !used) process.once('exit', () => writeCache(folder, cacheFile, script.createCachedData()))
  return { script, used, cacheFile }
}

/** What require(file) would return. */
function loadBundle(file, env = process.env) {
  const module = { exports: {} }
  compileBundle(file, env).script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file))
  return module.exports
}

module.exports = { compileBundle, loadBundle }
