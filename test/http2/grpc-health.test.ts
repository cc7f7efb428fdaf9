// Active health checks over gRPC: activeHealth({ grpc }) asks grpc.health.v1.Health/Check of real
// @grpc/grpc-js servers whose serving status the test flips. In process on Node (verdicts, what
// the dashboard shows, calls avoiding a NOT_SERVING upstream), and the probe alone in the gateway
// CLI under Node, Bun and Deno (node:http2's client on each), read through the admin API.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import http2 from 'node:http2'
import * as grpc from '@grpc/grpc-js'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { activeHealth } from '../../plugins/active-health/index.ts'
import { grpcHealthVerdict, healthCheckRequest, servingStatus } from '../../plugins/active-health/grpc-check.ts'
import { admin, type AdminPlugin } from '../../plugins/admin/index.ts'
import type { HealthChange } from '../../core/gateway/events.ts'
import type { PoolView, UpstreamView } from '../../core/types.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import { freePort } from '../support/ports.ts'
import { waitFor } from '../support/process.ts'
import { RUNTIMES, spawnGatewayUnder, type RuntimeGateway } from '../support/runtimes.ts'
import { echoClient, startGrpcUpstream, type GrpcUpstream, type Msg } from './grpc-upstream.ts'

const ECHO = 'gatehouse.test.Echo'
const frame = (...message: number[]) => new Uint8Array([0, 0, 0, 0, message.length, ...message])
const answer = (body: Uint8Array, trailers: Record<string, string> = { 'grpc-status': '0' }, headers: Record<string, string> = {}, status = 200) => ({ status, headers, trailers, body })

