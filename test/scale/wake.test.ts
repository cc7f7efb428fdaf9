/**
 * Scale to zero and wake, in the core (core/scale/), on an in-process gateway with real sockets:
 * replicas are real HTTP servers that join their pool at once but listen only after a boot delay
 * (test/support/local-replicas.ts), as a container does. The Docker and Swarm engines are tested
 * in test/plugins/; the Docker end-to-end wake is test/scale/docker-wake.test.ts.
 */
import assert from 'node:assert/strict'
import { request, Agent } from 'node:http'
import { after, test } from 'node:test'
import { WebSocket, WebSocketServer } from 'ws'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import { waitFor } from '../support/process.ts'
import { localReplicas, type LocalReplicas } from '../support/local-replicas.ts'
import type { ScaleInput } from '../../core/config/scale-schema.ts'
import type { RequestRecord, ScaleEvent } from '../../core/gateway/events.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const closers: (() => Promise<unknown> | unknown)[] = []
after(async () => {
  for (const c of closers.reverse()) await c()
})

interface Reply {
  status: number
  body: string
  headers: Record<string, string | string[] | undefined>
  ms: number
}

const agent = new Agent({ keepAlive: false, maxSockets: 1000 })
function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  const t0 = Date.now()
  return new Promise((resolve) => {
    const req = request(url, { agent, headers }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers, ms: Date.now() - t0 }))
      res.on('error', () => resolve({ status: -1, body, headers: res.headers, ms: Date.now() - t0 }))
    })
    req.on('error', (e) => resolve({ status: 0, body: e.message, headers: {}, ms: Date.now() - t0 }))
    req.end()
  })
}

async function setup(scale: ScaleInput | undefined, engine: Parameters<typeof localReplicas>[0]): Promise<{ gw: TestGateway; local: LocalReplicas; events: ScaleEvent[]; records: RequestRecord[] }> {
  const local = localReplicas(engine)
  const gw = await startGateway({ pools: { app: { discovery: local.plugin, ...(scale ? { scale } : {}) } }, routes: [{ pool: 'app' }] })
  const events: ScaleEvent[] = []
  const records: RequestRecord[] = []
  gw.gateway.events.on('scale', (e) => events.push(e))
  gw.gateway.events.on('request', (r) => records.push(r))
  closers.push(() => gw.stop(), () => local.close())
  return { gw, local, events, records }
}

const pct = (list: number[], p: number) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor((p / 100) * list.length))]!

test('200 concurrent requests at an asleep pool of two: all answered by the app, none lost; the wait is in Server-Timing and the record', async () => {
  const { gw, local, events, records } = await setup({ min: 0, idle: '1h', wake: { timeout: '10s' } }, { pool: 'app', replicas: 2, bootMs: 400 })
  assert.equal(gw.gateway.scaling.view('app')?.state, 'asleep')
  const t0 = Date.now()
  const replies = await Promise.all(Array.from({ length: 200 }, () => get(gw.url + '/')))
  const statuses = replies.reduce<Record<number, number>>((m, r) => ((m[r.status] = (m[r.status] ?? 0) + 1), m), {})
  assert.deepEqual(statuses, { 200: 200 })
  assert.ok(replies.every((r) => /^r[12]\n$/.test(r.body)))
  const ready = Math.min(...local.replicas.map((r) => r.listeningAt ?? Infinity)) - t0
  const lat = replies.map((r) => r.ms)
  const readyEvent = events.find((e) => e.action === 'ready')
  console.log(`# wake: first replica listening after ${ready} ms, ready (probe answered) after ${readyEvent?.ms} ms; client latency p50 ${pct(lat, 50)} ms, p99 ${pct(lat, 99)} ms (boot 400 ms)`)
  // Speed is the benchmark's business (bench/); here only: none waited out the wake timeout.
  assert.ok(pct(lat, 99) < 10_000)
  assert.match(String(replies[0]!.headers['server-timing']), /^wake;dur=\d+$/)
  assert.equal(local.calls.length, 1, 'one wake, not one per request')
  assert.equal(local.calls[0]!.replicas, 2)
  assert.equal(gw.gateway.scaling.view('app')?.state, 'awake')
  assert.deepEqual(events.map((e) => e.action), ['wake', 'ready'])
  // Records are reported when each exchange's last byte went out: wait for them, bounded.
  await waitFor(() => records.length >= 200, { timeoutMs: 5000, what: '200 request records' })
  assert.equal(records.filter((r) => r.wakeMs !== undefined).length, 200)
  // Awake: no more wake waits.
  const again = await get(gw.url + '/')
  assert.equal(again.status, 200)
  assert.equal(again.headers['server-timing'], undefined)
})

