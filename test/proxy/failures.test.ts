// A dead, resetting, hanging or stalling upstream is retried elsewhere or answered 502/503/504 — never a hang.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, request, type Server } from 'node:http'
import { createServer as createTcpServer, type Socket } from 'node:net'
import { blackhole } from '../support/blackhole.ts'
import { HTTPException } from 'hono/http-exception'
import { deadPort, echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'

const closers: (() => unknown)[] = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

async function gateway(input: Parameters<typeof startGateway>[0]): Promise<TestGateway> {
  const gw = await startGateway(input)
  closers.push(() => gw.stop())
  return gw
}
async function upstream(...args: Parameters<typeof startUpstream>): Promise<Upstream> {
  const up = await startUpstream(...args)
  closers.push(() => up.close())
  return up
}

/** A server that accepts the connection, reads the request, and does `behaviour` with the socket. */
async function rawServer(behaviour: (s: Socket) => void): Promise<{ url: string; hits: () => number }> {
  let hits = 0
  const server = createTcpServer((s) => {
    s.once('data', () => {
      hits++
      behaviour(s)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  closers.push(() => new Promise((r) => server.close(r)))
  const sockets: Socket[] = []
  server.on('connection', (s) => sockets.push(s))
  closers.push(() => sockets.forEach((s) => s.destroy()))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, hits: () => hits }
}

function send(url: string, opts: { method?: string; body?: string; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; body: string; headers: Record<string, unknown>; ms: number; error?: string }>((resolve) => {
    const t0 = Date.now()
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers, ms: Date.now() - t0 }))
      res.on('error', (e) => resolve({ status: res.statusCode!, body, headers: res.headers, ms: Date.now() - t0, error: e.message }))
    })
    req.on('error', (e) => resolve({ status: 0, body: '', headers: {}, ms: Date.now() - t0, error: e.message }))
    req.end(opts.body)
  })
}

test('a refused connection answers 502 naming the pool', async () => {
  const gw = await gateway({ pools: { web: { upstreams: [`http://127.0.0.1:${await deadPort()}`] } }, routes: [{ pool: 'web' }] })
  const res = await send(gw.url)
  assert.equal(res.status, 502)
  assert.match(res.body, /pool "web": connection refused \(1 try\)/)
  assert.equal(res.headers['x-gatehouse-error'], 'refused')
})

test('refused connections are retried on another upstream, for GET and for POST with a body', async () => {
  const alive = await upstream(echo('alive'))
  const dead = `http://127.0.0.1:${await deadPort()}`
  const gw = await gateway({ pools: { web: { upstreams: [dead, alive.url] } }, routes: [{ pool: 'web' }] })
  for (let i = 0; i < 10; i++) {
    const get = await send(gw.url)
    assert.equal(get.status, 200)
    const post = await send(gw.url, { method: 'POST', body: 'x'.repeat(5000), headers: { 'content-type': 'text/plain' } })
    assert.equal(post.status, 200)
    assert.equal(JSON.parse(post.body).bodyLength, 5000, 'the POST body survived the failed first try')
  }
})

test('a reset before the response: GET retried elsewhere, POST answered 502 and not replayed', async () => {
  const resetter = await rawServer((s) => s.resetAndDestroy())
  const alive = await upstream(echo('alive'))
  const gw = await gateway({ pools: { web: { upstreams: [resetter.url, alive.url], retries: 1 } }, routes: [{ pool: 'web' }] })
  for (let i = 0; i < 4; i++) assert.equal((await send(gw.url)).status, 200)
  const posts = await Promise.all([1, 2, 3, 4].map(() => send(gw.url, { method: 'POST', body: 'once' })))
  const failed = posts.filter((p) => p.status === 502)
  assert.ok(failed.length >= 1, 'some POSTs hit the resetting upstream')
  assert.ok(failed.every((p) => /reset/.test(p.body)))
  const postsAtAlive = alive.seen.filter((s) => s.method === 'POST').length
  assert.equal(postsAtAlive, 4 - failed.length, 'a POST that reached the resetting upstream was sent again')
})

