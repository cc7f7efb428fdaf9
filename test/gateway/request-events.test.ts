/**
 * Every request is reported exactly once (core/proxy/exchange.ts): one `request` event, never
 * two and never none, whatever way it ends: proxied (200, HEAD), no route (404), a bad target
 * (400), a body over the route's limit (413, declared or counted as it arrives), no upstream
 * answered (502), none available (503), retried on another upstream, a WebSocket, a client that
 * left (499), a response the upstream cut (200 with its error), a middleware's own answer (401) or its error (500). Spawned gateways on Node, Bun
 * and Deno with the JSON access log on stdout; each request has a path of its own.
 */
import assert from 'node:assert/strict'
import { createServer, request, type Server } from 'node:http'
import { connect } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { WebSocket, WebSocketServer } from 'ws'
import { deadPort } from '../support/http-upstream.ts'
import { rawRequest } from '../support/raw-http.ts'
import { RUNTIMES, spawnGatewayUnder, type RuntimeGateway } from '../support/runtimes.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Line {
  path: string
  status: number
  tries: number
  retryReasons: string[]
  error?: string
}

let upstream: Server
let wss: WebSocketServer
let upstreamUrl = ''
let dead = ''
before(async () => {
  upstream = createServer((req, res) => {
    req.resume()
    req.on('error', () => {})
    if (req.url!.startsWith('/cut/')) {
      // Cut mid-body: the gateway's own cut of the client is the upstream's failure, not a client that left.
      res.writeHead(200, { 'content-length': '10' }).write('abc')
      return void setTimeout(() => res.socket?.destroy(), 30)
    }
    req.on('end', () => (req.url!.startsWith('/slow/') ? setTimeout(() => res.end('late'), 600) : res.end('ok')))
  })
  wss = new WebSocketServer({ server: upstream })
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data)))
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`
  dead = `http://127.0.0.1:${await deadPort()}`
})
after(() => new Promise<void>((r) => (wss.close(), upstream.closeAllConnections(), upstream.close(() => r()))))

const config = (port: number) => `import { defineConfig } from 'gatehouse'
import { accessLog } from 'gatehouse/plugins/access-log'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  observe: [accessLog({ format: 'json' })],
  pools: {
    app: { upstreams: ['${upstreamUrl}'], timeouts: { firstByte: '3s' } },
    down: { upstreams: ['${dead}'] },
    mixed: { upstreams: ['${dead}', '${upstreamUrl}'], retries: 1 },
    empty: { upstreams: [] },
  },
  routes: [
    { path: '/ok/*', pool: 'app' },
    { path: '/slow/*', pool: 'app' },
    { path: '/cut/*', pool: 'app' },
    { path: '/ws/*', pool: 'app' },
    { path: '/small/*', pool: 'app', maxBodySize: 10 },
    { path: '/down/*', pool: 'down' },
    { path: '/mixed/*', pool: 'mixed' },
    { path: '/empty/*', pool: 'empty' },
    { path: '/locked/*', pool: 'app', use: [async (c) => c.text('no', 401)] },
    { path: '/throws/*', pool: 'app', use: [async () => { throw new Error('a middleware bug') }] },
  ],
})
`

function send(gw: RuntimeGateway, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${gw.url}${path}`, { method, headers, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode!))
      res.on('error', () => resolve(res.statusCode!))
    })
    req.on('error', () => resolve(0))
    req.end(body)
  })
}

/** Sends a chunked body larger than the route's limit, in two pieces. */
function chunkedOverLimit(gw: RuntimeGateway, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${gw.url}${path}`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode!))
      res.on('error', () => resolve(res.statusCode!))
    })
    req.on('error', () => resolve(0))
    req.write('x'.repeat(64))
    setTimeout(() => req.end('y'.repeat(64)), 50)
  })
}

async function leaveBeforeAnswer(gw: RuntimeGateway, path: string): Promise<void> {
  const sock = connect({ host: '127.0.0.1', port: gw.port })
  sock.on('error', () => {})
  sock.write(`GET ${path} HTTP/1.1\r\nHost: events.test\r\n\r\n`)
  await sleep(150)
  sock.destroy()
}

