// The proxy checklist (DESIGN.md §6), one behaviour at a time, against real upstream servers.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { gzipSync } from 'node:zlib'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import { rawRequest } from '../support/raw-http.ts'

let up: Upstream
let gw: TestGateway
let trustingGw: TestGateway
let victim: Upstream

before(async () => {
  up = await startUpstream((req, res, body) => {
    if (req.url === '/cookies') {
      res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; HttpOnly', 'c=3, with comma; Secure'])
      return res.end('ok')
    }
    if (req.url === '/gzip') {
      const zipped = gzipSync(Buffer.from('compressed hello '.repeat(100)))
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/plain', 'content-length': zipped.length, etag: '"v1"' })
      return res.end(zipped)
    }
    if (req.url === '/hop') {
      res.writeHead(200, { connection: 'X-Internal', 'x-internal': 'secret', 'keep-alive': 'timeout=5', 'x-kept': 'yes' })
      return res.end('hop')
    }
    echo('up')(req, res, body)
  })
  victim = await startUpstream(echo('victim'))
  gw = await startGateway({
    pools: { web: { upstreams: [up.url] } },
    routes: [
      { host: 'app.test', path: '/*', pool: 'web' },
      { host: 'rules.test', path: '/*', pool: 'web', hostHeader: 'upstream', requestHeaders: { set: { 'x-route': 'rules' }, remove: ['x-drop'] }, responseHeaders: { set: { 'x-served-by': 'gatehouse' }, remove: ['x-upstream'] } },
      { host: 'fixed.test', path: '/*', pool: 'web', hostHeader: 'internal.example' },
      { host: 'strip.test', path: '/api/*', pool: 'web', stripPrefix: '/api' },
      { host: 'rewrite.test', path: '/old/*', pool: 'web', rewrite: { pattern: '^/old/(.*)$', replacement: '/new/$1' } },
    ],
  })
  trustingGw = await startGateway({ trustedProxies: ['127.0.0.0/8'], pools: { web: { upstreams: [up.url] } }, routes: [{ pool: 'web' }] })
})
after(async () => {
  await gw.stop()
  await trustingGw.stop()
  await up.close()
  await victim.close()
})

const last = () => up.seen.at(-1)!