test('first-byte timeout answers 504 in time', async () => {
  const hang = await rawServer(() => {})
  const gw = await gateway({ pools: { web: { upstreams: [hang.url], retries: 0, timeouts: { firstByte: '300ms' } } }, routes: [{ pool: 'web' }] })
  const res = await send(gw.url)
  assert.equal(res.status, 504)
  assert.match(res.body, /first-byte timeout/)
  assert.ok(res.ms < 2000, `took ${res.ms} ms`)
})

test('idle timeout cuts a stalled response body instead of hanging', async () => {
  const stall = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial'))
  const gw = await gateway({ pools: { web: { upstreams: [stall.url], timeouts: { idle: '300ms' } } }, routes: [{ pool: 'web' }] })
  const res = await send(gw.url)
  assert.equal(res.status, 200)
  assert.ok(res.error, 'the client must see an aborted body, not a complete short one')
  assert.ok(res.ms < 2000, `took ${res.ms} ms`)
})

test('connect timeout answers 504', async () => {
  const hole = await blackhole()
  closers.push(() => hole.close())
  const gw = await gateway({ pools: { web: { upstreams: [hole.url], retries: 0, timeouts: { connect: '300ms' } } }, routes: [{ pool: 'web' }] })
  const res = await send(gw.url)
  assert.equal(res.status, 504)
  assert.match(res.body, /connect timeout/)
  assert.ok(res.ms < 2500, `took ${res.ms} ms`)
})

test('a pool with no available upstream answers 503 at once', async () => {
  const gw = await gateway({ pools: { empty: { upstreams: [] } }, routes: [{ pool: 'empty' }] })
  const res = await send(gw.url)
  assert.equal(res.status, 503)
  assert.match(res.body, /pool "empty" has no available upstream/)
  assert.equal(res.headers['retry-after'], '1')
})

test('a client that goes away mid-response releases the upstream request', async () => {
  let upstreamClosed = false
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    const timer = setInterval(() => res.write('data: tick\n\n'), 50)
    res.on('close', () => {
      clearInterval(timer)
      upstreamClosed = true
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  closers.push(() => new Promise((r) => server.close(r)))
  const gw = await gateway({ pools: { sse: { upstreams: [`http://127.0.0.1:${(server.address() as { port: number }).port}`] } }, routes: [{ pool: 'sse' }] })
  await new Promise<void>((resolve) => {
    const req = request(gw.url, (res) => res.once('data', () => (req.destroy(), resolve())))
    req.on('error', () => {})
    req.end()
  })
  const deadline = Date.now() + 2000
  while (!upstreamClosed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  assert.ok(upstreamClosed, 'the upstream kept streaming to nobody')
  const pool = gw.gateway.pool('sse')!
  assert.equal(pool.upstreams[0]!.inflight, 0)
})

test('route middleware runs before the proxy: it can answer, throw HTTPException, or pass', async () => {
  const up = await upstream(echo('up'))
  const gw = await gateway({
    pools: { web: { upstreams: [up.url] } },
    routes: [
      {
        pool: 'web',
        use: [
          async (c, next) => (c.req.header('x-key') === 'k' ? next() : c.text('denied', 401)),
          async (c, next) => {
            if (c.req.header('x-teapot')) throw new HTTPException(418, { message: 'teapot' })
            await next()
          },
        ],
      },
    ],
  })
  assert.equal((await send(gw.url)).status, 401)
  assert.equal((await send(gw.url, { headers: { 'x-key': 'k', 'x-teapot': '1' } })).status, 418)
  const ok = await send(gw.url, { headers: { 'x-key': 'k' } })
  assert.equal(ok.status, 200)
  assert.equal(up.seen.length, 1)
})
