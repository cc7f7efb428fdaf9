// jwt plugin through a real gateway to a real upstream: what passes, what is refused and why,
// what the upstream sees, and a real JWKS server that rotates keys and goes down.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { jwt, type JwtOptions } from '../../plugins/jwt/index.ts'
import { setUpstreamHeader } from '../../core/proxy/upstream-headers.ts'
import { isConfigError } from '../../core/config/errors.ts'
import type { GatewayMiddleware, Logger } from '../../core/types.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { startGateway } from '../support/gateway.ts'
import { forge, makeKey, sign, startJwksServer, type TestKey } from '../support/jwks.ts'

const closers: (() => unknown)[] = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

const quiet: Logger = { info() {}, warn() {}, error() {} }
const ISS = 'https://auth.test/'
const AUD = 'orders-api'
const SECRET = 'a-test-secret-that-is-long-enough-for-hs256'

let up: Upstream
let rsa: TestKey
let rsaGw: string
before(async () => {
  up = await startUpstream(echo('api'))
  closers.push(() => up.close())
  rsa = await makeKey('k1')
  rsaGw = await gateway({
    publicKey: rsa.pem,
    algorithms: ['RS256'],
    issuer: ISS,
    audience: AUD,
    cookie: 'session',
    forwardClaims: { sub: 'x-user', email: 'x-email', roles: 'x-roles' },
  })
})

/** The consumer the plugin set, made visible to the upstream by a middleware after it. */
const exposeConsumer: GatewayMiddleware = async (c, next) => {
  setUpstreamHeader(c, 'x-test-consumer', c.get('consumer') ?? '(none)')
  await next()
}

async function gateway(options: JwtOptions): Promise<string> {
  const gw = await startGateway({
    pools: { api: { upstreams: [up.url] } },
    routes: [{ path: '/*', pool: 'api', use: [jwt(options), exposeConsumer] }],
  })
  closers.push(() => gw.stop())
  return gw.url
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers })
  const body = await res.text()
  return { status: res.status, body, headers: res.headers, json: () => JSON.parse(body) as { headers: Record<string, string> } }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const now = () => Math.floor(Date.now() / 1000)

const good = (extra = {}) => sign(rsa, { iss: ISS, aud: AUD, sub: 'alice', email: 'alice@example.com', ...extra })

test('a valid token passes: consumer is sub, claims forwarded, client-sent claim headers replaced', async () => {
  const seen = up.seen.length
  const res = await get(rsaGw, { ...bearer(await good({ roles: ['a', 'b'] })), 'x-user': 'mallory', 'X-Email': 'forged@evil' })
  assert.equal(res.status, 200, res.body)
  const h = res.json().headers
  assert.equal(h['x-user'], 'alice')
  assert.equal(h['x-email'], 'alice@example.com')
  assert.equal(h['x-roles'], 'a,b')
  assert.equal(h['x-test-consumer'], 'alice')
  assert.equal(up.seen.length, seen + 1)
  assert.deepEqual(up.seen.at(-1)!.rawHeaders.filter((n) => n.toLowerCase() === 'x-user'), ['x-user'], 'exactly one x-user reached the upstream')
})

test('a forwarded claim the token lacks is sent empty, never as the client sent it', async () => {
  const token = await sign(rsa, { iss: ISS, aud: AUD, sub: 'bob' })
  const res = await get(rsaGw, { ...bearer(token), 'x-email': 'forged@evil' })
  assert.equal(res.status, 200)
  assert.equal(res.json().headers['x-email'], '')
})

test('claim values cannot split headers; non-ASCII is percent-encoded', async () => {
  const res = await get(rsaGw, bearer(await good({ email: 'zoë@example.com\r\nx-admin: 1' })))
  assert.equal(res.status, 200)
  const h = res.json().headers
  assert.equal(h['x-email'], 'zo%C3%AB@example.com%0D%0Ax-admin: 1')
  assert.equal(h['x-admin'], undefined)
})

