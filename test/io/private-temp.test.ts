/**
 * Private temp folders: 0700, under a per-user base folder that is checked before use, named
 * with the creating PID (and PID namespace); folders left by a process that no longer exists
 * (killed with SIGKILL mid-`edit`) are swept by the next one, inside the base only and
 * without ever following a link.
 *
 * The attack test needs two users. As root it creates `sopslike-victim` (useradd, once) and
 * runs the victim's side as that user, planting the links as root; as another user it plays
 * both sides itself (weaker: the links are the victim's own) and says so in one line.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { buildSync } from 'esbuild'
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensurePrivateBase, makePrivateDir, privateTempBase, removeStalePrivateDirs } from '../../src/io/private-temp.js'
import { tempDir } from '../helpers/keys.js'

const t = tempDir('sops-like-private-')
chmodSync(t.dir, 0o755) // the victim user walks into it
test.after(() => t.cleanup())

const uid = process.getuid!()
const ns = (() => { try { return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0' } catch { return '0' } })()
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const deadPid = (): string => spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout
let n = 0
const fresh = (name: string, mode = 0o700): string => {
  const d = join(t.dir, `${name}-${n++}`)
  mkdirSync(d, { mode })
  chmodSync(d, mode)
  return d
}

/** The victim user's ids: created when running as root, undefined when that is impossible. */
function victimUser(): { uid: number; gid: number } | undefined {
  if (uid !== 0) return undefined
  const ids = (): { uid: number; gid: number } | undefined => {
    const u = spawnSync('id', ['-u', 'sopslike-victim'], { encoding: 'utf8' })
    const g = spawnSync('id', ['-g', 'sopslike-victim'], { encoding: 'utf8' })
    return u.status === 0 && g.status === 0 ? { uid: Number(u.stdout), gid: Number(g.stdout) } : undefined
  }
  if (!ids()) spawnSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', 'sopslike-victim'], { stdio: 'ignore' }) // may race with a parallel run: re-read
  return ids()
}

test('makePrivateDir: under XDG_RUNTIME_DIR/sops-like, folder and base 0700, PID and namespace in the name; else TMPDIR/sops-like-<uid>', () => {
  const xdg = fresh('xdg')
  const dir = makePrivateDir({ XDG_RUNTIME_DIR: xdg }, 'edit')
  assert.ok(dir.startsWith(join(xdg, 'sops-like', `sops-like-edit-${process.pid}-${ns}-`)), dir)
  assert.is(lstatSync(dir).mode & 0o777, 0o700)
  assert.is(lstatSync(join(xdg, 'sops-like')).mode & 0o777, 0o700)
  const tmp = fresh('tmp', 0o1777)
  assert.is(privateTempBase({ XDG_RUNTIME_DIR: join(t.dir, 'missing'), TMPDIR: tmp }), join(tmp, `sops-like-${uid}`))
  assert.is(privateTempBase({ XDG_RUNTIME_DIR: 'relative/dir', TMPDIR: tmp }), join(tmp, `sops-like-${uid}`))
})

test('an XDG_RUNTIME_DIR that is a symlink, shared, or someone else\'s is not used: the base goes to TMPDIR/sops-like-<uid>', () => {
  const tmp = fresh('tmp', 0o1777)
  const other = join(t.dir, `xdg-link-${n++}`)
  symlinkSync(fresh('xdg-real'), other)
  assert.is(privateTempBase({ XDG_RUNTIME_DIR: other, TMPDIR: tmp }), join(tmp, `sops-like-${uid}`))
  assert.is(privateTempBase({ XDG_RUNTIME_DIR: fresh('xdg-shared', 0o777), TMPDIR: tmp }), join(tmp, `sops-like-${uid}`))
  assert.is(privateTempBase({ XDG_RUNTIME_DIR: fresh('xdg-group', 0o770), TMPDIR: tmp }), join(tmp, `sops-like-${uid}`))
  if (uid === 0) {
    const foreign = fresh('xdg-foreign')
    chownSync(foreign, 65534, 65534)
    assert.is(privateTempBase({ XDG_RUNTIME_DIR: foreign, TMPDIR: tmp }), join(tmp, `sops-like-${uid}`))
  }
})

test('base folder planted by another user (a symlink, a folder owned by someone else, a folder others can enter) is refused, nothing written there', () => {
  const refused = (tmp: string, why: RegExp): void => {
    try {
      makePrivateDir({ TMPDIR: tmp }, 'edit')
      assert.unreachable('accepted')
    } catch (e) {
      assert.is((e as { code?: string }).code, 'WRITE_FAILED', String(e))
      assert.match((e as Error).message, why)
      assert.ok((e as Error).message.includes(join(tmp, `sops-like-${uid}`)), (e as Error).message)
    }
  }
  const viaLink = fresh('tmp', 0o1777)
  const attackers = fresh('attackers', 0o777)
  symlinkSync(attackers, join(viaLink, `sops-like-${uid}`))
  refused(viaLink, /symbolic link/)
  assert.equal(readdirSync(attackers), [], 'nothing created through the link')

  const open = fresh('tmp', 0o1777)
  mkdirSync(join(open, `sops-like-${uid}`), { mode: 0o755 })
  chmodSync(join(open, `sops-like-${uid}`), 0o755)
  refused(open, /mode 0755/)
  assert.equal(readdirSync(join(open, `sops-like-${uid}`)), [])

  const file = fresh('tmp', 0o1777)
  writeFileSync(join(file, `sops-like-${uid}`), '')
  refused(file, /not a folder/)

  if (uid === 0) {
    const foreign = fresh('tmp', 0o1777)
    mkdirSync(join(foreign, `sops-like-${uid}`), { mode: 0o700 })
    chownSync(join(foreign, `sops-like-${uid}`), 65534, 65534)
    refused(foreign, /owned by uid 65534/)
    assert.equal(readdirSync(join(foreign, `sops-like-${uid}`)), [])
  }
  assert.is(ensurePrivateBase(join(fresh('tmp', 0o1777), 'base')).length > 0, true, 'a fresh base is accepted')
})

