// forward-auth through a real gateway to a real auth service and upstream: what the auth
// service is told, 2xx passing with copied headers, refusals passed to the client, and an auth
// service that is slow, down or chatty never hanging the request or letting it through.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { forwardAuth, type ForwardAuthOptions } from '../../plugins/forward-auth/index.ts'
import { setUpstreamHeader } from '../../core/proxy/upstream-headers.ts'
import { isConfigError } from '../../core/config/errors.ts'
import type { GatewayMiddleware } from '../../core/types.ts'
import { deadPort, echo, startUpstream, type Handler, type Upstream } from '../support/http-upstream.ts'
import { startGateway } from '../support/gateway.ts'

const closers: (() => unknown)[] = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

/** The auth service: lets `Authorization: Bearer good` through as user alice, refuses the rest. */
const authLogic: Handler = (req, res) => {
  const path = (req.headers['x-forwarded-uri'] as string | undefined) ?? ''
  if (path.startsWith('/slow')) return // never answers
  if (path.startsWith('/chatty')) {
    res.writeHead(403, { 'content-type': 'text/plain' })
    return res.end('x'.repeat(100_000))
  }
  if (path.startsWith('/stall')) {
    res.writeHead(403, { 'content-type': 'text/plain', 'content-length': '100' })
    return res.write('partial') // and never the rest
  }
  if (req.headers.authorization === 'Bearer good') {
    res.writeHead(200, { 'x-user': 'alice', 'x-auth-extra': 'not-copied' })
    return res.end('ok')
  }
  if (req.headers.cookie?.includes('session=expired')) {
    res.writeHead(302, { location: 'https://login.example.com/?rd=1', 'set-cookie': ['a=1; Path=/', 'b=2; Path=/'], 'x-internal': 'secret' })
    return res.end()
  }
  res.writeHead(401, { 'www-authenticate': 'Bearer realm="app"', 'content-type': 'application/json', 'x-internal': 'secret' })
  res.end('{"error":"login required"}')
}

let auth: Upstream
let up: Upstream
let url: string
before(async () => {
  auth = await startUpstream(authLogic)
  up = await startUpstream(echo('app'))
  closers.push(() => auth.close(), () => up.close())
  url = await gateway({ url: `${auth.url}/verify`, copyHeaders: ['x-user'], consumerHeader: 'x-user', timeout: '500ms', maxBodyBytes: 1000 })
})

const exposeConsumer: GatewayMiddleware = async (c, next) => {
  setUpstreamHeader(c, 'x-test-consumer', c.get('consumer') ?? '(none)')
  await next()
}

async function gateway(options: ForwardAuthOptions, extra: { trustedProxies?: string[] } = {}): Promise<string> {
  const gw = await startGateway({ pools: { app: { upstreams: [up.url] } }, routes: [{ path: '/*', pool: 'app', use: [forwardAuth(options), exposeConsumer] }], ...extra })
  closers.push(() => gw.stop())
  return gw.url
}

/** node:http, so the path goes out byte for byte (fetch would normalize it). */
function send(u: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined>; ms: number }>((resolve, reject) => {
    const t0 = Date.now()
    const req = request(`${u}${path}`, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers, ms: Date.now() - t0 }))
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

test('2xx from the auth service lets the request through with copied headers; what the auth service was told', async () => {
  const res = await send(url, '/orders/%2e%2e//%61dmin/./x?q=1&r=%20', {
    method: 'POST',
    body: 'payload-bytes',
    headers: { authorization: 'Bearer good', cookie: 'session=s1', 'x-user': 'mallory', 'x-other': 'private', host: 'app.example.com' },
  })
  assert.equal(res.status, 200, res.body)
  const seenUp = JSON.parse(res.body) as { method: string; bodyLength: number; headers: Record<string, string> }
  assert.equal(seenUp.method, 'POST')
  assert.equal(seenUp.bodyLength, 'payload-bytes'.length, 'the request body still reaches the upstream')
  assert.equal(seenUp.headers['x-user'], 'alice', 'the copied header replaces the client-sent one')
  assert.equal(seenUp.headers['x-auth-extra'], undefined)
  assert.equal(seenUp.headers['x-test-consumer'], 'alice')

  const asked = auth.seen.at(-1)!
  assert.equal(asked.method, 'GET')
  assert.equal(asked.url, '/verify')
  assert.equal(asked.body.length, 0)
  assert.equal(asked.headers['x-forwarded-method'], 'POST')
  assert.equal(asked.headers['x-forwarded-uri'], '/admin/x?q=1&r=%20', 'the normalized path the gateway routed on')
  assert.equal(asked.headers['x-forwarded-host'], 'app.example.com')
  assert.equal(asked.headers['x-forwarded-proto'], 'http')
  assert.equal(asked.headers['x-forwarded-for'], '127.0.0.1')
  assert.equal(asked.headers.authorization, 'Bearer good')
  assert.equal(asked.headers.cookie, 'session=s1')
  assert.equal(asked.headers['x-other'], undefined, 'only the chosen headers go to the auth service')
})

