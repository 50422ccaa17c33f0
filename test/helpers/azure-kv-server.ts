/**
 * A small Azure Key Vault and Entra ID for tests. The real SDKs talk to their real host names
 * (`https://<vault>.vault.azure.net`, `https://login.microsoftonline.com`) through an HTTPS proxy
 * on 127.0.0.1 (HTTPS_PROXY, which the Azure SDK honours) that tunnels every CONNECT to one local
 * TLS server, whose certificate (made here with openssl, for those names) the client trusts via
 * NODE_EXTRA_CA_CERTS. So nothing in the code under test is pointed anywhere for the test, and the
 * SDK's own checks (https only, the challenge's resource matching the vault's domain) stay on.
 *
 * Entra ID: the OpenID metadata, instance discovery and the client-credentials token endpoint
 * (client id and secret checked). Key Vault: the bearer challenge (401 + WWW-Authenticate) the SDK
 * answers, GET key (the public JWK), and encrypt/decrypt/wrapkey/unwrapkey with real RSA-OAEP-256
 * on 2048-bit keys; keys in `denied` answer 403 Forbidden, in `disabled` 403 KeyDisabled, unknown
 * ones 404 KeyNotFound.
 */
import { execFileSync } from 'node:child_process'
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export const VAULT_HOST = 'sopslike-test.vault.azure.net'
const LOGIN_HOST = 'login.microsoftonline.com'

export interface FakeAzure {
  /** `https://sopslike-test.vault.azure.net` */
  vaultUrl: string
  /** The environment a spawned CLI needs: proxy, CA, service principal. */
  env: NodeJS.ProcessEnv
  /** The key's URL with its (only) version. */
  keyUrl(name: string): string
  /** What this vault's encrypt returns (base64url), to write entries by hand. */
  encrypt(name: string, plaintext: Uint8Array): string
  requests: Array<{ host: string; method: string; path: string; authorized: boolean }>
  /** CONNECT targets the proxy was asked for. */
  tunnels: string[]
  denied: Set<string>
  disabled: Set<string>
  close(): Promise<void>
}

const b64u = (b: Buffer): string => b.toString('base64url')

