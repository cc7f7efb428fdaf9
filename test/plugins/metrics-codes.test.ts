// Metrics an operator diagnoses from: each status code counted exactly (also on the duration
// histogram), refusals before routing by reason, request and response sizes, in-flight requests
// gateway-wide and per pool, certificate expiry, build info and the process's saturation — and
// promtool's check passes on the whole exposition.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { metrics } from '../../plugins/metrics/index.ts'
import { StateMetrics } from '../../plugins/metrics/state-metrics.ts'
import { admin, type AdminPlugin } from '../../plugins/admin/index.ts'
import type { GatewayView } from '../../core/types.ts'
import { GATEHOUSE_VERSION } from '../../core/version.ts'
import { deadPort, echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import { promtoolCheck, samples, total, type Sample } from '../support/exposition.ts'
import { waitFor } from '../support/process.ts'

let up: Upstream
let slow: Upstream
let gw: TestGateway
let adm: AdminPlugin
let releaseSlow: () => void = () => {}

before(async () => {
  up = await startUpstream((req, res, body) => (req.url!.endsWith('/big') ? res.end(Buffer.alloc(20_000)) : echo('up')(req, res, body)))
  slow = await startUpstream((_req, res) => void (releaseSlow = () => res.end('late')))
  const m = metrics()
  adm = admin({ listen: { port: 0 }, metrics: m, dashboard: false })
  gw = await startGateway({
    observe: [m, adm],
    pools: { web: { upstreams: [up.url] }, down: { upstreams: [`http://127.0.0.1:${await deadPort()}`] }, off: { upstreams: [up.url] }, slow: { upstreams: [slow.url] } },
    routes: [
      { name: 'main', path: '/app/*', pool: 'web' },
      { name: 'down', path: '/down', pool: 'down' },
      { name: 'off', path: '/off', pool: 'off' },
      { name: 'slow', path: '/slow', pool: 'slow' },
      { name: 'limited', path: '/limited', pool: 'web', use: [async (c) => c.text('slow down', 429)] },
    ],
  })
  gw.gateway.pool('off')!.upstreams[0]!.setDisabled(true) // no upstream available: 503
})
after(async () => {
  releaseSlow()
  await gw.stop()
  await up.close()
  await slow.close()
})

async function scrape(): Promise<{ text: string; list: Sample[] }> {
  const text = await (await fetch(`http://127.0.0.1:${adm.port}/metrics`)).text()
  return { text, list: samples(text) }
}

async function status(path: string, init?: RequestInit): Promise<number> {
  const res = await fetch(gw.url + path, init)
  await res.arrayBuffer()
  return res.status
}

/** A request fetch will not send: a GET with a body (refused before routing, 400). */
function rawRequest(head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(gw.port, '127.0.0.1', () => s.end(head))
    let data = ''
    s.on('data', (d) => (data += d)).on('end', () => resolve(data)).on('error', reject)
  })
}

const settle = () => new Promise((r) => setTimeout(r, 50))

