/**
 * Issue 16, item 1: a merge never undoes an offboarding or a rotation. Played by
 * three people (alice, bob, carol) in real git with the built CLI as merge driver
 * and hooks: pull --no-rebase, pull --rebase, merging main into a stale branch and
 * fast-forwarding, a rotation on a branch, a merger without a key to one side, and
 * the post-merge hook catching a regression made without the driver.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { built, Team } from './harness.js'

const FILE = 'secrets.enc.yaml'
const PLAIN = 'db_password: old-db\napi_token: old-api\nport: 5432\n'

let tpl: Team | undefined
const teams: Team[] = []
const fork = (): Team => { const t = tpl!.fork(); teams.push(t); return t }

test.before(async () => {
  if (!built()) return
  tpl = await Team.template({ files: { [FILE]: PLAIN } })
})
test.after(() => { for (const t of teams) t.cleanup(); tpl?.cleanup() })

const skip = (): boolean => {
  if (tpl) return false
  console.log('team tests skipped: run npm run build first (they drive the built CLI)')
  return true
}

/**
 * The story up to the merge: alice changes a value in a commit she does not
 * push; meanwhile on main carol offboards bob (rotation) and changes another value.
 */
function staleCommitAndOffboarding(team: Team): void {
  team.set('alice', FILE, 'db_password', 'alice-db')
  team.commit('alice', 'alice: new db password (not pushed yet)')
  team.cli('carol', ['offboard', team.members.bob.recipient, '-q'])
  team.set('carol', FILE, 'api_token', 'after-bob-left')
  team.commit('carol', 'offboard bob, new api token')
  team.push('carol')
}

/** Whether the member's key opens a file's text. */
async function opens(team: Team, who: 'alice' | 'bob' | 'carol', text: string): Promise<boolean> {
  return team.dataKey(who, text).then(() => true, () => false)
}

/** The merged file on `who`'s side: not encrypted to bob, bob cannot open it, every change is there. */
async function assertBobStaysOut(team: Team, who: 'alice' | 'carol', text: string): Promise<void> {
  const recipients = await Team.recipients(text)
  assert.not.ok(recipients.includes(team.members.bob.recipient), 'bob is a recipient again')
  assert.equal(recipients, [team.members.alice.recipient, team.members.carol.recipient].sort())
  assert.is(await opens(team, 'bob', text), false, 'bob can open the merged file')
  assert.is(team.decryptText(who, text), 'db_password: alice-db\napi_token: after-bob-left\nport: 5432\n')
}

test('attack: a stale unpushed commit merged by git pull --no-rebase re-grants offboarded bob — the driver keeps him out (not a recipient, cannot decrypt, all changes kept)', async () => {
  if (skip()) return
  const team = fork()
  staleCommitAndOffboarding(team)
  const r = team.pull('alice', '--no-rebase')
  assert.is(r.code, 0, r.stderr)
  assert.not.match(r.stderr, /can read it again|went back/) // the post-merge hook ran and found nothing
  const merged = team.read('alice', FILE)
  await assertBobStaysOut(team, 'alice', merged)
  assert.is.not(await team.dataKey('alice', merged), await team.dataKey('alice', team.show('alice', 'HEAD^1', FILE)), 'the pre-offboarding key (bob had it) came back')
  assert.is(team.git('alice', ['status', '--porcelain']).stdout.trim(), '')
})

test('attack: a stale unpushed commit replayed by git pull --rebase re-grants offboarded bob — the replayed commit stays without him', async () => {
  if (skip()) return
  const team = fork()
  staleCommitAndOffboarding(team)
  const oldKey = await team.dataKey('alice', team.show('alice', 'HEAD', FILE))
  const r = team.pull('alice', '--rebase')
  assert.is(r.code, 0, r.stderr)
  assert.not.match(r.stderr, /can read it again|went back/) // the post-rewrite hook ran and found nothing
  assert.is(team.git('alice', ['rev-list', '--count', 'origin/main..HEAD']).stdout.trim(), '1') // rebased, not merged
  const text = team.read('alice', FILE)
  await assertBobStaysOut(team, 'alice', text)
  assert.is.not(await team.dataKey('alice', text), oldKey)
})