test('folders of processes that are gone are swept; live ones, other namespaces, foreign names, links and other users\' folders are kept', () => {
  const xdg = fresh('xdg')
  const base = ensurePrivateBase(privateTempBase({ XDG_RUNTIME_DIR: xdg }))
  const dead = deadPid()
  const stale = join(base, `sops-like-edit-${dead}-${ns}-abc123`)
  mkdirSync(stale)
  writeFileSync(join(stale, 'secrets.yaml'), 'password: plaintext left by a killed edit\n', { mode: 0o600 })
  const staleRun = join(base, `sops-like-run-${dead}-${ns}-def456`)
  mkdirSync(staleRun)
  const live = join(base, `sops-like-edit-${process.ppid}-${ns}-xyz789`)
  mkdirSync(live)
  const otherNs = join(base, `sops-like-edit-${dead}-1${ns}-qrs123`)
  mkdirSync(otherNs)
  const foreign = join(base, 'sops-like-notes')
  mkdirSync(foreign)
  const canary = fresh('canary')
  writeFileSync(join(canary, 'keep.txt'), 'keep me')
  const link = join(base, `sops-like-edit-${dead}-${ns}-lnk123`)
  symlinkSync(canary, link)
  makePrivateDir({ XDG_RUNTIME_DIR: xdg }, 'run')
  assert.not.ok(existsSync(stale), 'stale edit folder removed')
  assert.not.ok(existsSync(staleRun), 'stale run folder removed')
  assert.ok(existsSync(live), 'a live process keeps its folder')
  assert.ok(existsSync(otherNs), 'a PID from another PID namespace says nothing: kept')
  assert.ok(existsSync(foreign), 'names not ours are left alone')
  assert.ok(lstatSync(link).isSymbolicLink(), 'a link is left alone')
  assert.is(readFileSync(join(canary, 'keep.txt'), 'utf8'), 'keep me')
})

test('stale-folder symlink planted in the shared temp folder: the victim\'s sweep leaves the link\'s target (home, keys.txt) intact', () => {
  const victim = victimUser()
  if (!victim) console.log(`  (private-temp: ${uid === 0 ? 'cannot create the user sopslike-victim' : 'not root'}: the links are planted by the victim itself, not by another user)`)
  const me = victim ?? { uid, gid: process.getgid!() }
  const world = fresh('world', 0o755)
  const shared = join(world, 'tmp')
  mkdirSync(shared)
  chmodSync(shared, 0o1777) // like /tmp: sticky, everyone writes
  const home = join(world, 'home')
  mkdirSync(join(home, '.config', 'sops', 'age'), { recursive: true })
  const keys = join(home, '.config', 'sops', 'age', 'keys.txt')
  writeFileSync(keys, 'AGE-SECRET-KEY-1 the victim\'s only copy\n')
  for (const p of [home, join(home, '.config'), join(home, '.config', 'sops'), join(home, '.config', 'sops', 'age'), keys]) chownSync(p, me.uid, me.gid)
  chmodSync(home, 0o700)
  // the attacker's links: old-style and new-style names of a dead PID, straight in the shared folder
  symlinkSync(home, join(shared, 'sops-like-edit-4000000-x'))
  symlinkSync(home, join(shared, `sops-like-edit-4000000-${ns}-abcdef`))
  // and inside the victim's base, which only root could do
  const base = join(shared, `sops-like-${me.uid}`)
  mkdirSync(base, { mode: 0o700 })
  chownSync(base, me.uid, me.gid)
  symlinkSync(home, join(base, `sops-like-edit-4000000-${ns}-ghijkl`))
  symlinkSync(join(home, '.config'), join(base, `sops-like-run-4000000-${ns}-mnopqr`))
  // the victim's next `edit`/`run --as-file`: makePrivateDir sweeps, then creates its folder
  // the module bundled into the world-readable folder: the victim may not be able to enter the
  // checkout (a clone under /root, a 0700 temp copy), and needs neither it nor tsx
  buildSync({ entryPoints: [join(ROOT, 'src/io/private-temp.ts')], bundle: true, platform: 'node', format: 'esm', outfile: join(world, 'private-temp.mjs'), logLevel: 'silent' })
  const script = join(world, 'victim.mjs')
  writeFileSync(script, `import { makePrivateDir } from './private-temp.mjs'\nprocess.stdout.write(makePrivateDir(process.env, 'edit'))\n`)
  const r = spawnSync(process.execPath, [script], {
    cwd: world,
    env: { PATH: process.env.PATH ?? '', HOME: home, TMPDIR: shared },
    encoding: 'utf8',
    ...(victim ? { uid: victim.uid, gid: victim.gid } : {}),
  })
  assert.is(r.status, 0, r.stderr)
  assert.ok(r.stdout.startsWith(join(base, 'sops-like-edit-')), r.stdout)
  assert.is(lstatSync(r.stdout).uid, me.uid)
  assert.is(readFileSync(keys, 'utf8'), 'AGE-SECRET-KEY-1 the victim\'s only copy\n', 'keys.txt intact')
  assert.ok(existsSync(join(home, '.config', 'sops', 'age')), 'the home folder is intact')
  rmSync(world, { recursive: true, force: true })
})

test('removeStalePrivateDirs on a folder that does not exist or cannot be read does not throw', () => {
  removeStalePrivateDirs(join(t.dir, 'nowhere'))
})

test.run()