describe('the gRPC health messages, by hand', () => {
  test('HealthCheckRequest: empty for the whole server, field 1 (tag 0x0a, length, UTF-8) for a service; framed', () => {
    assert.deepEqual([...healthCheckRequest('')], [0, 0, 0, 0, 0])
    assert.deepEqual([...healthCheckRequest('a.B')], [0, 0, 0, 0, 5, 0x0a, 3, 0x61, 0x2e, 0x42])
    const long = healthCheckRequest('x'.repeat(200))
    assert.deepEqual([...long.subarray(0, 8)], [0, 0, 0, 0, 203, 0x0a, 0xc8, 0x01], 'a length of 200 is a two-byte varint')
  })

  test('HealthCheckResponse: status (field 1) read past unknown fields; absent is UNKNOWN; malformed or compressed is none', () => {
    assert.equal(servingStatus(frame(0x08, 0x01)), 1)
    assert.equal(servingStatus(frame(0x12, 0x02, 0x68, 0x69, 0x08, 0x02)), 2, 'an unknown string field first')
    assert.equal(servingStatus(frame()), 0)
    assert.equal(servingStatus(frame(0x08)), undefined)
    assert.equal(servingStatus(new Uint8Array([1, 0, 0, 0, 2, 0x08, 0x01])), undefined)
    assert.equal(servingStatus(new Uint8Array([0, 0, 0, 0, 9, 0x08, 0x01])), undefined, 'shorter than its length')
  })

  test('healthy iff HTTP 200, grpc-status 0 (trailers, or the head of a trailers-only answer) and SERVING', () => {
    const serving = frame(0x08, 0x01)
    assert.deepEqual(grpcHealthVerdict(answer(serving)), { ok: true, detail: 'SERVING' })
    assert.deepEqual(grpcHealthVerdict(answer(frame(0x08, 0x02))), { ok: false, detail: 'NOT_SERVING' })
    assert.deepEqual(grpcHealthVerdict(answer(frame())), { ok: false, detail: 'UNKNOWN' })
    assert.deepEqual(grpcHealthVerdict(answer(serving, {}, {}, 503)), { ok: false, detail: 'HTTP 503' })
    assert.deepEqual(grpcHealthVerdict(answer(serving, {})), { ok: false, detail: 'no grpc-status' })
    assert.deepEqual(grpcHealthVerdict(answer(new Uint8Array(), {}, { 'grpc-status': '12', 'grpc-message': 'no%20such%20method' })), { ok: false, detail: 'grpc-status 12: no such method' })
    assert.deepEqual(grpcHealthVerdict(answer(new Uint8Array())), { ok: false, detail: 'no HealthCheckResponse in the answer' })
  })

  test("options: grpc is true or { service }; an HTTP probe's path, method and expect are refused beside it, by name", () => {
    assertValidPlugin(activeHealth({ grpc: true, interval: '1s', headers: { authorization: 'Bearer x' } }))
    assertValidPlugin(activeHealth({ grpc: { service: ECHO } }))
    assert.throws(() => assertValidPlugin(activeHealth({ grpc: 'yes' as never })), /activeHealth\(\): grpc: expected true or \{ service/)
    assert.throws(() => assertValidPlugin(activeHealth({ grpc: { service: 1 as never } })), /activeHealth\(\): grpc/)
    assert.throws(() => assertValidPlugin(activeHealth({ grpc: true, path: '/healthz', expect: { status: 200 } })), (err: Error) => {
      assert.match(err.message, /activeHealth\(\): path: does not apply with grpc/)
      assert.match(err.message, /activeHealth\(\): expect: does not apply with grpc/)
      return true
    })
  })
})

/** Polls the admin API until `pick` finds what it wants among a pool's upstreams. */
async function upstreamView(adminPort: number, pool: string, origin: string, want: (u: UpstreamView) => boolean, what: string): Promise<UpstreamView> {
  let last: UpstreamView | undefined
  await waitFor(
    async () => {
      const { pools } = (await (await fetch(`http://127.0.0.1:${adminPort}/api/pools`)).json()) as { pools: PoolView[] }
      last = pools.find((p) => p.name === pool)?.upstreams.find((u) => u.url === origin)
      return last !== undefined && want(last)
    },
    { timeoutMs: 5000, intervalMs: 25, what: `${what} (last seen: ${JSON.stringify(last)})` },
  )
  return last!
}

describe('in the gateway (node, in process)', () => {
  let a: GrpcUpstream
  let b: GrpcUpstream
  let bare: GrpcUpstream
  let gw: TestGateway
  let adm: AdminPlugin
  const flips: HealthChange[] = []
  const origin = (u: GrpcUpstream) => `http://127.0.0.1:${u.port}`
  const check = (name: string) => activeHealth({ grpc: { service: name }, interval: '100ms', rise: 2, fall: 2, timeout: '1s' })

  before(async () => {
    a = await startGrpcUpstream('a', { health: true })
    b = await startGrpcUpstream('b', { health: true })
    bare = await startGrpcUpstream('bare')
    adm = admin({ listen: { port: 0 }, dashboard: false })
    gw = await startGateway({
      listen: { http2: { h2c: true } },
      observe: [adm],
      pools: {
        echo: { upstreams: [`h2c://127.0.0.1:${a.port}`, `h2c://127.0.0.1:${b.port}`], health: check(ECHO), timeouts: { total: '5s' } },
        // The pool's protocol makes an http:// upstream HTTP/2, for its calls and its probe.
        whole: { upstreams: [`http://127.0.0.1:${b.port}`], protocol: 'h2c', health: activeHealth({ grpc: true, interval: '100ms', rise: 1, fall: 1 }) },
        unknown: { upstreams: [`h2c://127.0.0.1:${a.port}`], health: check('no.Such') },
        noHealthService: { upstreams: [`h2c://127.0.0.1:${bare.port}`], health: check(ECHO) },
        http1: { upstreams: [`http://127.0.0.1:${a.port}`], health: check(ECHO) },
      },
      routes: [{ path: `/${ECHO}/*`, pool: 'echo' }],
    })
    gw.gateway.events.on('health', (e) => void flips.push(e))
  })
  after(async () => {
    await gw?.stop()
    await Promise.all([a?.close(), b?.close(), bare?.close()])
  })

  const answeredBy = async (n: number) => {
    const client = echoClient(`127.0.0.1:${gw.port}`)
    try {
      const names: string[] = []
      for (let i = 0; i < n; i++) {
        const res = await new Promise<Msg>((resolve, reject) =>
          client.Unary({ text: 'hi', count: 0, delay_ms: 0 }, (err: grpc.ServiceError | null, m: Msg) => (err ? reject(err) : resolve(m))),
        )
        names.push(res.text.split(':')[0]!)
      }
      return names
    } finally {
      client.close()
    }
  }

  test('SERVING upstreams are healthy, the check detail says so, and the upstream was asked about the service', async () => {
    for (const up of [a, b]) await upstreamView(adm.port!, 'echo', origin(up), (u) => u.lastCheck?.detail === 'SERVING' && u.healthy, `${up.name} SERVING`)
    assert.ok(a.healthChecks[ECHO]! >= 1 && b.healthChecks[ECHO]! >= 1, JSON.stringify([a.healthChecks, b.healthChecks]))
    const whole = await upstreamView(adm.port!, 'whole', origin(b), (u) => u.lastCheck?.ok === true, 'the whole server over the pool\'s h2c')
    assert.equal(whole.lastCheck?.detail, 'SERVING')
    assert.ok(b.healthChecks['']! >= 1)
  })

  test('NOT_SERVING takes an upstream out (calls avoid it); SERVING again brings it back', async () => {
    a.setHealth(ECHO, 'NOT_SERVING')
    await waitFor(() => flips.some((f) => f.pool === 'echo' && f.upstream === origin(a) && !f.healthy), { timeoutMs: 5000, intervalMs: 20, what: 'a marked unhealthy' })
    const down = await upstreamView(adm.port!, 'echo', origin(a), (u) => !u.healthy, 'a down in the admin API')
    assert.equal(down.lastCheck?.detail, 'NOT_SERVING')
    assert.equal(down.available, false)
    const before = a.calls.Unary ?? 0
    assert.deepEqual(new Set(await answeredBy(10)), new Set(['b']))
    assert.equal(a.calls.Unary ?? 0, before, 'no call reached a')

    a.setHealth(ECHO, 'SERVING')
    await waitFor(() => flips.some((f) => f.pool === 'echo' && f.upstream === origin(a) && f.healthy), { timeoutMs: 5000, intervalMs: 20, what: 'a healthy again' })
    await upstreamView(adm.port!, 'echo', origin(a), (u) => u.healthy && u.available && u.lastCheck?.detail === 'SERVING', 'a back in the admin API')
    assert.deepEqual(new Set(await answeredBy(10)), new Set(['a', 'b']))
  })

  test('what a failing probe saw: an unknown service (NOT_FOUND), no health service (UNIMPLEMENTED), an HTTP/1.1 upstream', async () => {
    const unknown = await upstreamView(adm.port!, 'unknown', origin(a), (u) => !u.healthy, 'unknown service down')
    assert.equal(unknown.lastCheck?.detail, 'grpc-status 5: unknown service no.Such')
    const bareView = await upstreamView(adm.port!, 'noHealthService', origin(bare), (u) => !u.healthy, 'a server without Health down')
    assert.match(bareView.lastCheck!.detail, /^grpc-status 12/)
    const http1 = await upstreamView(adm.port!, 'http1', origin(a), (u) => !u.healthy, 'an HTTP/1.1 upstream down')
    assert.match(http1.lastCheck!.detail, /not an HTTP\/2 upstream/)
  })
})

/** The probe itself on each runtime: the CLI gateway checks a grpc-js server over h2c, read through the admin API. */
describe('the probe on each runtime (gateway CLI)', () => {
  let up: GrpcUpstream
  before(async () => {
    up = await startGrpcUpstream('up', { health: true })
  })
  after(async () => {
    await up?.close()
  })

  for (const runtime of RUNTIMES) {
    test(`${runtime}: SERVING → NOT_SERVING → SERVING is healthy → unhealthy → healthy`, async () => {
      up.setHealth(ECHO, 'SERVING')
      const adminPort = await freePort()
      let gw: RuntimeGateway | undefined
      try {
        gw = await spawnGatewayUnder(
          runtime,
          (port) => `import { defineConfig } from 'gatehouse'
import { activeHealth } from 'gatehouse/plugins/active-health'
import { admin } from 'gatehouse/plugins/admin'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  observe: [admin({ listen: { port: ${adminPort} }, dashboard: false })],
  pools: { echo: { upstreams: ['h2c://127.0.0.1:${up.port}'], health: activeHealth({ grpc: { service: '${ECHO}' }, interval: '100ms', rise: 1, fall: 1 }) } },
  routes: [{ pool: 'echo' }],
})
`,
          'grpc-health',
        )
        const origin = `http://127.0.0.1:${up.port}`
        await upstreamView(adminPort, 'echo', origin, (u) => u.healthy && u.lastCheck?.detail === 'SERVING', `${runtime}: SERVING`)
        up.setHealth(ECHO, 'NOT_SERVING')
        await upstreamView(adminPort, 'echo', origin, (u) => !u.healthy && u.lastCheck?.detail === 'NOT_SERVING', `${runtime}: NOT_SERVING`)
        up.setHealth(ECHO, 'SERVING')
        await upstreamView(adminPort, 'echo', origin, (u) => u.healthy && u.lastCheck?.detail === 'SERVING', `${runtime}: SERVING again`)
      } catch (err) {
        throw new Error(`${(err as Error).message}\ngateway log:\n${gw?.proc.tail() ?? ''}`)
      } finally {
        await gw?.stop()
      }
    })
  }
})

describe('an HTTP health check of an HTTP/2-only upstream (node, in process)', () => {
  test('the probe speaks HTTP/2 to it: 200 keeps it in, 503 takes it out, and back', async () => {
    let status = 200
    const versions = new Set<string>()
    const server = http2.createServer((req, res) => {
      versions.add(req.httpVersion)
      res.statusCode = req.url === '/health' ? status : 200
      res.end('ok\n')
    })
    const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)))
    const adm = admin({ listen: { port: 0 }, dashboard: false })
    const gw = await startGateway({
      observe: [adm],
      pools: { web: { upstreams: [`h2c://127.0.0.1:${port}`], health: activeHealth({ path: '/health', interval: '100ms', rise: 1, fall: 1, timeout: '1s' }) } },
      routes: [{ pool: 'web' }],
    })
    try {
      const origin = `http://127.0.0.1:${port}`
      await upstreamView(adm.port!, 'web', origin, (u) => u.healthy && u.lastCheck?.detail === '200', 'healthy over HTTP/2')
      status = 503
      const down = await upstreamView(adm.port!, 'web', origin, (u) => !u.healthy, 'down on 503')
      assert.equal(down.lastCheck?.detail, 'status 503 not accepted')
      status = 200
      await upstreamView(adm.port!, 'web', origin, (u) => u.healthy, 'back on 200')
      assert.deepEqual([...versions], ['2.0'])
    } finally {
      await gw.stop()
      server.close()
    }
  })
})