test('attack: merging main into a stale feature branch, then fast-forwarding main, re-grants offboarded bob — the merge keeps him out', async () => {
  if (skip()) return
  const team = fork()
  team.git('alice', ['checkout', '-q', '-b', 'feature'])
  staleCommitAndOffboarding(team)
  const oldKey = await team.dataKey('alice', team.show('alice', 'HEAD', FILE))
  team.git('alice', ['fetch', '-q', 'origin'])
  const m = team.merge('alice', 'origin/main')
  assert.is(m.code, 0, m.stderr)
  team.git('alice', ['checkout', '-q', 'main'])
  team.git('alice', ['merge', '-q', '--ff-only', 'origin/main'])
  team.git('alice', ['merge', '-q', '--ff-only', 'feature'])
  team.push('alice', 'main')
  team.git('carol', ['pull', '-q', '--ff-only', 'origin', 'main'])
  const text = team.read('carol', FILE)
  await assertBobStaysOut(team, 'carol', text)
  assert.is.not(await team.dataKey('carol', text), oldKey)
})

test('attack: a rotation on a branch silently dropped by the merge — the merged file gets a new data key, every change present, every recipient reads it', async () => {
  if (skip()) return
  const team = fork()
  const before = await team.dataKey('alice', team.read('alice', FILE))
  team.git('carol', ['checkout', '-q', '-b', 'rotate'])
  team.cli('carol', ['rotate', FILE])
  team.commit('carol', 'rotate the data key')
  team.push('carol', 'rotate')
  const rotated = await team.dataKey('carol', team.read('carol', FILE))
  team.set('alice', FILE, 'db_password', 'alice-db')
  team.commit('alice', 'new db password')
  team.git('alice', ['fetch', '-q', 'origin'])
  const m = team.merge('alice', 'origin/rotate')
  assert.is(m.code, 0, m.stderr)
  assert.not.match(m.stderr, /can read it again|went back/)
  const text = team.read('alice', FILE)
  const merged = await team.dataKey('alice', text)
  assert.is.not(merged, before, 'the pre-rotation data key came back')
  assert.is.not(merged, rotated) // a fresh key: at least as new as the rotation
  for (const who of ['alice', 'bob', 'carol'] as const) assert.is(team.decryptText(who, text), 'db_password: alice-db\napi_token: old-api\nport: 5432\n', who)
})

test('attack: a merger without a key to one side writes an older file — the merge is refused (reason, conflict), the file stays valid, nothing committed', async () => {
  if (skip()) return
  const team = fork()
  team.set('carol', FILE, 'api_token', 'carol-api')
  team.commit('carol', 'carol: new api token (not pushed yet)')
  const ours = team.read('carol', FILE)
  const head = team.git('carol', ['rev-parse', 'HEAD']).stdout
  team.cli('alice', ['offboard', team.members.carol.recipient, '-q'])
  team.commit('alice', 'offboard carol')
  team.push('alice')
  const r = team.pull('carol', '--no-rebase')
  assert.is.not(r.code, 0)
  assert.match(r.stderr, /cannot merge secrets\.enc\.yaml: none of your keys decrypts theirs, so its recipients and data key cannot be merged safely: ask a teammate/)
  assert.match(r.stdout + r.stderr, /CONFLICT/)
  assert.is(team.read('carol', FILE), ours) // valid: ours, unchanged
  assert.is(team.decryptText('carol', ours), 'db_password: old-db\napi_token: carol-api\nport: 5432\n')
  assert.is(team.git('carol', ['rev-parse', 'HEAD']).stdout, head) // no merge commit
  assert.match(team.git('carol', ['status', '--porcelain']).stdout, /^UU secrets\.enc\.yaml$/m)
})

