/**
 * A small HashiCorp Vault Transit server for tests, on 127.0.0.1 and a random port: the
 * documented JSON API (`POST /v1/<mount>/encrypt/<key>` with base64 `plaintext`,
 * `POST /v1/<mount>/decrypt/<key>` with a `vault:v1:` `ciphertext`, answers under `data`,
 * failures as `{"errors": [...]}` with Vault's status codes), an `X-Vault-Token` check and,
 * when set, an `X-Vault-Namespace` check. Real AES-256-GCM inside, one key per key name.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'

export interface FakeVault {
  /** `http://127.0.0.1:<port>` */
  address: string
  /** The key's URI as `--hc-vault-transit` takes it. */
  uri(key?: string, mount?: string): string
  /** Every request seen: method, path, token and namespace headers. */
  requests: Array<{ path: string; token: string; namespace: string }>
  /** Encrypts as the server would (to write entries by hand). */
  encrypt(plaintext: Uint8Array, key?: string, mount?: string): string
  close(): Promise<void>
}

export async function startFakeVault(opts: { token: string; namespace?: string; mounts?: string[] }): Promise<FakeVault> {
  const mounts = new Set(opts.mounts ?? ['transit'])
  const keys = new Map<string, Buffer>()
  const keyFor = (mount: string, name: string): Buffer => {
    const id = `${mount}/${name}`
    if (!keys.has(id)) keys.set(id, randomBytes(32))
    return keys.get(id)!
  }
  const encrypt = (pt: Uint8Array, name = 'sops', mount = 'transit'): string => {
    const iv = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', keyFor(mount, name), iv)
    const ct = Buffer.concat([c.update(pt), c.final(), c.getAuthTag()])
    return `vault:v1:${Buffer.concat([iv, ct]).toString('base64')}`
  }
  const decrypt = (text: string, name: string, mount: string): Buffer | null => {
    const m = /^vault:v1:([A-Za-z0-9+/=]+)$/.exec(text)
    if (!m || !keys.has(`${mount}/${name}`)) return null
    const raw = Buffer.from(m[1]!, 'base64')
    if (raw.length < 28) return null
    try {
      const d = createDecipheriv('aes-256-gcm', keys.get(`${mount}/${name}`)!, raw.subarray(0, 12))
      d.setAuthTag(raw.subarray(raw.length - 16))
      return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()])
    } catch {
      return null
    }
  }
  const requests: FakeVault['requests'] = []
  const body = (req: IncomingMessage): Promise<string> => new Promise((res) => { const c: Buffer[] = []; req.on('data', (x: Buffer) => c.push(x)); req.on('end', () => res(Buffer.concat(c).toString('utf8'))) })
  const server: Server = createServer(async (req, res) => {
    const send = (status: number, obj: unknown): void => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)) }
    const token = String(req.headers['x-vault-token'] ?? '')
    const namespace = String(req.headers['x-vault-namespace'] ?? '')
    const path = (req.url ?? '').split('?')[0]!
    requests.push({ path, token, namespace })
    const text = await body(req)
    if (req.method !== 'POST' && req.method !== 'PUT') return send(405, { errors: [] })
    if (token !== opts.token) return send(403, { errors: ['permission denied'] })
    if ((opts.namespace ?? '') !== namespace) return send(403, { errors: ['permission denied'] })
    const m = /^\/v1\/(.+)\/(encrypt|decrypt)\/([^/]+)$/.exec(path)
    if (!m || !mounts.has(m[1]!)) return send(404, { errors: [`no handler for route "${path.slice(4)}". route entry not found.`] })
    let json: Record<string, unknown>
    try {
      json = JSON.parse(text)
    } catch {
      return send(400, { errors: ['failed to parse JSON input'] })
    }
    const [, mount, op, name] = m as unknown as [string, string, string, string]
    if (op === 'encrypt') {
      if (typeof json.plaintext !== 'string') return send(400, { errors: ['missing plaintext to encrypt'] })
      return send(200, { request_id: 'x', lease_id: '', renewable: false, lease_duration: 0, data: { ciphertext: encrypt(Buffer.from(json.plaintext, 'base64'), name, mount), key_version: 1 }, wrap_info: null, warnings: null, auth: null })
    }
    if (typeof json.ciphertext !== 'string') return send(400, { errors: ['missing ciphertext to decrypt'] })
    if (!keys.has(`${mount}/${name}`)) return send(400, { errors: ['encryption key not found'] })
    const pt = decrypt(json.ciphertext, name, mount)
    if (!pt) return send(400, { errors: ['cipher: message authentication failed'] })
    return send(200, { request_id: 'x', data: { plaintext: pt.toString('base64') } })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    address,
    uri: (key = 'sops', mount = 'transit') => `${address}/v1/${mount}/keys/${key}`,
    requests,
    encrypt,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()) }),
  }
}
