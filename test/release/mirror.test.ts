// Shadow copies (core/release/mirror.ts) against real HTTP upstreams: copies carry the marker and
// Host `<host>-shadow`, never exceed the sampled share, feed the analysis (a failing shadow is
// marked failed before it takes any traffic; a healthy one then starts its canary), and a mirror
// target that hangs does not change the primary's p99 — the benchmark row, as a ratio against the
// same run without mirroring, goes to test-output/bench-mirror.md.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import http2 from 'node:http2'
import { join } from 'node:path'
import { echo, startUpstream, type Handler } from '../support/http-upstream.ts'
import { ROOT, startGateway } from '../support/gateway.ts'
import { boundedLoad, percentile } from '../support/bounded-load.ts'
import type { ReleaseEvent } from '../../core/gateway/events.ts'

async function shadowed(v2Handler: Handler, mirror: { percent: number }, analysis: Record<string, unknown> = { minRequests: 30 }) {
  const v1 = await startUpstream(echo('v1'))
  const v2 = await startUpstream(v2Handler)
  const gw = await startGateway({
    pools: {
      app: {
        upstreams: [{ url: v1.url, labels: { version: 'v1' } }, { url: v2.url, labels: { version: 'v2' } }],
        retries: 0,
        release: { stable: 'v1', steps: [50, 100], interval: '1s', analysis, mirror },
      },
    },
    routes: [{ path: '/*', pool: 'app' }],
  })
  const events: ReleaseEvent[] = []
  gw.gateway.events.on('release', (e) => events.push(e))
  return {
    gw, v1, v2, events,
    async close() {
      await gw.stop()
      await v1.close()
      await v2.close()
    },
  }
}

test('copies carry the marker and a -shadow Host, never exceed the share, and a failing shadow is marked failed before it takes traffic', async () => {
  const s = await shadowed((_req, res) => ((res.statusCode = 500), res.end()), { percent: 20 })
  try {
    const load = await boundedLoad(s.gw.url + '/page?x=1', { concurrency: 4, max: 5000, timeoutMs: 15_000, until: () => s.events.some((e) => e.action === 'rollback'), headers: { host: 'app.test:8080' } })
    const rollback = s.events.find((e) => e.action === 'rollback')
    assert.ok(rollback, `rolled back: ${s.events.map((e) => e.action)}`)
    assert.match(rollback.reason, /^shadow copies: error rate 100% above 1%$/)
    assert.equal(s.events.some((e) => e.action === 'start'), false, 'it never took traffic')
    assert.equal(load.errors, 0, 'clients never saw the shadow’s errors')
    await new Promise((r) => setTimeout(r, 200)) // copies still in flight land
    assert.ok(s.v2.seen.length > 0)
    for (const seen of s.v2.seen) {
      assert.equal(seen.headers['x-gatehouse-mirror'], '1')
      assert.equal(seen.headers.host, 'app.test-shadow:8080')
      assert.equal(seen.url, '/page?x=1')
    }
    const v1Requests = s.v1.seen.length
    assert.ok(s.v2.seen.length <= Math.floor(v1Requests * 0.2), `copies ${s.v2.seen.length} ≤ 20 % of ${v1Requests}`)
    assert.ok(s.v2.seen.length >= Math.floor(v1Requests * 0.15), `and about that share (${s.v2.seen.length} of ${v1Requests})`)
    // Failed: no more copies.
    const copies = s.v2.seen.length
    await boundedLoad(s.gw.url + '/', { concurrency: 2, max: 100, timeoutMs: 5000 })
    assert.equal(s.v2.seen.length, copies)
  } finally {
    await s.close()
  }
})

test('a healthy shadow passes for an interval, then the canary takes its first step', async () => {
  const s = await shadowed(echo('v2'), { percent: 50 }, { minRequests: 30, latencySlack: '200ms' })
  try {
    await boundedLoad(s.gw.url + '/', { concurrency: 4, max: 20_000, timeoutMs: 15_000, until: () => s.events.some((e) => e.action === 'start' || e.action === 'rollback') })
    const start = s.events.find((e) => e.action === 'start')
    assert.ok(start, `started: ${s.events.map((e) => `${e.action} ${e.reason}`)}`)
    assert.match(start.reason, /^its shadow copies passed; step 1\/2: 50%$/)
    const view = s.gw.gateway.releases.view('app')!
    assert.equal(view.mirror?.passed, true)
    assert.ok(view.mirror!.sent > 0)
  } finally {
    await s.close()
  }
})