test('attack: a merge made without the driver (keep-ours driver=true) re-lists bob — pre-commit stops the commit of a conflict resolved as ours; merged by git itself, post-merge flags it with the fix, and the fix clears it', async () => {
  if (skip()) return
  const team = fork()
  staleCommitAndOffboarding(team)
  const bob = team.members.bob.recipient
  const keepOurs = ['-c', 'merge.sops-like.driver=true']
  team.git('alice', ['fetch', '-q', 'origin'])
  const head = team.git('alice', ['rev-parse', 'HEAD']).stdout
  // a clone whose driver fails (or is missing): conflict; taking ours and committing is stopped by pre-commit
  const m = team.git('alice', ['-c', 'merge.sops-like.driver=false', 'merge', '--no-edit', 'origin/main'], { allowFail: true })
  assert.is.not(m.code, 0)
  team.git('alice', ['add', FILE])
  const c0 = team.git('alice', ['commit', '--no-edit'], { allowFail: true })
  assert.is.not(c0.code, 0)
  assert.ok(c0.stderr.includes(`check: ${FILE}: age ${bob} can read it again: the staged merge result lists this recipient`), c0.stderr)
  assert.ok(c0.stderr.includes(`run sops-like rotate --rm-age ${bob} ${FILE}, then git add it and commit`), c0.stderr)
  assert.match(c0.stderr, /keys went backwards in the merge in progress in 1 file: secrets\.enc\.yaml/)
  assert.is(team.git('alice', ['rev-parse', 'HEAD']).stdout, head) // nothing committed
  team.git('alice', ['merge', '--abort'])

  // git merges on its own: post-merge cannot undo it, so it is loud and says what to run
  const r = team.git('alice', [...keepOurs, 'merge', '--no-edit', 'origin/main'])
  assert.ok(await opens(team, 'bob', team.read('alice', FILE)), 'setup: the regression exists')
  const fix = `sops-like rotate --rm-age ${bob} ${FILE}`
  assert.ok(r.stderr.includes(`check: ${FILE}: age ${bob} can read it again`), r.stderr)
  assert.ok(r.stderr.includes(`run ${fix}, then commit and push`), r.stderr)
  assert.match(r.stderr, /the merge above is done, but it put back keys that were removed/)
  const c = team.cli('alice', ['check', '--since', 'ORIG_HEAD'], { expect: 40 })
  assert.match(c.stderr, /keys went backwards since ORIG_HEAD in 1 file: secrets\.enc\.yaml/)
  team.cli('alice', fix.split(' ').slice(1))
  team.commit('alice', 'remove bob again')
  assert.match(team.cli('alice', ['check', '--since', 'ORIG_HEAD']).stdout, /no recipient or data key went backwards/)
  assert.is(await opens(team, 'bob', team.read('alice', FILE)), false)
})

test('attack: a rebase conflict resolved by taking the stale version (driver off) — the post-rewrite hook flags bob back, and a rotation undone', async () => {
  if (skip()) return
  const team = fork()
  staleCommitAndOffboarding(team)
  const off = { env: { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'merge.sops-like.driver', GIT_CONFIG_VALUE_0: 'false' } }
  assert.is.not(team.git('alice', ['pull', '-q', '--rebase', 'origin', 'main'], { ...off, allowFail: true }).code, 0)
  team.git('alice', ['checkout', '--theirs', FILE]) // in a rebase, "theirs" is the commit being replayed: the stale file
  team.git('alice', ['add', FILE])
  const r = team.git('alice', ['rebase', '--continue'], off)
  assert.match(r.stderr, new RegExp(`check: ${FILE}: age ${team.members.bob.recipient} can read it again`))
  assert.match(r.stderr, /the rebase above is done, but it put back keys that were removed/)
  // the same without bob: only the rotation undone
  const t2 = fork()
  t2.set('alice', FILE, 'db_password', 'alice-db')
  t2.commit('alice', 'alice: new db password (not pushed yet)')
  t2.cli('carol', ['rotate', FILE])
  t2.commit('carol', 'rotate')
  t2.push('carol')
  assert.is.not(t2.git('alice', ['pull', '-q', '--rebase', 'origin', 'main'], { ...off, allowFail: true }).code, 0)
  t2.git('alice', ['checkout', '--theirs', FILE])
  t2.git('alice', ['add', FILE])
  const r2 = t2.git('alice', ['rebase', '--continue'], off)
  assert.match(r2.stderr, /check: secrets\.enc\.yaml: its data key went back to the one from before the rotation in \w+ \(commit \w+\); run sops-like rotate secrets\.enc\.yaml, then commit and push/)
})

test.run()