test('a pool of h2c replicas (HTTP/2 only, as gRPC servers are) wakes: the readiness probe speaks HTTP/2 to them', async () => {
  const { gw, local } = await setup({ min: 0, idle: '1h', wake: { timeout: '5s' } }, { pool: 'app', replicas: 1, bootMs: 300, protocol: 'h2c', handler: (req, res, r) => res.end(`${r.name} over HTTP/${req.httpVersion}\n`) })
  const reply = await get(`${gw.url}/x`)
  assert.equal(reply.status, 200, reply.body)
  assert.equal(reply.body, 'r1 over HTTP/2.0\n')
  assert.ok(reply.ms < 3000, `woke in ${reply.ms} ms`)
  assert.equal(local.running(), 1)
})

test('probe paths never wake a pool: 503 "asleep" with Retry-After; the gateway health path still answers', async () => {
  const { gw, local } = await setup({ min: 0, wake: { timeout: '7s' } }, { pool: 'app', replicas: 1, bootMs: 50 })
  for (const path of ['/health', '/healthz', '/ready/live', '/favicon.ico']) {
    const r = await get(gw.url + path)
    assert.equal(r.status, 503, path)
    assert.equal(r.headers['x-gatehouse-error'], 'asleep')
    assert.equal(r.headers['retry-after'], '7')
  }
  assert.equal((await get(gw.url + '/__gatehouse/health')).status, 200)
  await sleep(300)
  assert.equal(local.calls.length, 0)
  assert.equal(gw.gateway.scaling.view('app')?.state, 'asleep')
})

test('a replica that never becomes ready: 503 with Retry-After within wake.timeout, never a hang', async () => {
  const { gw, events } = await setup({ min: 0, wake: { timeout: '600ms' } }, { pool: 'app', replicas: 1, bootMs: Infinity })
  const r = await get(gw.url + '/')
  assert.equal(r.status, 503)
  assert.equal(r.headers['x-gatehouse-error'], 'wake-timeout')
  assert.ok(r.headers['retry-after'])
  assert.ok(r.ms >= 550 && r.ms < 2000, `took ${r.ms} ms`)
  await sleep(400)
  assert.ok(events.some((e) => e.action === 'wake-failed'), JSON.stringify(events))
})

test('a full wake queue answers 503 at once; the queued ones are served', async () => {
  const { gw } = await setup({ min: 0, wake: { timeout: '5s', queue: 5 } }, { pool: 'app', replicas: 1, bootMs: 400 })
  const replies = await Promise.all(Array.from({ length: 12 }, () => get(gw.url + '/')))
  const ok = replies.filter((r) => r.status === 200)
  const full = replies.filter((r) => r.status === 503)
  assert.equal(ok.length, 5)
  assert.equal(full.length, 7)
  assert.ok(full.every((r) => r.headers['x-gatehouse-error'] === 'queue-full' && r.ms < 300), JSON.stringify(full.map((r) => [r.ms, r.headers['x-gatehouse-error']])))
})

test('idle: the pool sleeps after `idle` with no request; a WebSocket held open past idle keeps it awake until it closes', async () => {
  const { gw, local, events } = await setup(
    { min: 0, idle: '700ms' },
    { pool: 'app', replicas: 1, bootMs: 0, running: 1, onServer: (s) => new WebSocketServer({ server: s }).on('connection', (ws) => ws.on('message', (m) => ws.send(m))) },
  )
  assert.equal(gw.gateway.scaling.view('app')?.state, 'awake')
  await sleep(200)
  const ws = new WebSocket(gw.url.replace('http', 'ws') + '/ws')
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)))
  await sleep(1800) // well past idle, nothing but the open socket
  assert.equal(local.calls.length, 0, 'an open WebSocket is activity')
  const echoed = new Promise((r) => ws.once('message', (m) => r(String(m))))
  ws.send('still here')
  assert.equal(await echoed, 'still here')
  ws.close()
  await sleep(1600)
  assert.equal(local.calls.length, 1)
  assert.equal(local.calls[0]!.replicas, 0)
  assert.equal(gw.gateway.scaling.view('app')?.state, 'asleep')
  assert.ok(events.some((e) => e.action === 'sleep' && /idle/.test(e.reason)))
  // And it wakes again.
  const r = await get(gw.url + '/')
  assert.equal(r.status, 200)
})

test('idle: pause first, stop later; a request to a paused pool unpauses it', async () => {
  const { gw, local } = await setup({ min: 0, idle: { pause: '400ms', stop: '1500ms' } }, { pool: 'app', replicas: 1, bootMs: 0, running: 1 })
  await sleep(900)
  assert.deepEqual(local.calls.map((c) => [c.replicas, c.action.how]), [[0, 'pause']])
  assert.equal(local.replicas[0]!.state, 'paused')
  const r = await get(gw.url + '/')
  assert.equal(r.status, 200)
  assert.equal(local.replicas[0]!.state, 'running')
  await sleep(2300)
  assert.deepEqual(local.calls.map((c) => [c.replicas, c.action.how]).slice(-2), [[0, 'pause'], [0, 'stop']])
  assert.equal(local.replicas[0]!.state, 'stopped')
})

