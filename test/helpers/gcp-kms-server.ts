/**
 * A small Google Cloud KMS for tests, on 127.0.0.1 and a random port, speaking the REST API the
 * official client uses in its HTTP/1.1 mode (`POST /v1/{name}:encrypt` with `{plaintext}`,
 * `POST /v1/{name}:decrypt` with `{ciphertext}`, base64 in JSON, Google's error JSON
 * `{error: {code, message, status}}`) and checking the OAuth bearer token. Each crypto key it is
 * given holds an AES-256 key; ciphertexts are opaque to the client (AES-256-GCM, the key's name
 * bound as AAD), as KMS's are. Keys in `denied` answer PERMISSION_DENIED, in `disabled`
 * FAILED_PRECONDITION (the primary version is disabled), unknown ones NOT_FOUND.
 */
import { createServer } from 'node:http'
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'

export interface FakeGcpKms {
  /** `http://127.0.0.1:PORT`, for SOPS_GCP_KMS_ENDPOINT. */
  endpoint: string
  requests: Array<{ op: string; name: string; authorized: boolean }>
  /** Ciphertext (base64) as this KMS would return it (to write entries by hand). */
  encrypt(name: string, plaintext: Uint8Array): string
  denied: Set<string>
  disabled: Set<string>
  close(): Promise<void>
}

export async function startFakeGcpKms(opts: { token: string; keys: string[] }): Promise<FakeGcpKms> {
  const keys = new Map(opts.keys.map((n) => [n, randomBytes(32)]))
  const denied = new Set<string>()
  const disabled = new Set<string>()
  const requests: FakeGcpKms['requests'] = []
  const encrypt = (name: string, pt: Uint8Array): string => {
    const iv = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', keys.get(name)!, iv)
    c.setAAD(Buffer.from(name))
    return Buffer.concat([Buffer.from([0x0a, 1]), iv, c.update(pt), c.final(), c.getAuthTag()]).toString('base64')
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const send = (status: number, obj: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' })
        res.end(JSON.stringify(obj))
      }
      const fail = (code: number, status: string, message: string): void => send(code, { error: { code, message, status } })
      const m = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/:?]+):(encrypt|decrypt)(?:\?.*)?$/.exec(req.url ?? '')
      const authorized = req.headers.authorization === `Bearer ${opts.token}`
      requests.push({ op: m?.[2] ?? String(req.url), name: m?.[1] ?? '', authorized })
      if (req.method !== 'POST' || !m) return fail(404, 'NOT_FOUND', `The requested URL ${req.url} was not found on this server.`)
      if (!authorized) return fail(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.')
      let json: Record<string, unknown>
      try { json = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') } catch { return fail(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.') }
      const [, name, op] = m as unknown as [string, string, string]
      const version = `${name}/cryptoKeyVersions/1`
      if (!keys.has(name)) return fail(404, 'NOT_FOUND', `${name} not found.`)
      if (denied.has(name)) return fail(403, 'PERMISSION_DENIED', `Permission 'cloudkms.cryptoKeyVersions.useTo${op === 'encrypt' ? 'Encrypt' : 'Decrypt'}' denied on resource '${name}' (or it may not exist).`)
      if (disabled.has(name)) return fail(400, 'FAILED_PRECONDITION', `${version} is not enabled, current state is: DISABLED.`)
      if (op === 'encrypt') {
        if (typeof json.plaintext !== 'string') return fail(400, 'INVALID_ARGUMENT', 'plaintext is required.')
        return send(200, { name: version, ciphertext: encrypt(name, Buffer.from(json.plaintext, 'base64')), verifiedPlaintextCrc32c: false, protectionLevel: 1 })
      }
      const blob = Buffer.from(String(json.ciphertext ?? ''), 'base64')
      try {
        if (blob[0] !== 0x0a || blob.length < 2 + 12 + 16) throw new Error('short')
        const d = createDecipheriv('aes-256-gcm', keys.get(name)!, blob.subarray(2, 14))
        d.setAAD(Buffer.from(name))
        d.setAuthTag(blob.subarray(blob.length - 16))
        const pt = Buffer.concat([d.update(blob.subarray(14, blob.length - 16)), d.final()])
        return send(200, { plaintext: pt.toString('base64'), usedPrimary: true, protectionLevel: 1 })
      } catch {
        return fail(400, 'INVALID_ARGUMENT', 'Decryption failed: the ciphertext is invalid.')
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    encrypt,
    denied,
    disabled,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()) }),
  }
}
