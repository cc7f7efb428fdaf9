/**
 * Scale with load in the core (core/scale/load-target.ts through pool-scale.ts): a pool with
 * `target.inflight` scales out while its in-flight requests per ready replica stay above the
 * target for `window`, and back in when they stay below half of it — with no failed request,
 * new replicas held back until they answer. Real HTTP replicas (test/support/local-replicas.ts);
 * the Swarm version runs against a real Swarm in test/plugins/swarm*.test.ts.
 */
import assert from 'node:assert/strict'
import { Agent, request } from 'node:http'
import { after, test } from 'node:test'
import { startGateway } from '../support/gateway.ts'
import { localReplicas } from '../support/local-replicas.ts'
import type { ScaleEvent } from '../../core/gateway/events.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const agent = new Agent({ keepAlive: true, maxSockets: 64 })
after(() => agent.destroy())

function get(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => (res.resume(), res.on('end', () => resolve(res.statusCode!)), res.on('error', () => resolve(-1))))
    req.on('error', () => resolve(0))
    req.end()
  })
}

/** `workers` request loops until `until` (ms since epoch); returns the statuses by count. */
async function load(url: string, workers: number, until: number, counts: Record<number, number>): Promise<void> {
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < until) {
        const s = await get(url)
        counts[s] = (counts[s] ?? 0) + 1
      }
    }),
  )
}

test('a load ramp scales the pool out to max, and back in when it calms, with no failed request', { timeout: 60_000 }, async () => {
  const local = localReplicas({ pool: 'app', replicas: 4, bootMs: 300, running: 1, handler: (_req, res, r) => void setTimeout(() => res.end(r.name), 100) })
  const gw = await startGateway({
    pools: { app: { discovery: local.plugin, scale: { min: 1, max: 3, target: { inflight: 2 }, window: '1s', idle: '2s' } } },
    routes: [{ pool: 'app' }],
  })
  const events: ScaleEvent[] = []
  gw.gateway.events.on('scale', (e) => events.push(e))
  try {
    const counts: Record<number, number> = {}
    // 12 in flight on 1 replica (target 2): out to 3 (max), not 6.
    await load(gw.url + '/', 12, Date.now() + 3500, counts)
    assert.equal(local.running(), 3, JSON.stringify(events))
    const out = events.filter((e) => e.action === 'out')
    assert.ok(out.length >= 1 && out.at(-1)!.to === 3, JSON.stringify(events))
    // Light load (1 in flight over 3 replicas, below half the target) for longer than idle: in, to 1.
    await load(gw.url + '/', 1, Date.now() + 3500, counts)
    assert.equal(local.running(), 1, JSON.stringify(events))
    assert.ok(events.some((e) => e.action === 'in' && e.to === 1), JSON.stringify(events))
    const total = Object.values(counts).reduce((a, b) => a + b, 0)
    console.log(`# load ramp: ${total} requests ${JSON.stringify(counts)}; ${events.map((e) => `${e.action} ${e.from}→${e.to}`).join(', ')}`)
    assert.deepEqual(Object.keys(counts), ['200'], `every request answered 200: ${JSON.stringify(counts)}`)
  } finally {
    await gw.stop()
    await local.close()
  }
})