test('missing token: 401 with a Bearer challenge and no error code; the upstream is not reached', async () => {
  const seen = up.seen.length
  for (const headers of [{}, { authorization: 'Basic YWxpY2U6cHc=' }] as Record<string, string>[]) {
    const res = await get(rsaGw, headers)
    assert.equal(res.status, 401)
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="gatehouse"')
    assert.match(res.body, /missing bearer token/)
  }
  assert.equal(up.seen.length, seen)
})

/** Asserts a 401 invalid_token whose description matches `why`, and that nothing reached the upstream. */
async function refused(url: string, headers: Record<string, string>, why: RegExp) {
  const seen = up.seen.length
  const res = await get(url, headers)
  assert.equal(res.status, 401, res.body)
  const challenge = res.headers.get('www-authenticate') ?? ''
  assert.match(challenge, /^Bearer realm="gatehouse", error="invalid_token", error_description="[^"]+"$/)
  assert.match(challenge, why)
  assert.match(res.body, why)
  assert.equal(up.seen.length, seen, 'a refused request reached the upstream')
}

test('expired token: 401 "token expired" (past the 5s default clock tolerance)', async () => {
  await refused(rsaGw, bearer(await good({ iat: now() - 120, exp: now() - 60 })), /token expired/)
})

test('clockTolerance: a token expired 2s ago still passes with the default 5s leeway', async () => {
  assert.equal((await get(rsaGw, bearer(await good({ exp: now() - 2 })))).status, 200)
})

test('not yet valid (nbf in the future): 401', async () => {
  await refused(rsaGw, bearer(await good({ nbf: now() + 300 })), /not yet valid/)
})

test('wrong issuer and wrong audience: 401', async () => {
  await refused(rsaGw, bearer(await good({ iss: 'https://evil.test/' })), /unexpected issuer/)
  await refused(rsaGw, bearer(await good({ aud: 'other-api' })), /unexpected audience/)
  await refused(rsaGw, bearer(await sign(rsa, { iss: ISS, sub: 'alice' })), /missing claim .aud./)
})

test('alg "none" is refused, with or without a signature segment', async () => {
  const payload = { iss: ISS, aud: AUD, sub: 'alice', exp: now() + 60 }
  await refused(rsaGw, bearer(forge({ alg: 'none', typ: 'JWT' }, payload)), /algorithm not allowed|malformed/)
  await refused(rsaGw, bearer(forge({ alg: 'none' }, payload, 'c2ln')), /algorithm not allowed|malformed/)
})

test('HS256 "signed" with the RSA public key as the secret is refused', async () => {
  const token = await sign({ secret: rsa.pem, alg: 'HS256' }, { iss: ISS, aud: AUD, sub: 'alice' })
  await refused(rsaGw, bearer(token), /algorithm not allowed/)
})

test('tampered payload: 401 signature invalid', async () => {
  const [h, , s] = (await good()).split('.')
  const payload = Buffer.from(JSON.stringify({ iss: ISS, aud: AUD, sub: 'admin', exp: now() + 60 })).toString('base64url')
  await refused(rsaGw, bearer(`${h}.${payload}.${s}`), /signature invalid/)
  await refused(rsaGw, bearer('not.a.jwt'), /malformed/)
})

test('token from the cookie; the Authorization header wins when both are sent', async () => {
  const token = await good()
  assert.equal((await get(rsaGw, { cookie: `theme=dark; session=${token}` })).status, 200)
  await refused(rsaGw, { cookie: `session=${token}`, ...bearer(await good({ exp: now() - 600 })) }, /token expired/)
})

