// What an operator observes, the same on Node, Bun and Deno: status codes counted exactly and the
// process's saturation in /metrics (CPU, memory, heap, event-loop lag; descriptors where readable);
// a request's ID in the upstream's headers, the response and the access log; W3C trace context
// passed on to the upstream as the client sent it.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { deadPort } from '../support/http-upstream.ts'
import { freePort } from '../support/ports.ts'
import { promtoolCheck, samples, total } from '../support/exposition.ts'
import { RUNTIMES, spawnGatewayUnder, type RuntimeGateway } from '../support/runtimes.ts'

let upstream: Server
let upstreamUrl = ''
let dead = ''
before(async () => {
  upstream = createServer((req, res) => {
    req.resume()
    // Says which ID it got, and sends an ID of its own that the gateway must replace.
    req.on('end', () => res.writeHead(200, { 'x-seen-id': String(req.headers['x-request-id']), 'x-request-id': 'upstream-own', 'x-seen-trace': `${req.headers.traceparent} ${req.headers.tracestate}` }).end('ok'))
  })
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`
  dead = `http://127.0.0.1:${await deadPort()}`
})
after(() => new Promise<void>((r) => (upstream.closeAllConnections(), upstream.close(() => r()))))

const config = (adminPort: number) => (port: number) => `import { defineConfig } from 'gatehouse'
import { accessLog } from 'gatehouse/plugins/access-log'
import { admin } from 'gatehouse/plugins/admin'
import { metrics } from 'gatehouse/plugins/metrics'
const m = metrics()
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  observe: [m, admin({ listen: { host: '127.0.0.1', port: ${adminPort} }, metrics: m, dashboard: false }), accessLog({ format: 'json' })],
  pools: { app: { upstreams: ['${upstreamUrl}'] }, down: { upstreams: ['${dead}'] }, empty: { upstreams: [] } },
  routes: [
    { path: '/ok/*', pool: 'app' },
    { path: '/down/*', pool: 'down' },
    { path: '/empty/*', pool: 'empty' },
    { path: '/limited/*', pool: 'app', use: [async (c) => c.text('slow down', 429)] },
  ],
})
`

for (const runtime of RUNTIMES.filter((r) => !process.env.E2E_ONLY || process.env.E2E_ONLY.split(',').includes(r))) {
  describe(`observing a gateway on ${runtime}`, { timeout: 90_000 }, () => {
    let gw: RuntimeGateway
    let adminPort = 0
    before(async () => {
      adminPort = await freePort()
      gw = await spawnGatewayUnder(runtime, config(adminPort), 'observe')
    })
    after(async () => gw?.stop())

    const scrape = async () => {
      const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text()
      return { text, list: samples(text) }
    }
    const status = async (path: string) => {
      const res = await fetch(gw.url + path)
      await res.arrayBuffer()
      return res.status
    }

    test('X-Request-Id: generated (a client that is no trusted proxy cannot choose it), sent upstream, returned, logged', async () => {
      const res = await fetch(gw.url + '/ok/id', { headers: { 'x-request-id': 'chosen-by-client' } })
      await res.arrayBuffer()
      const id = res.headers.get('x-request-id')
      assert.match(id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      assert.equal(res.headers.get('x-seen-id'), id, 'the upstream got the same ID')
      const notFound = await fetch(gw.url + '/nowhere/id')
      await notFound.arrayBuffer()
      assert.match(notFound.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, 'the gateway\'s own answers carry one too')
      assert.notEqual(notFound.headers.get('x-request-id'), id)
      const logged = async (path: string) => {
        for (let i = 0; i < 50; i++) {
          const line = gw.proc.tail(10_000).split('\n').find((l) => l.startsWith('{') && l.includes(`"path":"${path}"`))
          if (line) return JSON.parse(line) as { requestId?: string }
          await new Promise((r) => setTimeout(r, 20))
        }
        assert.fail(`no access-log line for ${path}`)
      }
      assert.equal((await logged('/ok/id')).requestId, id)
      assert.equal((await logged('/nowhere/id')).requestId, notFound.headers.get('x-request-id'))
    })

    test('traceparent and tracestate reach the upstream unchanged', async () => {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
      const res = await fetch(gw.url + '/ok/trace', { headers: { traceparent, tracestate: 'vendor=a1,other=b2' } })
      await res.arrayBuffer()
      assert.equal(res.headers.get('x-seen-trace'), `${traceparent} vendor=a1,other=b2`)
    })

    test('codes counted exactly; process and runtime metrics; promtool passes', async () => {
      const before = (await scrape()).list
      const got = []
      for (const path of ['/ok/1', '/ok/2', '/nowhere', '/limited/x', '/down/x', '/empty/x']) got.push(await status(path))
      assert.deepEqual(got, [200, 200, 404, 429, 502, 503])
      await new Promise((r) => setTimeout(r, 100))
      const { text, list } = await scrape()
      for (const [code, n] of Object.entries({ 200: 2, 404: 1, 429: 1, 502: 1, 503: 1 })) {
        assert.equal(total(list, 'gatehouse_requests_total', { code }) - total(before, 'gatehouse_requests_total', { code }), n, `code ${code}`)
      }
      const build = list.find((s) => s.name === 'gatehouse_build_info')
      assert.equal(build?.labels.runtime, runtime)
      assert.match(build?.labels.runtime_version ?? '', /^\d+\.\d+\.\d+/)
      assert.ok(total(list, 'process_cpu_seconds_total') > 0, 'CPU')
      assert.ok(total(list, 'process_resident_memory_bytes') > 10e6, 'RSS')
      assert.ok(total(list, 'process_start_time_seconds') > Date.now() / 1000 - 120, 'start time')
      assert.ok(total(list, 'gatehouse_runtime_heap_bytes', { kind: 'used' }) > 0, 'heap')
      assert.ok(list.some((s) => s.name === 'gatehouse_runtime_event_loop_lag_seconds'), 'event-loop lag')
      // Deno's permissions do not cover /proc; only Node emits GC entries.
      assert.equal(list.some((s) => s.name === 'process_open_fds'), runtime !== 'deno', 'open descriptors')
      assert.equal(list.some((s) => s.name === 'gatehouse_runtime_gc_seconds_total'), runtime === 'node', 'GC time')
      promtoolCheck(text)
    })
  })
}