test('scale settings from the replicas\' labels (no edit of the config); a bad label is reported and the pool does not scale', async () => {
  const { gw, local } = await setup(undefined, { pool: 'app', replicas: 1, bootMs: 100, settings: { min: '0', idle: '1h', 'wake.timeout': '5s' } })
  assert.equal(gw.gateway.scaling.view('app')?.state, 'asleep')
  assert.equal((await get(gw.url + '/')).status, 200)
  assert.equal(local.calls.length, 1)
  const bad = await setup(undefined, { pool: 'app', replicas: 1, bootMs: 100, settings: { min: 'none' } })
  assert.equal(bad.gw.gateway.scaling.view('app'), undefined)
})

test('wake.page: a browser navigation gets the waiting page at once; its status request answers 204 only once a replica answered; APIs just wait', async () => {
  const { gw, local } = await setup({ min: 0, idle: '1h', wake: { timeout: '5s', page: true } }, { pool: 'app', replicas: 1, bootMs: 600 })
  const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }
  const page = await get(gw.url + '/dashboard', html)
  assert.equal(page.status, 503)
  assert.match(String(page.headers['content-type']), /text\/html/)
  assert.match(page.body, /Starting app/)
  assert.ok(page.ms < 300, `the page came after ${page.ms} ms`)
  const status = await get(gw.url + '/dashboard', { ...html, 'x-gatehouse-wake': 'status' })
  const answeredAt = Date.now()
  assert.equal(status.status, 204)
  assert.ok(local.replicas[0]!.listeningAt !== undefined && local.replicas[0]!.listeningAt <= answeredAt, 'the page is told "awake" only once the replica listens')
  // Awake: the status request is still the gateway's, and a page load goes to the app.
  assert.equal((await get(gw.url + '/x', { 'x-gatehouse-wake': 'status' })).status, 204)
  const app = await get(gw.url + '/dashboard', html)
  assert.equal(app.status, 200)
  assert.equal(app.body, 'r1\n')
  assert.equal(local.calls.length, 1)
})

test('a request body waits with its request (streamed, not lost) while the pool wakes', async () => {
  const { gw } = await setup(
    { min: 0, idle: '1h', wake: { timeout: '5s' } },
    {
      pool: 'app', replicas: 1, bootMs: 300,
      handler: (req, res) => {
        let bytes = 0
        req.on('data', (c: Buffer) => (bytes += c.length))
        req.on('end', () => res.end(String(bytes)))
      },
    },
  )
  const body = Buffer.alloc(3 * 1024 * 1024, 7)
  const reply = await new Promise<{ status: number; text: string }>((resolve) => {
    const req = request(gw.url + '/upload', { method: 'POST', agent, headers: { 'content-length': String(body.length) } }, (res) => {
      let text = ''
      res.on('data', (c) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode!, text }))
    })
    req.on('error', (e) => resolve({ status: 0, text: e.message }))
    req.end(body)
  })
  assert.equal(reply.status, 200, reply.text)
  assert.equal(reply.text, String(body.length))
})

test('wake.burst: a woken replica takes the queue a few at a time, in order, not all at once', async () => {
  let inflight = 0
  let peak = 0
  const { gw } = await setup(
    { min: 0, idle: '1h', wake: { timeout: '10s', burst: 4 } },
    {
      pool: 'app', replicas: 1, bootMs: 200,
      handler: (_req, res) => {
        peak = Math.max(peak, ++inflight)
        setTimeout(() => (inflight--, res.end('ok')), 20)
      },
    },
  )
  const replies = await Promise.all(Array.from({ length: 60 }, () => get(gw.url + '/')))
  assert.deepEqual([...new Set(replies.map((r) => r.status))], [200])
  assert.ok(peak <= 4, `the replica had ${peak} requests at once`)
  assert.ok(peak >= 2, `the burst let ${peak} at a time`)
})

test('`scale` on a pool whose source cannot act (static upstreams) is reported once, and the pool serves as before', { timeout: 20_000 }, async () => {
  const { recordingLogger } = await import('../support/gateway.ts')
  const log = recordingLogger()
  const { createServer } = await import('node:http')
  const server = createServer((_req, res) => res.end('static'))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  closers.push(() => new Promise((r) => server.close(r)))
  const gw = await startGateway({ pools: { app: { upstreams: [`http://127.0.0.1:${(server.address() as { port: number }).port}`], scale: { min: 0 } } }, routes: [{ pool: 'app' }] }, { log })
  closers.push(() => gw.stop())
  assert.equal((await get(gw.url + '/')).status, 200)
  await waitFor(() => log.lines.some((l) => l.includes('pools.app.scale: no discovery source')), { timeoutMs: 8000, what: 'the warning' })
  await sleep(600)
  assert.equal(log.lines.filter((l) => l.includes('pools.app.scale')).length, 1)
  assert.equal(gw.gateway.scaling.view('app'), undefined)
})