test('a known mix of 200, 404, 429, 502 and 503 is counted exactly by code, on the counter and the duration histogram', async () => {
  const before = (await scrape()).list
  const mix = [
    ...(await Promise.all(['/app/a', '/app/b', '/app/big'].map((p) => status(p)))),
    await status('/app/form', { method: 'POST', body: 'hello' }),
    await status('/nowhere'),
    await status('/nowhere/else'),
    await status('/limited'),
    await status('/down'),
    await status('/off'),
  ]
  assert.deepEqual(mix, [200, 200, 200, 200, 404, 404, 429, 502, 503])
  assert.match(await rawRequest('GET /app/a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc'), /^HTTP\/1\.1 400 /)
  await settle()
  const { text, list: after } = await scrape()
  const delta = (name: string, match: Record<string, string>) => total(after, name, match) - total(before, name, match)

  const expected = { 200: 4, 404: 2, 429: 1, 502: 1, 503: 1, 400: 1 }
  for (const [code, n] of Object.entries(expected)) {
    assert.equal(delta('gatehouse_requests_total', { code }), n, `requests with code ${code}`)
    assert.equal(delta('gatehouse_request_duration_seconds_count', { code }), n, `durations with code ${code}`)
  }
  assert.equal(delta('gatehouse_requests_total', {}), 10, 'no request counted twice or missed')
  assert.equal(delta('gatehouse_request_duration_seconds_count', { route: 'main', method: 'POST', code: '200' }), 1)
  assert.equal(delta('gatehouse_requests_total', { route: 'off', pool: 'off', code: '503', status_class: '5xx' }), 1)
  assert.ok(after.every((s) => s.name !== 'gatehouse_requests_total' || /^([1-5]\d\d|other)$/.test(s.labels.code!)), 'code is a real status code')

  assert.equal(delta('gatehouse_request_refusals_total', { reason: 'no-route' }), 2)
  assert.equal(delta('gatehouse_request_refusals_total', { reason: 'bad-request' }), 1)

  assert.equal(delta('gatehouse_request_size_bytes_count', { route: 'main' }), 4)
  assert.equal(delta('gatehouse_request_size_bytes_sum', { route: 'main' }), 5, 'the POST body; GETs declare none')
  assert.equal(delta('gatehouse_response_size_bytes_count', { route: 'main' }), 4)
  assert.ok(delta('gatehouse_response_size_bytes_sum', { route: 'main' }) >= 20_000)
  assert.equal(delta('gatehouse_response_size_bytes_bucket', { route: 'main', le: '10000' }), 3, 'the 20 kB answer is over 10 kB')

  promtoolCheck(text)
})

test('in-flight requests gateway-wide and per pool, read at scrape time', async () => {
  const pending = fetch(gw.url + '/slow')
  await waitFor(() => slow.seen.length === 1, { timeoutMs: 2000, intervalMs: 10 })
  let list = (await scrape()).list
  assert.equal(total(list, 'gatehouse_pool_requests_in_flight', { pool: 'slow' }), 1)
  assert.equal(total(list, 'gatehouse_requests_in_flight'), 1, 'the scrape goes to the admin listener, not through the gateway')
  releaseSlow()
  assert.equal(await (await pending).text(), 'late')
  await settle()
  list = (await scrape()).list
  assert.equal(total(list, 'gatehouse_pool_requests_in_flight', { pool: 'slow' }), 0)
  assert.equal(total(list, 'gatehouse_requests_in_flight'), 0)
})

test('build info and the process: CPU, memory, descriptors, heap, event-loop lag, GC (Node)', async () => {
  const { list } = await scrape()
  const build = list.find((s) => s.name === 'gatehouse_build_info')
  assert.deepEqual(build?.labels, { version: GATEHOUSE_VERSION, runtime: 'node', runtime_version: process.versions.node })
  assert.equal(build?.value, 1)
  assert.ok(total(list, 'process_cpu_seconds_total') > 0)
  assert.ok(total(list, 'process_resident_memory_bytes') > 10e6)
  assert.ok(Math.abs(total(list, 'process_start_time_seconds') - (Date.now() / 1000 - process.uptime())) < 5)
  assert.ok(total(list, 'process_open_fds') > 3)
  assert.ok(total(list, 'gatehouse_runtime_heap_bytes', { kind: 'used' }) > 1e6)
  assert.ok(list.some((s) => s.name === 'gatehouse_runtime_event_loop_lag_seconds'))
  assert.ok(list.some((s) => s.name === 'gatehouse_runtime_gc_seconds_total'))
})

test('the event-loop lag gauge sees a blocked loop', async () => {
  await scrape() // starts the sampler and resets its window
  const until = Date.now() + 600
  while (Date.now() < until); // block the loop (the gateway runs in this process)
  await new Promise((r) => setTimeout(r, 300))
  assert.ok(total((await scrape()).list, 'gatehouse_runtime_event_loop_lag_seconds') >= 0.3)
})

test('certificate expiry: one gauge per served certificate, in seconds since the epoch', () => {
  const notAfter = '2027-03-01T12:00:00.000Z'
  const view = {
    pools: () => [],
    routes: () => [],
    certificates: () => ({ served: [{ hosts: ['a.example.com', 'b.example.com'], serial: '0A1B', notAfter }], managed: [] }),
  } as unknown as GatewayView
  const list = samples(new StateMetrics(100).render(view))
  assert.equal(total(list, 'gatehouse_tls_certificate_not_after_timestamp_seconds', { host: 'a.example.com', serial: '0A1B' }), Date.parse(notAfter) / 1000)
})