test('claim rules: 403 insufficient_scope for a valid token that fails one, 200 when all hold', async () => {
  const url = await gateway({
    secret: SECRET,
    claims: { scope: { includes: 'orders:read' }, role: { equals: 'admin' }, tier: { oneOf: ['gold', 'silver'] } },
    requiredClaims: ['sub'],
  })
  const ok = { sub: 'carol', scope: 'profile orders:read', role: 'admin', tier: 'gold' }
  assert.equal((await get(url, bearer(await sign({ secret: SECRET }, ok)))).status, 200)
  assert.equal((await get(url, bearer(await sign({ secret: SECRET }, { ...ok, scope: ['orders:read'] })))).status, 200, 'array scope')
  for (const [bad, why] of [
    [{ scope: 'profile orders:write' }, /claim "scope" must include "orders:read"/],
    [{ role: 'user' }, /claim "role" must equal "admin"/],
    [{ tier: 'bronze' }, /claim "tier" must be one of/],
  ] as const) {
    const res = await get(url, bearer(await sign({ secret: SECRET }, { ...ok, ...bad })))
    assert.equal(res.status, 403, JSON.stringify(bad))
    assert.match(res.headers.get('www-authenticate')!, /error="insufficient_scope"/)
    assert.match(res.body, why)
  }
  const { sub: _, ...noSub } = ok
  const res = await get(url, bearer(await sign({ secret: SECRET }, noSub)))
  assert.equal(res.status, 401)
  assert.match(res.body, /missing claim "sub"/)
})

test('an HMAC gateway refuses RS256 tokens and tokens signed with another secret', async () => {
  const url = await gateway({ secret: SECRET })
  assert.equal((await get(url, bearer(await sign({ secret: SECRET }, { sub: 'x' })))).status, 200)
  await refused(url, bearer(await sign(rsa, { sub: 'x' })), /algorithm not allowed/)
  await refused(url, bearer(await sign({ secret: `${SECRET}-other` }, { sub: 'x' })), /signature invalid/)
})

test('a public JWK verifies its own algorithm; other algorithms are refused', async () => {
  const ec = await makeKey('ec1', 'ES256')
  const url = await gateway({ jwk: ec.jwk as Record<string, unknown> })
  assert.equal((await get(url, bearer(await sign(ec, { sub: 'x' })))).status, 200)
  await refused(url, bearer(await sign(rsa, { sub: 'x' })), /algorithm not allowed/)
})

test('JWKS: a new kid after rotation is fetched once; bogus kids do not hammer the endpoint', async () => {
  const k2 = await makeKey('k2')
  const jwks = await startJwksServer([rsa])
  closers.push(() => jwks.close())
  const url = await gateway({ jwksUrl: jwks.url, jwks: { cooldown: '1s' }, issuer: ISS })
  assert.equal((await get(url, bearer(await sign(rsa, { iss: ISS, sub: 'a' })))).status, 200)
  assert.equal(jwks.fetches(), 1)

  jwks.setKeys([rsa, k2]) // the provider rotates in k2
  await new Promise((r) => setTimeout(r, 1100)) // past the cooldown of the first fetch
  assert.equal((await get(url, bearer(await sign(k2, { iss: ISS, sub: 'b' })))).status, 200, 'unknown kid triggers a refetch')
  assert.equal(jwks.fetches(), 2)

  const stranger = await makeKey('k-unknown')
  for (let i = 0; i < 5; i++) await refused(url, bearer(await sign(stranger, { iss: ISS, sub: 'c' })), /no signing key matches/)
  assert.equal(jwks.fetches(), 2, 'within the cooldown, unknown kids are refused without refetching')
})

test('JWKS endpoint down: cached keys keep working past cacheMaxAge; a key removed upstream stops working once refetched', async () => {
  const jwks = await startJwksServer([rsa])
  closers.push(() => jwks.close())
  const url = await gateway({ jwksUrl: jwks.url, jwks: { cacheMaxAge: '100ms', cooldown: '100ms', timeout: '500ms' } })
  const token = await sign(rsa, { sub: 'a' })
  assert.equal((await get(url, bearer(token))).status, 200)
  await jwks.down()
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 150))
    assert.equal((await get(url, bearer(token))).status, 200, 'stale keys are served while the endpoint is down')
  }
  const fetchesWhileDown = jwks.fetches()
  // Back up, with k1 rotated out: a background refetch drops it.
  const k2 = await makeKey('k2')
  jwks.setKeys([k2])
  await jwks.up()
  let status = 200
  for (let i = 0; i < 20 && status === 200; i++) {
    await new Promise((r) => setTimeout(r, 150))
    status = (await get(url, bearer(token))).status
  }
  assert.equal(status, 401, 'the rotated-out key is refused after the refetch')
  assert.ok(jwks.fetches() > fetchesWhileDown)
  assert.equal((await get(url, bearer(await sign(k2, { sub: 'b' })))).status, 200)
})

