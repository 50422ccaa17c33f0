/**
 * A small AWS KMS for tests, on 127.0.0.1 and a random port, speaking the JSON 1.1 protocol the
 * real SDK sends (`X-Amz-Target: TrentService.Encrypt` / `.Decrypt`, base64 blobs in JSON) and
 * checking each request's SigV4 signature against the test credentials, as KMS would. Keys are
 * the ARNs it is given (AES-256-GCM inside; the encryption context is bound as AAD); anything
 * else is NotFoundException, a bad signature InvalidSignatureException, an unknown access key
 * UnrecognizedClientException, a key in `denied` AccessDeniedException.
 */
import { createServer, type IncomingMessage } from 'node:http'
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'

export interface FakeKms {
  endpoint: string
  requests: Array<{ target: string; keyId: string; signed: boolean }>
  /** Ciphertext as this KMS would return it (to write entries by hand). */
  encrypt(arn: string, plaintext: Uint8Array, context?: Record<string, string>): string
  denied: Set<string>
  close(): Promise<void>
}

const sha256 = (b: string | Buffer): string => createHash('sha256').update(b).digest('hex')
const hmac = (k: Buffer | string, s: string): Buffer => createHmac('sha256', k).update(s).digest()

/** Recomputes the request's SigV4 signature; true when it matches. */
function sigV4Ok(req: IncomingMessage, body: Buffer, secret: string): boolean {
  const auth = String(req.headers.authorization ?? '')
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth)
  if (!m) return false
  const [, , date, region, service, signedHeaders, signature] = m as unknown as string[]
  const names = signedHeaders!.split(';')
  const canonicalHeaders = names.map((n) => `${n}:${String(req.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('')
  const [path, query = ''] = (req.url ?? '/').split('?')
  const canonical = [req.method, path, query, canonicalHeaders, signedHeaders, sha256(body)].join('\n')
  const amzDate = String(req.headers['x-amz-date'] ?? '')
  const scope = `${date}/${region}/${service}/aws4_request`
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n')
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), 'aws4_request')
  return hmac(key, toSign).toString('hex') === signature
}

const aad = (ctx: Record<string, string> | undefined): Buffer => Buffer.from(JSON.stringify(Object.entries(ctx ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))))

export async function startFakeKms(opts: { accessKeyId: string; secretAccessKey: string; keys: string[] }): Promise<FakeKms> {
  const keys = new Map(opts.keys.map((arn) => [arn, randomBytes(32)]))
  const denied = new Set<string>()
  const requests: FakeKms['requests'] = []
  const encrypt = (arn: string, pt: Uint8Array, ctx?: Record<string, string>): string => {
    const iv = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', keys.get(arn)!, iv)
    c.setAAD(aad(ctx))
    const id = Buffer.from(arn)
    const blob = Buffer.concat([Buffer.from([id.length >> 8, id.length & 255]), id, iv, c.update(pt), c.final(), c.getAuthTag()])
    return blob.toString('base64')
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const send = (status: number, obj: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'test' })
        res.end(JSON.stringify(obj))
      }
      const fail = (type: string, message: string): void => send(400, { __type: type, message })
      const target = String(req.headers['x-amz-target'] ?? '')
      let json: Record<string, unknown> = {}
      try { json = JSON.parse(body.toString('utf8') || '{}') } catch { return fail('SerializationException', 'bad JSON') }
      const keyId = String(json.KeyId ?? '')
      const cred = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1]
      const signed = cred === opts.accessKeyId && sigV4Ok(req, body, opts.secretAccessKey)
      requests.push({ target, keyId, signed })
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-amz-json-1.1') return fail('UnknownOperationException', 'not JSON 1.1')
      if (cred !== opts.accessKeyId) return fail('UnrecognizedClientException', 'The security token included in the request is invalid.')
      if (!signed) return fail('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.')
      const ctx = json.EncryptionContext as Record<string, string> | undefined
      if (target === 'TrentService.Encrypt') {
        if (!keys.has(keyId)) return fail('NotFoundException', `Key '${keyId}' does not exist`)
        if (denied.has(keyId)) return fail('AccessDeniedException', `User is not authorized to perform: kms:Encrypt on resource: ${keyId}`)
        return send(200, { CiphertextBlob: encrypt(keyId, Buffer.from(String(json.Plaintext), 'base64'), ctx), KeyId: keyId, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' })
      }
      if (target === 'TrentService.Decrypt') {
        const blob = Buffer.from(String(json.CiphertextBlob ?? ''), 'base64')
        const n = (blob[0]! << 8) | blob[1]!
        const arn = blob.subarray(2, 2 + n).toString()
        if (!keys.has(arn)) return fail('InvalidCiphertextException', '')
        if (keyId && keyId !== arn) return fail('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.')
        if (denied.has(arn)) return fail('AccessDeniedException', `User is not authorized to perform: kms:Decrypt on resource: ${arn}`)
        const rest = blob.subarray(2 + n)
        try {
          const d = createDecipheriv('aes-256-gcm', keys.get(arn)!, rest.subarray(0, 12))
          d.setAAD(aad(ctx))
          d.setAuthTag(rest.subarray(rest.length - 16))
          const pt = Buffer.concat([d.update(rest.subarray(12, rest.length - 16)), d.final()])
          return send(200, { Plaintext: pt.toString('base64'), KeyId: arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' })
        } catch {
          return fail('InvalidCiphertextException', '')
        }
      }
      return fail('UnknownOperationException', target)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    encrypt,
    denied,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()) }),
  }
}