export async function startFakeAzure(opts: { dir: string; tenant: string; clientId: string; clientSecret: string; keys: string[] }): Promise<FakeAzure> {
  // a CA-less self-signed certificate for both host names, trusted by the client as an extra CA
  const keyFile = join(opts.dir, 'azure-tls.key')
  const certFile = join(opts.dir, 'azure-tls.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=sops-like test',
    '-addext', `subjectAltName=DNS:${VAULT_HOST},DNS:${LOGIN_HOST}`, '-addext', 'basicConstraints=critical,CA:TRUE'], { stdio: 'ignore' })
  const keys = new Map(opts.keys.map((name) => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    return [name, { version: randomBytes(16).toString('hex'), privateKey }] as [string, { version: string; privateKey: KeyObject }]
  }))
  const token = `eyJ0eXAiOiJKV1QifQ.${b64u(randomBytes(24))}.${b64u(randomBytes(32))}`
  const denied = new Set<string>()
  const disabled = new Set<string>()
  const requests: FakeAzure['requests'] = []
  const tunnels: string[] = []
  const vaultUrl = `https://${VAULT_HOST}`
  const kid = (name: string): string => `${vaultUrl}/keys/${name}/${keys.get(name)!.version}`
  const rsaEncrypt = (name: string, pt: Uint8Array): Buffer => publicEncrypt({ key: keys.get(name)!.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, pt)

  const tls = createHttpsServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const host = String(req.headers.host ?? '').replace(/:\d+$/, '')
      const url = new URL(req.url ?? '/', `https://${host}`)
      const body = Buffer.concat(chunks).toString('utf8')
      const send = (status: number, obj: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
        res.end(JSON.stringify(obj))
      }
      const authorized = req.headers.authorization === `Bearer ${token}`
      requests.push({ host, method: req.method ?? '', path: url.pathname, authorized })
      if (host === LOGIN_HOST) {
        const base = `https://${LOGIN_HOST}/${opts.tenant}`
        if (url.pathname === '/common/discovery/instance') {
          return send(200, { tenant_discovery_endpoint: `${base}/v2.0/.well-known/openid-configuration`, 'api-version': '1.1', metadata: [{ preferred_network: LOGIN_HOST, preferred_cache: 'login.windows.net', aliases: [LOGIN_HOST, 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'] }] })
        }
        if (url.pathname === `/${opts.tenant}/v2.0/.well-known/openid-configuration`) {
          return send(200, { token_endpoint: `${base}/oauth2/v2.0/token`, authorization_endpoint: `${base}/oauth2/v2.0/authorize`, end_session_endpoint: `${base}/oauth2/v2.0/logout`, issuer: `${base}/v2.0`, jwks_uri: `${base}/discovery/v2.0/keys`, token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'], response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'], scopes_supported: ['openid', 'profile', 'email', 'offline_access'], subject_types_supported: ['pairwise'], id_token_signing_alg_values_supported: ['RS256'], http_logout_supported: true, frontchannel_logout_supported: true, request_uri_parameter_supported: false, tenant_region_scope: 'EU', cloud_instance_name: 'microsoftonline.com', cloud_graph_host_name: 'graph.windows.net', msgraph_host: 'graph.microsoft.com', rbac_url: 'https://pas.windows.net' })
        }
        if (url.pathname === `/${opts.tenant}/oauth2/v2.0/token` && req.method === 'POST') {
          const form = new URLSearchParams(body)
          if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== opts.clientId || form.get('client_secret') !== opts.clientSecret) {
            return send(401, { error: 'invalid_client', error_description: `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${form.get('client_id')}'.`, error_codes: [7000215] })
          }
          if (form.get('scope') !== 'https://vault.azure.net/.default') return send(400, { error: 'invalid_scope', error_description: `AADSTS70011: The provided value for scope ${form.get('scope')} is not valid.` })
          return send(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token })
        }
        return send(404, { error: 'not_found' })
      }
      if (host !== VAULT_HOST) return send(404, {})
      if (!authorized) {
        return send(401, { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } }, { 'www-authenticate': `Bearer authorization="https://${LOGIN_HOST}/${opts.tenant}", resource="https://vault.azure.net"` })
      }
      if (!url.searchParams.get('api-version')) return send(400, { error: { code: 'BadParameter', message: 'api-version is required' } })
      // GET /keys/NAME[/VERSION]; POST /keys/NAME/VERSION/OP (sops always names the version)
      const m = /^\/keys\/([^/]+)(?:\/([^/]+))?\/?(?:\/(encrypt|decrypt|wrapkey|unwrapkey))?$/.exec(url.pathname)
      if (!m) return send(404, { error: { code: 'NotFound', message: 'not found' } })
      const [, name, version, op] = m as unknown as [string, string, string | undefined, string | undefined]
      const key = keys.get(name)
      if (!key || (version && version !== key.version)) return send(404, { error: { code: 'KeyNotFound', message: `A key with (name/id) ${name}${version ? ` (version ${version})` : ''} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command.` } })
      const forbidden = (what: string) => send(403, { error: { code: 'Forbidden', message: `The user, group or application 'appid=${opts.clientId};iss=https://sts.windows.net/${opts.tenant}/' does not have keys ${what} permission on key vault 'sopslike-test;location=westeurope'.`, innererror: { code: 'AccessDenied' } } })
      if (!op && req.method === 'GET') {
        if (denied.has(name)) return forbidden('get')
        const jwk = key.privateKey.export({ format: 'jwk' })
        return send(200, { key: { kid: kid(name), kty: 'RSA', key_ops: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'], n: jwk.n, e: jwk.e }, attributes: { enabled: !disabled.has(name), created: 1700000000, updated: 1700000000, recoveryLevel: 'Recoverable+Purgeable' } })
      }
      if (!op || req.method !== 'POST') return send(405, { error: { code: 'BadParameter', message: 'method not allowed' } })
      const opName = op === 'wrapkey' ? 'wrapKey' : op === 'unwrapkey' ? 'unwrapKey' : op
      if (denied.has(name)) return forbidden(opName)
      if (disabled.has(name)) return send(403, { error: { code: 'Forbidden', message: `Operation ${opName} is not allowed on a disabled key.`, innererror: { code: 'KeyDisabled' } } })
      let json: { alg?: string; value?: string }
      try { json = JSON.parse(body) } catch { return send(400, { error: { code: 'BadParameter', message: 'The request body is not JSON.' } }) }
      if (json.alg !== 'RSA-OAEP-256') return send(400, { error: { code: 'BadParameter', message: `Algorithm ${json.alg} is not expected here.` } })
      const value = Buffer.from(String(json.value ?? ''), 'base64url')
      if (op === 'encrypt' || op === 'wrapkey') return send(200, { kid: kid(name), value: b64u(rsaEncrypt(name, value)) })
      try {
        const pt = privateDecrypt({ key: key.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, value)
        return send(200, { kid: kid(name), value: b64u(pt) })
      } catch {
        return send(400, { error: { code: 'BadParameter', message: 'Failed to decrypt: the ciphertext is not valid for this key.' } })
      }
    })
  })
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r))
  const tlsPort = (tls.address() as AddressInfo).port

  // the proxy: CONNECT to the two names goes to the TLS server; anything else is refused (502)
  const sockets = new Set<Socket>()
  const proxy = createHttpServer((_req, res) => { res.writeHead(405); res.end() })
  proxy.on('connect', (req, client: Socket) => {
    sockets.add(client)
    const target = String(req.url ?? '')
    tunnels.push(target)
    const host = target.replace(/:\d+$/, '')
    if (host !== VAULT_HOST && host !== LOGIN_HOST) {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n')
      return
    }
    const upstream = connect(tlsPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    const done = (): void => { upstream.destroy(); client.destroy() }
    upstream.on('error', done)
    client.on('error', done)
  })
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
  return {
    vaultUrl,
    env: { HTTPS_PROXY: proxyUrl, https_proxy: proxyUrl, NO_PROXY: '', no_proxy: '', NODE_EXTRA_CA_CERTS: certFile, AZURE_TENANT_ID: opts.tenant, AZURE_CLIENT_ID: opts.clientId, AZURE_CLIENT_SECRET: opts.clientSecret },
    keyUrl: (name) => kid(name),
    encrypt: (name, pt) => b64u(rsaEncrypt(name, pt)),
    requests,
    tunnels,
    denied,
    disabled,
    close: async () => {
      for (const s of sockets) s.destroy()
      tls.closeAllConnections?.()
      proxy.closeAllConnections?.()
      await Promise.all([new Promise((r) => tls.close(() => r(undefined))), new Promise((r) => proxy.close(() => r(undefined)))])
    },
  }
}