test('JWKS endpoint down with nothing cached: 503 (fails closed), then recovers', async () => {
  const jwks = await startJwksServer([rsa])
  closers.push(() => jwks.close())
  await jwks.down()
  const url = await gateway({ jwksUrl: jwks.url, jwks: { timeout: '500ms' } })
  const token = await sign(rsa, { sub: 'a' })
  const seen = up.seen.length
  for (let i = 0; i < 3; i++) {
    const res = await get(url, bearer(token))
    assert.equal(res.status, 503)
    assert.match(res.body, /signing keys unavailable/)
  }
  assert.equal(up.seen.length, seen)
  await jwks.up()
  await new Promise((r) => setTimeout(r, 1100)) // the empty-cache retry interval
  assert.equal((await get(url, bearer(token))).status, 200)
})

test('options are checked at the factory call, naming plugin and field', () => {
  const fails = (options: unknown, re: RegExp) => {
    assert.throws(() => assertValidPlugin(jwt(options as JwtOptions)), (err: unknown) => isConfigError(err) && re.test(err.message))
  }
  fails({}, /jwt\(\): .*give one of secret, publicKey, jwk or jwksUrl/)
  fails({ secret: SECRET, jwksUrl: 'http://127.0.0.1/jwks' }, /jwt\(\): jwksUrl: give only one key source/)
  fails({ secret: 'short' }, /jwt\(\): secret: use at least 32 bytes/)
  fails({ secret: SECRET, algorithms: ['none'] }, /jwt\(\): algorithms\[0\]: .*"none" is never allowed/)
  fails({ secret: SECRET, algorithms: ['RS256'] }, /jwt\(\): algorithms: RS256 cannot be verified with an HMAC secret/)
  fails({ publicKey: rsa.pem, algorithms: ['HS256', 'RS256'] }, /jwt\(\): algorithms: HS256 would check an HMAC token against a public key/)
  fails({ jwksUrl: 'http://127.0.0.1/jwks', algorithms: ['HS256'] }, /jwt\(\): algorithms: HS256 would check/)
  fails({ publicKey: rsa.pem }, /jwt\(\): algorithms: required with publicKey/)
  fails({ publicKey: '-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----' }, /jwt\(\): publicKey: expected a PEM/)
  fails({ jwk: { kty: 'RSA', n: 'x', e: 'AQAB', d: 'secret' } }, /jwt\(\): jwk: this is a private key/)
  fails({ secret: SECRET, claims: { role: { is: 'admin' } } }, /jwt\(\): claims\.role/)
  fails({ secret: SECRET, forwardClaims: { sub: 'x user' } }, /jwt\(\): forwardClaims\.sub: expected a header name/)
  fails({ secret: SECRET, forwardClaims: { sub: 'Host' } }, /jwt\(\): forwardClaims\.sub: set by the gateway itself/)
})

// The verified-token cache (plugins/jwt/verified-tokens.ts): a token that verified is reused, but
// never past its exp, never for other bytes, and never after the key set changed (JWKS test above).
test('verified cache: a reused token is refused once its exp passes, even though it verified before', async () => {
  const url = await gateway({ secret: SECRET, clockTolerance: '0s', verifiedCache: '60s' })
  const token = await sign({ secret: SECRET }, { sub: 'a', exp: now() + 2 })
  assert.equal((await get(url, bearer(token))).status, 200)
  assert.equal((await get(url, bearer(token))).status, 200, 'the cached verification')
  await new Promise((r) => setTimeout(r, 2100))
  await refused(url, bearer(token), /token expired/)
})

test('verified cache: the same token with another signature is verified, not taken from the cache', async () => {
  const url = await gateway({ secret: SECRET })
  const token = await sign({ secret: SECRET }, { sub: 'a' })
  assert.equal((await get(url, bearer(token))).status, 200)
  const sig = token.slice(token.lastIndexOf('.') + 1)
  const other = token.slice(0, token.lastIndexOf('.') + 1) + (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)
  await refused(url, bearer(other), /signature/)
})
