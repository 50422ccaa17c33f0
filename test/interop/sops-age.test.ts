/**
 * A second, independent sops decoder (npm `sops-age`) reads what we write, and the MAC is
 * re-checked here from scratch (real `age` for the data key, raw AES-GCM, SHA-512), without
 * using any of our engine code.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { createDecipheriv, createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { decryptSops } from 'sops-age'
import { runCli, isolatedEnv } from '../helpers/cli.js'
import { makeAgeKey, tempDir } from '../helpers/keys.js'

const hasAge = spawnSync('age', ['--version']).status === 0

function openEnc(enc: string, key: Buffer, aad: string): string {
  const m = /^ENC\[AES256_GCM,data:(.*),iv:(.*),tag:(.*),type:(.*)\]$/.exec(enc)!
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(m[2]!, 'base64'))
  d.setAAD(Buffer.from(aad))
  d.setAuthTag(Buffer.from(m[3]!, 'base64'))
  return Buffer.concat([d.update(Buffer.from(m[1]!, 'base64')), d.final()]).toString()
}

const plain: Record<string, string> = {
  yaml: 'name: service\ndb:\n    password: hunter2\n    port: 5432\nflags:\n    - true\n    - false\nnote_unencrypted: clear\n',
  json: '{\n\t"name": "service",\n\t"db": {\n\t\t"password": "hunter2",\n\t\t"port": 5432\n\t},\n\t"flags": [\n\t\ttrue,\n\t\tfalse\n\t],\n\t"note_unencrypted": "clear"\n}\n',
  env: 'NAME=service\nDB_PASSWORD=hunter2\nNOTE_unencrypted=clear\n',
}
const macInput: Record<string, string[]> = {
  yaml: ['service', 'hunter2', '5432', 'True', 'False', 'clear'],
  json: ['service', 'hunter2', '5432', 'True', 'False', 'clear'],
  env: ['service', 'hunter2', 'clear'],
}
const expected: Record<string, unknown> = {
  yaml: { name: 'service', db: { password: 'hunter2', port: 5432 }, flags: [true, false], note_unencrypted: 'clear' },
  json: { name: 'service', db: { password: 'hunter2', port: 5432 }, flags: [true, false], note_unencrypted: 'clear' },
  env: { NAME: 'service', DB_PASSWORD: 'hunter2', NOTE_unencrypted: 'clear' },
}

for (const ext of ['yaml', 'json', 'env'] as const) {
  test(`sops-age decrypts our ${ext} output and the MAC checks out independently`, async () => {
    if (!hasAge) return
    const t = tempDir()
    try {
      const k = await makeAgeKey(t.dir)
      writeFileSync(join(t.dir, `s.${ext}`), plain[ext]!)
      const r = await runCli(['encrypt', '--age', k.recipient, `s.${ext}`], { cwd: t.dir, env: isolatedEnv() })
      assert.is(r.code, 0, r.stderr)
      const got = await decryptSops(r.stdout, { fileType: ext, secretKey: k.identity })
      assert.equal(got, expected[ext])
      // independent MAC check
      let enc: string, lastmodified: string, mac: string
      if (ext === 'env') {
        const line = (name: string) => r.stdout.split('\n').find((l) => l.startsWith(`sops_${name}=`))!.slice(name.length + 6)
        enc = line('age__list_0__map_enc').replace(/\\n/g, '\n')
        lastmodified = line('lastmodified')
        mac = line('mac')
      } else {
        const doc = ext === 'yaml' ? parseYaml(r.stdout) : JSON.parse(r.stdout)
        enc = doc.sops.age[0].enc
        lastmodified = doc.sops.lastmodified
        mac = doc.sops.mac
      }
      const age = spawnSync('age', ['-d', '-i', k.file], { input: enc })
      assert.is(age.status, 0)
      const stored = openEnc(mac, age.stdout, lastmodified)
      const computed = createHash('sha512').update(macInput[ext]!.join('')).digest('hex').toUpperCase()
      assert.is(stored, computed)
    } finally {
      t.cleanup()
    }
  })
}

test.run()