test('a mirror target that hangs does not change the primary p99 (benchmark row)', async () => {
  const hanging = await startUpstream(() => {}) // accepts, never answers
  const v1 = await startUpstream(echo('v1'))
  // The same pool, with and without the hanging new version mirrored to (its analysis never decides: the copies go on).
  const pool = (mirror: boolean) => ({
    upstreams: [{ url: v1.url, labels: { version: 'v1' } }, ...(mirror ? [{ url: hanging.url, labels: { version: 'v2' } }] : [])],
    release: { stable: 'v1', interval: '1h', analysis: { minRequests: 10_000_000 }, ...(mirror ? { mirror: { percent: 100, timeout: '3s', maxInflight: 50 } } : {}) },
  })
  const gw = await startGateway({ pools: { plain: pool(false), mirrored: pool(true) }, routes: [{ path: '/plain/*', pool: 'plain' }, { path: '/mirrored/*', pool: 'mirrored' }] })
  try {
    const opts = { concurrency: 8, max: 3000, timeoutMs: 20_000 }
    // Warm both paths, then alternate: the same run, the same machine state.
    await boundedLoad(gw.url + '/plain/', { ...opts, max: 300 })
    await boundedLoad(gw.url + '/mirrored/', { ...opts, max: 300 })
    const runs = { plain: [] as number[], mirrored: [] as number[] }
    for (let round = 0; round < 2; round++) {
      for (const kind of ['plain', 'mirrored'] as const) {
        const r = await boundedLoad(`${gw.url}/${kind}/`, opts)
        assert.equal(r.errors, 0)
        runs[kind].push(...r.latencies)
      }
    }
    const p99 = { plain: percentile(runs.plain, 99), mirrored: percentile(runs.mirrored, 99) }
    const ratio = p99.mirrored / p99.plain
    const view = gw.gateway.releases.view('mirrored')!.mirror!
    const row = `| mirror 100 % to a hanging target (maxInflight 50, timeout 3s) | ${runs.plain.length} + ${runs.mirrored.length} requests, 8 clients | p99 ${p99.plain.toFixed(2)} ms → ${p99.mirrored.toFixed(2)} ms | **${ratio.toFixed(2)}×** | copies sent ${view.sent}, skipped ${view.skipped} |`
    mkdirSync(join(ROOT, 'test-output'), { recursive: true })
    writeFileSync(join(ROOT, 'test-output', 'bench-mirror.md'), `| case | load | primary p99 (no mirror → mirror) | ratio | copies |\n|---|---|---|---|---|\n${row}\n`)
    console.log(row)
    assert.ok(view.inflight <= 50, 'a hanging target holds at most maxInflight copies')
    assert.ok(view.skipped > 0)
    assert.ok(ratio < 1.5 || p99.mirrored - p99.plain < 3, `primary p99 ${p99.plain.toFixed(2)} → ${p99.mirrored.toFixed(2)} ms`)
  } finally {
    await gw.stop()
    await v1.close()
    await hanging.close()
  }
})

test('an h2c version (HTTP/2 only, a gRPC-style server) gets its copies over HTTP/2: they pass and its canary starts', async () => {
  const seen = { v1: 0, v2: 0, v2Copies: 0 }
  const servers = (['v1', 'v2'] as const).map((name) =>
    http2.createServer((req, res) => {
      seen[name]++
      if (name === 'v2' && req.headers['x-gatehouse-mirror'] === '1' && req.httpVersion === '2.0') seen.v2Copies++
      res.end(`${name}\n`)
    }),
  )
  const ports = await Promise.all(servers.map((s) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)))))
  const gw = await startGateway({
    pools: {
      app: {
        upstreams: [{ url: `h2c://127.0.0.1:${ports[0]}`, labels: { version: 'v1' } }, { url: `h2c://127.0.0.1:${ports[1]}`, labels: { version: 'v2' } }],
        retries: 0,
        release: { stable: 'v1', steps: [50, 100], interval: '1s', analysis: { minRequests: 30, latencySlack: '200ms' }, mirror: { percent: 50 } },
      },
    },
    routes: [{ path: '/*', pool: 'app' }],
  })
  const events: ReleaseEvent[] = []
  gw.gateway.events.on('release', (e) => events.push(e))
  try {
    await boundedLoad(gw.url + '/', { concurrency: 4, max: 20_000, timeoutMs: 15_000, until: () => events.some((e) => e.action === 'start' || e.action === 'rollback') })
    const start = events.find((e) => e.action === 'start')
    assert.ok(start, `started: ${events.map((e) => `${e.action} ${e.reason}`)}`)
    assert.ok(seen.v2Copies >= 30, `${seen.v2Copies} copies reached v2 over HTTP/2`)
  } finally {
    await gw.stop()
    for (const s of servers) s.close()
  }
})
