// tracing(): OpenTelemetry spans exported over OTLP/HTTP, on Node, Bun and Deno. The receiver is a
// recording one (test/support/otlp-receiver.ts): no real OTLP collector can be installed here.
// A retried request makes a trace of its server span and one client span per try (the first on a
// dead upstream, the second answered), and the upstream gets the traceparent of its own try's span;
// a request's traceparent makes its parent; a guard (passing or refusing), a wait for an upstream
// and a wake (in process) are spans too; a
// request sampled out by its parent passes its traceparent through untouched. The gateway is then
// stopped at once: the spans still waiting for the exporter's 5 s batch reach the receiver before
// it exits (flush on shutdown).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { tracing } from '../../plugins/tracing/index.ts'
import { deadPort, echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.ts'
import { RUNTIMES, spawnGatewayUnder } from '../support/runtimes.ts'
import { recordingLogger, startGateway } from '../support/gateway.ts'
import { localReplicas } from '../support/local-replicas.ts'

const SERVER = 2
const CLIENT = 3
const INTERNAL = 1
const ERROR = 2

test('tracing() options: bad fields are named', () => {
  const problems = tracing({ endpoint: 'ftp://collector', sampleRatio: 2, serviceName: '' } as never).problems ?? []
  for (const field of ['endpoint', 'sampleRatio', 'serviceName']) assert.ok(problems.some((p) => p.startsWith(field)), `${field} in ${problems.join('; ')}`)
  assert.deepEqual(tracing({ endpoint: 'http://127.0.0.1:4318/v1/traces' }).problems, undefined)
})

// The wake is the portable core's (core/scale/): in process, on Node, with replicas that boot in 300 ms.
test('a request that wakes a sleeping pool: a wake span under the request span, then its try', async () => {
  const receiver = await startOtlpReceiver()
  const local = localReplicas({ pool: 'app', replicas: 1, bootMs: 300 })
  const gw = await startGateway({
    observe: [tracing({ endpoint: receiver.url })],
    pools: { app: { discovery: local.plugin, scale: { min: 0, idle: '1h', wake: { timeout: '10s' } } } },
    routes: [{ name: 'app', pool: 'app' }],
  })
  try {
    const res = await fetch(gw.url + '/woken')
    assert.equal(res.status, 200, await res.text())
    await gw.stop()
    const request = receiver.spans.find((s) => s.kind === SERVER)!
    const wake = receiver.spans.find((s) => s.parentSpanId === request.spanId && s.kind === INTERNAL)
    assert.equal(wake?.name, 'wake', describeSpans(receiver.spans))
    assert.equal(wake?.attributes['gatehouse.pool'], 'app')
    assert.equal(wake?.attributes['gatehouse.outcome'], 'ok')
    assert.ok(receiver.spans.some((s) => s.parentSpanId === request.spanId && s.kind === CLIENT && s.attributes['http.response.status_code'] === 200))
  } finally {
    await gw.stop()
    await local.close()
    await receiver.close()
  }
})

test('sampling: sampleRatio 0 leaves new traces out (the client\'s traceparent, if any, passes); a sampled parent is followed', async () => {
  const receiver = await startOtlpReceiver()
  const up = await startUpstream(echo('up'))
  const gw = await startGateway({ observe: [tracing({ endpoint: receiver.url, sampleRatio: 0 })], pools: { a: { upstreams: [up.url] } }, routes: [{ pool: 'a' }] })
  try {
    assert.equal((await fetch(gw.url + '/new')).status, 200)
    const parent = '00-11111111111111111111111111111111-2222222222222222-01'
    assert.equal((await fetch(gw.url + '/child', { headers: { traceparent: parent } })).status, 200)
    await gw.stop()
    assert.equal(up.seen.find((s) => s.url === '/new')?.headers.traceparent, undefined)
    assert.deepEqual(receiver.spans.map((s) => s.traceId), ['11111111111111111111111111111111', '11111111111111111111111111111111'], describeSpans(receiver.spans))
    const server = receiver.spans.find((s) => s.kind === SERVER)!
    assert.equal(server.parentSpanId, '2222222222222222')
    assert.match(String(up.seen.find((s) => s.url === '/child')?.headers.traceparent), /^00-1{32}-[0-9a-f]{16}-01$/)
  } finally {
    await gw.stop()
    await up.close()
    await receiver.close()
  }
})

test('a collector that is down: the failed export is logged, requests and the stop are not held up', async () => {
  const up = await startUpstream(echo('up'))
  const log = recordingLogger()
  const gw = await startGateway({ observe: [tracing({ endpoint: `http://127.0.0.1:${await deadPort()}/v1/traces` })], pools: { a: { upstreams: [up.url] } }, routes: [{ pool: 'a' }] }, { log })
  try {
    assert.equal((await fetch(gw.url + '/x')).status, 200)
    const t0 = Date.now()
    await gw.stop()
    assert.ok(Date.now() - t0 < 5_000, `stopped in ${Date.now() - t0} ms`)
    assert.ok(log.lines.some((l) => /^warn: tracing: cannot export spans to http:\/\/127\.0\.0\.1:\d+\/v1\/traces: .*"droppedSpans":2/.test(l)), log.lines.join('\n'))
  } finally {
    await gw.stop()
    await up.close()
  }
})

for (const runtime of RUNTIMES.filter((r) => !process.env.E2E_ONLY || process.env.E2E_ONLY.split(',').includes(r))) {
  describe(`tracing on ${runtime}`, { timeout: 90_000 }, () => {
    let receiver: OtlpReceiver
    let live: Upstream
    let dead = ''
    before(async () => {
      receiver = await startOtlpReceiver()
      live = await startUpstream(echo('live'))
      dead = `http://127.0.0.1:${await deadPort()}`
    })
    after(async () => {
      await live?.close()
      await receiver?.close()
    })

    test('a retried request: server span, one client span per try, the upstream sees its try as parent; flushed on shutdown', async () => {
      const gw = await spawnGatewayUnder(runtime, (port) => `import { defineConfig } from 'gatehouse'
import { tracing } from 'gatehouse/plugins/tracing'
import { ipFilter } from 'gatehouse/plugins/ip-filter'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  observe: [tracing({ endpoint: '${receiver.url}', serviceName: 'gw-${runtime}' })],
  pools: {
    retry: { upstreams: ['${dead}', '${live.url}'], retries: 1 },
    live: { upstreams: ['${live.url}'] },
    empty: { upstreams: [], queue: { timeout: '50ms' } },
  },
  routes: [
    { name: 'retry', path: '/retry/*', pool: 'retry' },
    { name: 'guarded', path: '/guarded/*', pool: 'live', use: [ipFilter({ allow: ['127.0.0.0/8'] })] },
    { name: 'empty', path: '/empty/*', pool: 'empty' },
    { name: 'denied', path: '/denied/*', pool: 'live', use: [ipFilter({ deny: ['127.0.0.0/8'] })] },
  ],
})
`, 'tracing')
      const seenTraceparent = (path: string) => live.seen.find((s) => s.url === path)?.headers.traceparent
      const ids: Record<string, string> = {}
      try {
        // Round robin over [dead, live]: of two requests, one tries the dead upstream first.
        for (const path of ['/retry/1', '/retry/2']) {
          const res = await fetch(gw.url + path)
          assert.equal(res.status, 200, await res.text())
          ids[path] = res.headers.get('x-request-id')!
        }
        const parent = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' }
        const guarded = await fetch(gw.url + '/guarded/x', { headers: { traceparent: `00-${parent.traceId}-${parent.spanId}-01` } })
        assert.equal(guarded.status, 200, await guarded.text())
        const denied = await fetch(gw.url + '/denied/x')
        assert.equal(denied.status, 403, await denied.text())
        const empty = await fetch(gw.url + '/empty/x')
        assert.equal(empty.status, 503, await empty.text())
        const unsampled = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00'
        const quiet = await fetch(gw.url + '/retry/unsampled', { headers: { traceparent: unsampled, tracestate: 'vendor=a1' } })
        assert.equal(quiet.status, 200, await quiet.text())
        assert.equal(seenTraceparent('/retry/unsampled'), unsampled, 'sampled out by its parent: passed through as sent')
        assert.equal(live.seen.find((s) => s.url === '/retry/unsampled')?.headers.tracestate, 'vendor=a1')

        // Well within the batch's 5 s: what reaches the receiver now is flushed by the shutdown.
        const t0 = Date.now()
        await gw.stop()
        assert.ok(Date.now() - t0 < 5_000, 'stopped before the batch delay')
        assert.equal((await gw.proc.exited).code, 0, gw.proc.tail())

        const spans = receiver.spans.filter((s) => s.service === `gw-${runtime}`)
        assert.ok(receiver.contentTypes.every((t) => t.startsWith('application/json')), receiver.contentTypes.join())
        const servers = spans.filter((s) => s.kind === SERVER)
        assert.equal(servers.length, 5, `5 traced requests: ${describeSpans(spans)}`)
        assert.ok(!spans.some((s) => s.traceId === '0af7651916cd43dd8448eb211c80319c'), 'no span for the request sampled out')

        // The retried request.
        const retried = servers.filter((s) => s.attributes['gatehouse.tries'] === 2)
        assert.ok(retried.length >= 1, describeSpans(spans))
        const request = retried[0]!
        assert.equal(request.name, 'GET retry')
        assert.equal(request.parentSpanId, '', 'a new trace: the request span is its root')
        assert.equal(request.attributes['http.route'], 'retry')
        assert.equal(request.attributes['gatehouse.pool'], 'retry')
        assert.equal(request.attributes['http.request.method'], 'GET')
        assert.equal(request.attributes['http.response.status_code'], 200)
        const path = Object.keys(ids).find((p) => ids[p] === request.attributes['gatehouse.request_id'])
        assert.ok(path, 'the request span carries the X-Request-Id the client got')
        const tries = spans.filter((s) => s.kind === CLIENT && s.parentSpanId === request.spanId).sort((a, b) => Number(a.attributes['gatehouse.try']) - Number(b.attributes['gatehouse.try']))
        assert.equal(tries.length, 2, describeSpans(spans))
        assert.ok(tries.every((t) => t.traceId === request.traceId))
        const [first, second] = tries as [ReceivedSpan, ReceivedSpan]
        assert.equal(first.attributes['gatehouse.upstream'], dead)
        assert.equal(first.attributes['error.type'], 'refused')
        assert.equal(first.status, ERROR)
        assert.equal(second.attributes['gatehouse.upstream'], live.url)
        assert.equal(second.attributes['gatehouse.retry_reason'], 'refused')
        assert.equal(second.attributes['http.response.status_code'], 200)
        assert.equal(second.attributes['server.port'], live.port)
        assert.equal(seenTraceparent(path), `00-${request.traceId}-${second.spanId}-01`, 'the upstream got its try span as parent')

        // The request that came with a sampled traceparent: its parent, and its guard's span.
        const child = servers.find((s) => s.attributes['http.route'] === 'guarded')!
        assert.equal(child.traceId, parent.traceId)
        assert.equal(child.parentSpanId, parent.spanId)
        const guard = spans.find((s) => s.kind === INTERNAL && s.parentSpanId === child.spanId)
        assert.equal(guard?.name, 'guard ipFilter', describeSpans(spans))
        assert.equal(guard?.attributes['gatehouse.outcome'], 'passed')
        const guardedTry = spans.find((s) => s.kind === CLIENT && s.parentSpanId === child.spanId)!
        assert.equal(seenTraceparent('/guarded/x'), `00-${parent.traceId}-${guardedTry.spanId}-01`)

        // A guard that refused: its span says with what.
        const refused = servers.find((s) => s.attributes['http.route'] === 'denied')!
        const refusing = spans.find((s) => s.parentSpanId === refused.spanId)
        assert.equal(refusing?.name, 'guard ipFilter', describeSpans(spans))
        assert.equal(refusing?.attributes['gatehouse.outcome'], '403')
        assert.equal(refused.attributes['http.response.status_code'], 403)

        // No upstream to wait for: the wait is a span, the request an error.
        const unavailable = servers.find((s) => s.attributes['http.route'] === 'empty')!
        assert.equal(unavailable.attributes['http.response.status_code'], 503)
        assert.equal(unavailable.status, ERROR)
        const wait = spans.find((s) => s.parentSpanId === unavailable.spanId)
        assert.equal(wait?.name, 'queue', describeSpans(spans))
        assert.equal(wait?.attributes['gatehouse.pool'], 'empty')
        assert.notEqual(wait?.attributes['gatehouse.outcome'], 'ok')
      } finally {
        await gw.stop()
      }
    })
  })
}

function describeSpans(spans: ReceivedSpan[]): string {
  return spans.map((s) => `${s.name}[${s.kind}] ${s.traceId.slice(0, 6)}/${s.spanId.slice(0, 6)}<-${s.parentSpanId.slice(0, 6)} ${JSON.stringify(s.attributes)}`).join('\n')
}