test('a copied header the auth service does not send is sent empty, never as the client sent it', async () => {
  const u = await gateway({ url: `${auth.url}/verify`, copyHeaders: ['x-user', 'x-tenant'] })
  const res = await send(u, '/', { headers: { authorization: 'Bearer good', 'x-tenant': 'spoofed' } })
  assert.equal(res.status, 200)
  assert.equal((JSON.parse(res.body) as { headers: Record<string, string> }).headers['x-tenant'], '')
})

test('a refusal is the answer: status, body and chosen headers; nothing reaches the upstream', async () => {
  const seen = up.seen.length
  const denied = await send(url, '/x', { headers: { authorization: 'Bearer bad' } })
  assert.equal(denied.status, 401)
  assert.equal(denied.body, '{"error":"login required"}')
  assert.equal(denied.headers['www-authenticate'], 'Bearer realm="app"')
  assert.equal(denied.headers['content-type'], 'application/json')
  assert.equal(denied.headers['x-internal'], undefined)

  const redirect = await send(url, '/x', { headers: { cookie: 'session=expired' } })
  assert.equal(redirect.status, 302, 'redirects are not followed: the client is sent to the login page')
  assert.equal(redirect.headers.location, 'https://login.example.com/?rd=1')
  assert.deepEqual(redirect.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/'])
  assert.equal(up.seen.length, seen)
})

test('an oversized refusal body is replaced by a short one', async () => {
  const res = await send(url, '/chatty')
  assert.equal(res.status, 403)
  assert.equal(res.body, 'gatehouse: forward-auth: refused (403)\n')
})

test('an auth service that does not answer, or stalls its body: 504 within the timeout', async () => {
  for (const path of ['/slow', '/stall']) {
    const res = await send(url, path)
    assert.equal(res.status, 504, path)
    assert.equal(res.body, 'gatehouse: forward-auth: auth service did not answer in time\n')
    assert.ok(res.ms < 1500, `${path} took ${res.ms} ms`)
  }
})

test('an auth service that cannot be reached: 503', async () => {
  const u = await gateway({ url: `http://127.0.0.1:${await deadPort()}/verify` })
  const seen = up.seen.length
  const res = await send(u, '/', { headers: { authorization: 'Bearer good' } })
  assert.equal(res.status, 503)
  assert.equal(res.body, 'gatehouse: forward-auth: auth service unreachable\n')
  assert.equal(up.seen.length, seen)
})

test('X-Forwarded-For is the client address per trusted proxies', async () => {
  const u = await gateway({ url: `${auth.url}/verify` }, { trustedProxies: ['127.0.0.1'] })
  await send(u, '/', { headers: { authorization: 'Bearer good', 'x-forwarded-for': '203.0.113.9' } })
  assert.equal(auth.seen.at(-1)!.headers['x-forwarded-for'], '203.0.113.9')
})

test('options are checked at the factory call', () => {
  const fails = (options: unknown, re: RegExp) =>
    assert.throws(() => assertValidPlugin(forwardAuth(options as ForwardAuthOptions)), (err: unknown) => isConfigError(err) && re.test(err.message))
  fails({}, /forwardAuth\(\): url/)
  fails({ url: 'ftp://auth/' }, /forwardAuth\(\): url: expected an http\(s\) URL/)
  fails({ url: 'http://auth/', timeout: 'soon' }, /forwardAuth\(\): timeout: expected a duration/)
  fails({ url: 'http://auth/', copyHeaders: ['x user'] }, /forwardAuth\(\): copyHeaders\[0\]: expected a header name/)
  fails({ url: 'http://auth/', copyHeaders: ['x-user', 'Content-Length'] }, /forwardAuth\(\): copyHeaders\[1\]: set by the gateway itself/)
})