async function webSocketRoundTrip(gw: RuntimeGateway, path: string): Promise<string> {
  const ws = new WebSocket(`${gw.url.replace('http', 'ws')}${path}`)
  const echoed = new Promise<string>((resolve, reject) => {
    ws.once('message', (data: Buffer) => resolve(data.toString()))
    ws.once('error', reject)
  })
  await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)))
  ws.send('ping')
  const got = await echoed
  const closed = new Promise((r) => ws.once('close', r))
  ws.close(1000)
  await closed
  return got
}

function accessLines(gw: RuntimeGateway): Line[] {
  return gw.proc
    .tail(10_000)
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"type":"request"'))
    .map((l) => JSON.parse(l) as Line)
}

for (const runtime of RUNTIMES.filter((r) => !process.env.E2E_ONLY || process.env.E2E_ONLY.split(',').includes(r))) {
  describe(`one request event per request, on ${runtime}`, { timeout: 90_000 }, () => {
    let gw: RuntimeGateway
    before(async () => void (gw = await spawnGatewayUnder(runtime, config, 'request-events')))
    after(async () => gw?.stop())

    test('200, HEAD, 400, 404, 413 (declared, counted), 502, 503, retried, WebSocket, client gone, 401, 500', async () => {
      const answered: Record<string, number> = {}
      answered['/ok/get'] = await send(gw, 'GET', '/ok/get')
      answered['/ok/head'] = await send(gw, 'HEAD', '/ok/head')
      answered['/ok/%zz'] = (await rawRequest(gw.port, 'GET /ok/%zz HTTP/1.1\r\nHost: events.test\r\nConnection: close\r\n\r\n')).status
      answered['/none/a'] = await send(gw, 'GET', '/none/a')
      answered['/small/declared'] = await send(gw, 'POST', '/small/declared', 'z'.repeat(100))
      answered['/small/chunked'] = await chunkedOverLimit(gw, '/small/chunked')
      answered['/down/a'] = await send(gw, 'GET', '/down/a')
      answered['/empty/a'] = await send(gw, 'GET', '/empty/a')
      // Round robin over [dead, live]: of two requests, one starts on the dead one and is retried.
      answered['/mixed/1'] = await send(gw, 'GET', '/mixed/1')
      answered['/mixed/2'] = await send(gw, 'GET', '/mixed/2')
      assert.equal(await webSocketRoundTrip(gw, '/ws/echo'), 'ping')
      await leaveBeforeAnswer(gw, '/slow/gone')
      // Node and Deno send the head and then cut; Bun.serve holds a streamed head with the body's first bytes and closes without one.
      assert.ok([0, 200].includes(await send(gw, 'GET', '/cut/a')))
      answered['/locked/a'] = await send(gw, 'GET', '/locked/a')
      answered['/throws/a'] = await send(gw, 'GET', '/throws/a')
      assert.deepEqual(answered, {
        '/ok/get': 200, '/ok/head': 200, '/ok/%zz': 400, '/none/a': 404, '/small/declared': 413, '/small/chunked': 413,
        '/down/a': 502, '/empty/a': 503, '/mixed/1': 200, '/mixed/2': 200, '/locked/a': 401, '/throws/a': 500,
      })

      const expected = [...Object.keys(answered), '/ws/echo', '/slow/gone', '/cut/a']
      // The slow upstream answers after 600 ms: a second event for the client that left would come by then.
      await sleep(1000)
      const lines = accessLines(gw)
      const counts = Object.fromEntries(expected.map((p) => [p, lines.filter((l) => l.path === p).length]))
      assert.deepEqual(counts, Object.fromEntries(expected.map((p) => [p, 1])), `request events per path:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`)
      const status = (p: string) => lines.find((l) => l.path === p)!.status
      assert.equal(status('/ws/echo'), 101)
      assert.equal(status('/slow/gone'), 499)
      assert.equal(status('/throws/a'), 500)
      const cut = lines.find((l) => l.path === '/cut/a')!
      assert.equal(cut.error, 'reset', `a response cut by the upstream is its failure: ${JSON.stringify(cut)}`)
      const mixed = lines.filter((l) => l.path.startsWith('/mixed/'))
      const retried = mixed.find((l) => l.tries === 2)
      assert.ok(retried, `one of the two was retried: ${JSON.stringify(mixed)}`)
      assert.deepEqual(retried.retryReasons, ['refused'])
    })
  })
}
