// Signing keys and a real JWKS HTTP server on loopback for the jwt plugin's tests: it serves
// whatever keys it is given (rotation), counts fetches, and can go down and come back on the
// same port (an identity provider outage).
import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose'

export interface TestKey {
  kid: string
  alg: string
  privateKey: CryptoKey
  publicKey: CryptoKey
  /** Public JWK with kid, alg and use. */
  jwk: JWK
  /** SPKI PEM of the public key. */
  pem: string
}

export async function makeKey(kid: string, alg = 'RS256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { kid, alg, privateKey, publicKey, jwk, pem: await exportSPKI(publicKey) }
}

/** A signed JWT; `iat` now and `exp` in an hour unless the payload says otherwise. */
export async function sign(
  key: TestKey | { secret: string; alg?: string },
  payload: JWTPayload,
  header: Record<string, unknown> = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const jwt = new SignJWT({ iat: now, exp: now + 3600, ...payload })
  if ('secret' in key) return jwt.setProtectedHeader({ alg: key.alg ?? 'HS256', ...header }).sign(new TextEncoder().encode(key.secret))
  return jwt.setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey)
}

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')

/** A token with arbitrary header and payload and the given raw signature segment. */
export function forge(header: Record<string, unknown>, payload: JWTPayload, signature = ''): string {
  return `${b64url(header)}.${b64url(payload)}.${signature}`
}

export interface JwksServer {
  url: string
  /** GET requests served (successful or not) since start. */
  fetches(): number
  /** Replaces the served keys (rotation). */
  setKeys(keys: readonly TestKey[]): void
  /** Stops listening and cuts open connections: the endpoint is down. */
  down(): Promise<void>
  /** Listens again on the same port. */
  up(): Promise<void>
  close(): Promise<void>
}

export async function startJwksServer(keys: readonly TestKey[]): Promise<JwksServer> {
  let body = JSON.stringify({ keys: keys.map((k) => k.jwk) })
  let fetches = 0
  let server: Server | undefined
  const sockets = new Set<Socket>()
  let port = 0
  const listen = async () => {
    const s = createServer((req, res) => {
      fetches++
      res.setHeader('content-type', 'application/json')
      res.end(body)
    })
    s.on('connection', (sock: Socket) => {
      sockets.add(sock)
      sock.on('close', () => sockets.delete(sock))
    })
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject)
      s.listen(port, '127.0.0.1', resolve)
    })
    port = (s.address() as { port: number }).port
    server = s
  }
  const down = () =>
    new Promise<void>((resolve) => {
      const s = server
      server = undefined
      if (!s) return resolve()
      for (const sock of sockets) sock.destroy()
      s.close(() => resolve())
    })
  await listen()
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    fetches: () => fetches,
    setKeys(next) {
      body = JSON.stringify({ keys: next.map((k) => k.jwk) })
    },
    down,
    up: listen,
    close: down,
  }
}
