// cors and security-headers (thin wrappers over Hono's middleware) through a real gateway:
// preflights answered by the gateway, headers on the gateway's own answers (a later auth
// plugin's 401), and — on Node, pending the core's response-header merge — on proxied responses.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { cors, type CorsOptions } from '../../plugins/cors/index.ts'
import { securityHeaders, type SecurityHeadersOptions } from '../../plugins/security-headers/index.ts'
import { apiKey, hashApiKey } from '../../plugins/api-key/index.ts'
import { isConfigError } from '../../core/config/errors.ts'
import type { GatewayMiddleware } from '../../core/types.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import type { RouteMiddleware } from '../../core/plugin/slots.ts'
import { startGateway } from '../support/gateway.ts'

const closers: (() => unknown)[] = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

const APP = 'https://app.example.com'
let up: Upstream
let keys: Record<string, string>
before(async () => {
  up = await startUpstream(echo('api'))
  closers.push(() => up.close())
  keys = { [await hashApiKey('k')]: 'c' }
})

async function gateway(use: RouteMiddleware[]): Promise<string> {
  const gw = await startGateway({ pools: { api: { upstreams: [up.url] } }, routes: [{ path: '/*', pool: 'api', use }] })
  closers.push(() => gw.stop())
  return gw.url
}

async function send(url: string, method: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method, headers })
  return { status: res.status, body: await res.text(), headers: res.headers }
}

const corsFor = (o: CorsOptions) => gateway([cors(o), apiKey({ keys })])

test('cors: a preflight is answered by the gateway (204) and never proxied', async () => {
  const url = await corsFor({ origin: [APP], credentials: true, maxAge: '10m', allowHeaders: ['authorization', 'x-api-key'] })
  const seen = up.seen.length
  const res = await send(url, 'OPTIONS', { origin: APP, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-api-key' })
  assert.equal(res.status, 204)
  assert.equal(res.headers.get('access-control-allow-origin'), APP)
  assert.equal(res.headers.get('access-control-allow-credentials'), 'true')
  assert.equal(res.headers.get('access-control-allow-methods'), 'GET,HEAD,PUT,POST,DELETE,PATCH')
  assert.equal(res.headers.get('access-control-allow-headers'), 'authorization,x-api-key')
  assert.equal(res.headers.get('access-control-max-age'), '600')
  assert.match(res.headers.get('vary') ?? '', /Origin/)
  assert.equal(up.seen.length, seen, 'no auth needed and nothing proxied for a preflight')

  const other = await send(url, 'OPTIONS', { origin: 'https://evil.example', 'access-control-request-method': 'PUT' })
  assert.equal(other.status, 204)
  assert.equal(other.headers.get('access-control-allow-origin'), null, 'an origin not listed is not allowed')
})

test('cors: an OPTIONS that is not a preflight goes upstream (after auth)', async () => {
  const url = await corsFor({ origin: APP })
  const seen = up.seen.length
  const res = await send(url, 'OPTIONS', { 'x-api-key': 'k' })
  assert.equal(res.status, 200)
  assert.equal(up.seen.at(-1)!.method, 'OPTIONS')
  assert.equal(up.seen.length, seen + 1)
})

test('cors: a later auth refusal carries the CORS headers, so the browser can read it', async () => {
  const url = await corsFor({ origin: [APP, 'https://admin.example.com'], exposeHeaders: ['x-request-id'] })
  const res = await send(url, 'GET', { origin: APP })
  assert.equal(res.status, 401)
  assert.equal(res.headers.get('access-control-allow-origin'), APP)
  assert.equal(res.headers.get('access-control-expose-headers'), 'x-request-id')
  assert.equal(res.headers.get('vary'), 'Origin')
})

test('cors: an origin function gets the gateway context', async () => {
  const url = await corsFor({ origin: (origin, c) => (origin.endsWith('.example.com') && c.get('pool') === 'api' ? origin : null) })
  assert.equal((await send(url, 'GET', { origin: 'https://x.example.com' })).headers.get('access-control-allow-origin'), 'https://x.example.com')
  assert.equal((await send(url, 'GET', { origin: 'https://x.example.org' })).headers.get('access-control-allow-origin'), null)
})

test('cors: headers on a proxied response', async () => {
  const url = await corsFor({ origin: APP })
  const res = await send(url, 'GET', { origin: APP, 'x-api-key': 'k' })
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('access-control-allow-origin'), APP)
})

test('security headers: Hono\'s defaults and overrides, on the gateway\'s own answers', async () => {
  const url = await gateway([
    securityHeaders({ xFrameOptions: 'DENY', contentSecurityPolicy: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'] }, crossOriginOpenerPolicy: false }),
    apiKey({ keys }),
  ])
  const res = await send(url, 'GET')
  assert.equal(res.status, 401)
  assert.equal(res.headers.get('x-frame-options'), 'DENY')
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
  assert.equal(res.headers.get('strict-transport-security'), 'max-age=15552000; includeSubDomains')
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer')
  assert.equal(res.headers.get('content-security-policy'), "default-src 'self'; img-src 'self' data:")
  assert.equal(res.headers.get('cross-origin-opener-policy'), null)
})

test('security headers on a proxied response', async () => {
  const url = await gateway([securityHeaders()])
  const res = await send(url, 'GET')
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
})

test('options are checked at the factory call', () => {
  const fails = (f: () => unknown, re: RegExp) => assert.throws(() => assertValidPlugin(f() as never), (err: unknown) => isConfigError(err) && re.test(err.message))
  fails(() => cors({ credentials: true }), /cors\(\): credentials: credentials: true needs explicit origins/)
  fails(() => cors({ origin: 'https://app.example.com/path' }), /cors\(\): origin: expected "\*" or an origin/)
  fails(() => cors({ maxAge: 'long' } as CorsOptions), /cors\(\): maxAge: expected a duration/)
  fails(() => securityHeaders({ xFrameOptions: 'DENY\r\nx: y' }), /securityHeaders\(\): xFrameOptions/)
  fails(() => securityHeaders({ removePoweredBy: true } as SecurityHeadersOptions), /securityHeaders\(\): removePoweredBy: unknown field/)
})