function get(url: string, headers: Record<string, string | string[]> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; rawHeaders: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = ''
      res.setEncoding('latin1')
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

test('hop-by-hop request headers and those named in Connection are stripped', async () => {
  await get(`${gw.url}/h`, { host: 'app.test', connection: 'keep-alive, X-Secret', 'x-secret': '1', 'keep-alive': 'timeout=1', te: 'trailers', 'proxy-authorization': 'Basic eA==', 'x-normal': 'kept' })
  const h = last().headers
  for (const name of ['x-secret', 'keep-alive', 'te', 'proxy-authorization']) assert.equal(h[name], undefined, `${name} reached the upstream`)
  assert.equal(h['x-normal'], 'kept')
})

test('hop-by-hop response headers and those named in Connection are stripped', async () => {
  const res = await get(`${gw.url}/hop`, { host: 'app.test' })
  assert.equal(res.status, 200)
  assert.equal(res.headers['x-internal'], undefined)
  assert.equal(res.headers['x-kept'], 'yes')
  assert.notEqual(res.headers['keep-alive'], 'timeout=5')
})

test('X-Forwarded-* are set, and client-sent values are dropped from an untrusted peer', async () => {
  await get(`${gw.url}/xff`, { host: 'app.test:8080', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil', 'x-real-ip': '6.6.6.6', forwarded: 'for=6.6.6.6' })
  const h = last().headers
  assert.equal(h['x-forwarded-for'], '127.0.0.1')
  assert.equal(h['x-real-ip'], '127.0.0.1')
  assert.equal(h['x-forwarded-proto'], 'http')
  assert.equal(h['x-forwarded-host'], 'app.test:8080')
  assert.equal(h['forwarded'], undefined)
  assert.equal(h['host'], 'app.test:8080', 'Host passes through by default')
})

test('a trusted proxy extends X-Forwarded-For and the client is the right-most untrusted address', async () => {
  await get(`${trustingGw.url}/xff`, { 'x-forwarded-for': '203.0.113.7, 10.9.9.9', 'x-forwarded-proto': 'https' })
  const h = last().headers
  assert.equal(h['x-forwarded-for'], '203.0.113.7, 10.9.9.9, 127.0.0.1')
  assert.equal(h['x-real-ip'], '10.9.9.9')
  assert.equal(h['x-forwarded-proto'], 'https')
})

test('Connection: X-Forwarded-For cannot strip headers the gateway adds', async () => {
  await get(`${gw.url}/c`, { host: 'app.test', connection: 'x-forwarded-for, x-real-ip, host' })
  assert.equal(last().headers['x-forwarded-for'], '127.0.0.1')
  assert.equal(last().headers['x-real-ip'], '127.0.0.1')
  assert.equal(last().headers['host'], 'app.test')
})

test('every Set-Cookie stays a separate header', async () => {
  const res = await get(`${gw.url}/cookies`, { host: 'app.test' })
  assert.deepEqual(res.headers['set-cookie'], ['a=1; Path=/', 'b=2; HttpOnly', 'c=3, with comma; Secure'])
})

test('raw path and query bytes are forwarded as received (no decoding of %2F)', async () => {
  const target = '/files/a%2Fb/c%20d?x=%2F&y=a+b&z=%E2%9C%93&empty=&flag'
  const res = await rawRequest(gw.port, `GET ${target} HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n`)
  assert.equal(res.status, 200)
  assert.equal(last().url, target)
})

test('compressed responses pass through compressed, with their original headers', async () => {
  const res = await new Promise<{ headers: Record<string, unknown>; bytes: Buffer }>((resolve, reject) => {
    request(`${gw.url}/gzip`, { headers: { host: 'app.test', 'accept-encoding': 'gzip' } }, (r) => {
      const chunks: Buffer[] = []
      r.on('data', (c: Buffer) => chunks.push(c))
      r.on('end', () => resolve({ headers: r.headers, bytes: Buffer.concat(chunks) }))
    }).on('error', reject).end()
  })
  const expected = gzipSync(Buffer.from('compressed hello '.repeat(100)))
  assert.equal(res.headers['content-encoding'], 'gzip')
  assert.equal(res.headers['content-length'], String(expected.length))
  assert.equal(res.headers['etag'], '"v1"')
  assert.deepEqual(res.bytes, expected)
})

test('absolute-form targets go to the matched route\'s pool, never to the named host', async () => {
  const before = victim.seen.length
  // Names a host no route has: 404, and the victim server at that address sees nothing.
  const miss = await rawRequest(gw.port, `GET http://127.0.0.1:${victim.port}/steal HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n`)
  assert.equal(miss.status, 404)
  // Names a routed host: served by that route's pool, as origin-form.
  const hit = await rawRequest(gw.port, `GET http://app.test/abs?q=1 HTTP/1.1\r\nHost: 127.0.0.1:${victim.port}\r\nConnection: close\r\n\r\n`)
  assert.equal(hit.status, 200)
  assert.equal(last().url, '/abs?q=1')
  assert.equal(last().headers.host, 'app.test')
  assert.equal(victim.seen.length, before, 'the named host received a request')
})

test('host header policies: upstream and fixed; header rules on request and response', async () => {
  const res = await get(`${gw.url}/r`, { host: 'rules.test', 'x-drop': 'gone', 'x-route': 'client-value' })
  assert.equal(last().headers.host, `127.0.0.1:${up.port}`)
  assert.equal(last().headers['x-drop'], undefined)
  assert.equal(last().headers['x-route'], 'rules')
  assert.equal(res.headers['x-served-by'], 'gatehouse')
  assert.equal(res.headers['x-upstream'], undefined)
  await get(`${gw.url}/r`, { host: 'fixed.test' })
  assert.equal(last().headers.host, 'internal.example')
})

test('stripPrefix and rewrite change the forwarded path, keeping the query', async () => {
  await get(`${gw.url}/api/users/7?x=1`, { host: 'strip.test' })
  assert.equal(last().url, '/users/7?x=1')
  await get(`${gw.url}/api`, { host: 'strip.test' })
  assert.equal(last().url, '/')
  await get(`${gw.url}/old/a/b?k=v`, { host: 'rewrite.test' })
  assert.equal(last().url, '/new/a/b?k=v')
})

test('keep-alive: upstream connections are reused', async () => {
  const before = up.connections()
  for (let i = 0; i < 50; i++) await get(`${gw.url}/ka`, { host: 'app.test' })
  assert.ok(up.connections() - before <= 2, `opened ${up.connections() - before} upstream connections for 50 requests`)
})

test('no route → 404 with a short body; a bad target → 400', async () => {
  const res = await get(`${gw.url}/x`, { host: 'unknown.test' })
  assert.equal(res.status, 404)
  assert.match(res.body, /no route/)
  const bad = await rawRequest(gw.port, `GET /a%zz HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n`)
  assert.equal(bad.status, 400)
})

test('middleware-set upstream headers replace client-sent ones and survive Connection tricks', async () => {
  const { setUpstreamHeader } = await import('../../core/proxy/upstream-headers.ts')
  const local = await startGateway({
    pools: { web: { upstreams: [up.url] } },
    routes: [{ pool: 'web', use: [async (c, next) => (setUpstreamHeader(c, 'X-User', 'alice'), next())] }],
  })
  try {
    await get(`${local.url}/who`, { 'x-user': 'mallory', connection: 'x-user' })
    assert.equal(last().headers['x-user'], 'alice')
    assert.equal(last().rawHeaders.filter((h) => h.toLowerCase() === 'x-user').length, 1)
  } finally {
    await local.stop()
  }
})

test('middleware that sets response headers before next() does not cut a streamed response; its headers reach the client', async () => {
  const streaming = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', vary: 'accept-encoding' })
    let i = 0
    const t = setInterval(() => (res.write('x'.repeat(1000)), ++i === 20 && (clearInterval(t), res.end())), 5)
  })
  const local = await startGateway({
    pools: { s: { upstreams: [streaming.url] } },
    routes: [{ pool: 's', use: [async (c, next) => (c.res.headers.set('x-a', '1'), c.header('vary', 'origin', { append: true }), next())] }],
  })
  try {
    const res = await get(`${local.url}/`)
    assert.equal(res.body.length, 20_000, 'the streamed body was cut')
    assert.equal(res.headers['x-a'], '1')
    assert.match(String(res.headers['vary']), /accept-encoding.*origin/)
  } finally {
    await local.stop()
    await streaming.close()
  }
})
