// Loads the bundled CLI (dist/cli/main.cjs) as require() would, but through V8's code cache,
// so that V8 need not parse the whole bundle on every start.
//
// V8 checks only that a cache was made for a source of the same length, and then runs the
// bytecode in it: a cache is code. So a cache is used only when it is authenticated: the file
// holds an HMAC-SHA256 of the cache bytes, bound to the SHA-256 of the bundle's text and the
// Node version, platform and flags, under a random per-user key that is NOT kept with the
// caches: <$XDG_STATE_HOME or ~/.local/state>/sops-like/code-cache.key, made 0600 in a 0700
// folder, and used only when it is a regular file (no link) of ours that nobody else can read or
// write, in a folder of ours nobody else can write (git never checks out a 0600 file with the
// usual umask, so a key committed to a repository that HOME points into is refused). The HMAC is
// checked in constant time before V8 sees a byte; whatever fails, the bundle is compiled from its
// text (never an error).
// Caches: <$XDG_CACHE_HOME or ~/.cache>/sops-like/main-<id>.cache, the id a SHA-256 of the bundle
// and the Node version (a name to find it by, not a check). The first start of a build writes it
// (0600, in a 0700 folder) when it exits, as Node 22's own compile cache does, so that it also
// holds the functions that start compiled: bytecode made from the bundle's text, no data of the
// run (V8 keeps those elsewhere). The four newest are kept (several installed versions).
// Off with SOPS_LIKE_CODE_CACHE=0, and by default when CI is set (a CI cache of ~/.cache may come
// from another job); SOPS_LIKE_CODE_CACHE=1 turns it on there.
'use strict'
const { createHash, createHmac, randomBytes, timingSafeEqual } = require('node:crypto')
const fs = require('node:fs')
const { createRequire } = require('node:module')
const { dirname, isAbsolute, join, sep } = require('node:path')
const { Script } = require('node:vm')

/** The function require() puts around a CommonJS file. */
const wrap = (source) => `(function (exports, require, module, __filename, __dirname) {${source}\n})`

const CACHE_NAME = /^main-[0-9a-f]{32}\.cache$/
const KEEP = 4
const KEY_BYTES = 32
const MAC_BYTES = 32
const MAC_DOMAIN = 'sops-like code cache v1\0'

/** Whether to use a code cache at all: not when turned off, not in CI unless asked for. */
function cacheWanted(env) {
  const on = env.SOPS_LIKE_CODE_CACHE
  if (on === '0') return false
  if (on === '1') return true
  const ci = (env.CI ?? '').toLowerCase()
  return ci === '' || ci === 'false' || ci === '0'
}

const inside = (a, b) => a === b || a.startsWith(b + sep)

/** { folder, keyFile } for this user, or undefined when there is no cache (off, no home, no uid to check). */
function cachePlaces(env) {
  if (!cacheWanted(env) || typeof process.getuid !== 'function') return undefined
  const cache = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : '')
  const state = isAbsolute(env.XDG_STATE_HOME ?? '') ? env.XDG_STATE_HOME : env.HOME ? join(env.HOME, '.local', 'state') : ''
  if (!isAbsolute(cache) || !isAbsolute(state)) return undefined
  const folder = join(cache, 'sops-like')
  const keyFolder = join(state, 'sops-like')
  if (inside(keyFolder, folder) || inside(folder, keyFolder)) return undefined // the key is never kept with the caches
  return { folder, keyFile: join(keyFolder, 'code-cache.key') }
}

/** Owned by this user and writable by nobody else. */
function ownedAndPrivate(path) {
  const st = fs.lstatSync(path)
  return st.uid === process.getuid() && (st.mode & 0o022) === 0 ? st : undefined
}

function readCache(folder, file) {
  try {
    if (!ownedAndPrivate(folder)?.isDirectory() || !ownedAndPrivate(file)?.isFile()) return undefined
    return fs.readFileSync(file)
  } catch {
    return undefined // none yet
  }
}

/** The user's cache key: a regular file (no link) of ours, 32 bytes, that nobody else can read or write, in a folder of ours. */
function readKey(file) {
  try {
    const uid = process.getuid()
    const dir = fs.lstatSync(dirname(file))
    if (!dir.isDirectory() || dir.uid !== uid || (dir.mode & 0o022) !== 0) return undefined
    const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants
    const fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) // a link fails; a FIFO does not block
    try {
      const st = fs.fstatSync(fd)
      if (!st.isFile() || st.uid !== uid || (st.mode & 0o077) !== 0 || st.size !== KEY_BYTES) return undefined
      const key = Buffer.alloc(KEY_BYTES)
      return fs.readSync(fd, key, 0, KEY_BYTES, 0) === KEY_BYTES ? key : undefined
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    return undefined
  }
}

/** Makes the key (0600, in a 0700 folder) unless one exists, then reads it back through the checks. */
function makeKey(file) {
  const dir = dirname(file)
  fs.mkdirSync(dirname(dir), { recursive: true })
  try {
    fs.mkdirSync(dir, { mode: 0o700 })
  } catch (e) {
    if (e.code !== 'EEXIST') throw e
  }
  const st = fs.lstatSync(dir) // never write through a link, nor where others can write
  if (!st.isDirectory() || st.uid !== process.getuid() || (st.mode & 0o022) !== 0) return undefined
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' })
  try {
    fs.linkSync(tmp, file) // never replaces a key (another start may have just made one)
  } catch (e) {
    if (e.code !== 'EEXIST') throw e
  } finally {
    fs.rmSync(tmp, { force: true })
  }
  return readKey(file)
}

const macOf = (key, id, data) => createHmac('sha256', key).update(MAC_DOMAIN).update(id).update(data).digest()

/** The V8 cache in a cache file, if its MAC is right for this bundle (`id`) under the user's key. */
function openSealed(sealed, key, id) {
  if (!sealed || !key || sealed.length <= MAC_BYTES) return undefined
  const data = sealed.subarray(MAC_BYTES)
  return timingSafeEqual(macOf(key, id, data), sealed.subarray(0, MAC_BYTES)) ? data : undefined
}

function writeCache(folder, file, keyFile, id, data) {
  try {
    const key = readKey(keyFile) ?? makeKey(keyFile)
    if (!key) return // a key we may not use is in the way: no cache
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 })
    if (!ownedAndPrivate(folder)?.isDirectory()) return
    const tmp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(tmp, Buffer.concat([macOf(key, id, data), data]), { mode: 0o600, flag: 'w' })
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
  const bytes = fs.readFileSync(file)
  const source = bytes.toString('utf8')
  const places = cachePlaces(env)
  if (!places) return { script: new Script(wrap(source), { filename: file }), used: false, cacheFile: undefined, keyFile: undefined }
  const { folder, keyFile } = places
  const id = createHash('sha256').update(`${process.version} ${process.platform} ${process.arch} ${process.execArgv.join(' ')}\n`).update(bytes).digest()
  const cacheFile = join(folder, `main-${id.toString('hex', 0, 16)}.cache`)
  const sealed = readCache(folder, cacheFile)
  const cachedData = sealed && openSealed(sealed, readKey(keyFile), id)
  const script = new Script(wrap(source), { filename: file, cachedData })
  const used = cachedData !== undefined && !script.cachedDataRejected
  if (!used) process.once('exit', () => writeCache(folder, cacheFile, keyFile, id, script.createCachedData()))
  return { script, used, cacheFile, keyFile }
}

/** What require(file) would return. */
function loadBundle(file, env = process.env) {
  const module = { exports: {} }
  compileBundle(file, env).script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file))
  return module.exports
}

module.exports = { compileBundle, loadBundle }
