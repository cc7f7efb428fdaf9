// Two gateways in front of the same v1 and v2, sharing the rollout through a real etcd
// (etcdCoordination): one decides, the other follows — both split the same way, a rollback
// decided at one reaches the other within a second, and the follower refuses operator actions.
// Then the decider stops: the other takes over from the published state.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { etcdCoordination } from '../../plugins/etcd/index.ts'
import { startEtcd, type Etcd } from '../support/etcd.ts'
import { recordingLogger, startGateway, type TestGateway } from '../support/gateway.ts'
import { echo, startUpstream } from '../support/http-upstream.ts'
import { boundedLoad } from '../support/bounded-load.ts'
import type { ReleaseEvent } from '../../core/gateway/events.ts'

let e: Etcd
before(async () => void (e = await startEtcd()))
after(async () => void (await e?.stop()))

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('one gateway decides, the other follows; a rollback reaches both; the next decider goes on from the shared state', { timeout: 90_000 }, async () => {
  let failing = false
  const v1 = await startUpstream(echo('v1'))
  const v2 = await startUpstream((req, res, body) => (failing ? ((res.statusCode = 500), res.end()) : echo('v2')(req, res, body)))
  const gateways: { gw: TestGateway; log: ReturnType<typeof recordingLogger>; events: ReleaseEvent[] }[] = []
  try {
    for (let i = 0; i < 2; i++) {
      const log = recordingLogger()
      const gw = await startGateway(
        {
          coordination: etcdCoordination({ endpoints: [e.endpoint], prefix: '/release-test/', ttl: '2s' }),
          pools: {
            app: {
              upstreams: [{ url: v1.url, labels: { version: 'v1' } }, { url: v2.url, labels: { version: 'v2' } }],
              retries: 0,
              release: { stable: 'v1', steps: [20, 100], interval: '1h', analysis: { minRequests: 40 } },
            },
          },
          routes: [{ path: '/*', pool: 'app' }],
        },
        { log },
      )
      const events: ReleaseEvent[] = []
      gw.gateway.events.on('release', (ev) => events.push(ev))
      gateways.push({ gw, log, events })
    }
    const weights = () => gateways.map(({ gw }) => JSON.stringify(gw.gateway.releases.view('app')?.weights))
    const split = JSON.stringify({ v2: 20, v1: 80 })
    for (let i = 0; i < 100 && !weights().every((w) => w === split); i++) await sleep(50)
    assert.deepEqual(weights(), [split, split], 'both split the same way')
    const deciders = gateways.filter(({ gw }) => !gw.gateway.releases.view('app')!.following)
    assert.equal(deciders.length, 1, 'exactly one decides')
    const decider = deciders[0]!
    const follower = gateways.find((g) => g !== decider)!
    assert.equal(follower.gw.gateway.releases.get('app')!.pause().ok, false, 'the follower refuses operator actions')

    // v2 fails; traffic reaches both gateways; the decider's own share trips the analysis.
    failing = true
    const until = () => gateways.every(({ gw }) => gw.gateway.releases.view('app')!.last?.action === 'rollback')
    const loads = await Promise.all(gateways.map(({ gw }) => boundedLoad(gw.url + '/', { concurrency: 3, max: 5000, timeoutMs: 15_000, until })))
    assert.ok(until(), `both rolled back: ${weights()}`)
    assert.deepEqual(weights(), [JSON.stringify({ v1: 100 }), JSON.stringify({ v1: 100 })])
    const rolledBy = decider.events.find((ev) => ev.action === 'rollback')!
    assert.doesNotMatch(rolledBy.reason, /another gateway/)
    assert.match(follower.events.find((ev) => ev.action === 'rollback')!.reason, /^error rate [\d.]+% above 1% \(decided by another gateway\)$/)
    assert.ok(loads.every((l) => l.failed === 0))

    // The decider stops: within its lease the other decides, from the shared state (v2 stays failed).
    await decider.gw.stop()
    gateways.splice(gateways.indexOf(decider), 1)
    for (let i = 0; i < 100 && follower.gw.gateway.releases.view('app')!.following; i++) await sleep(100)
    const view = follower.gw.gateway.releases.view('app')!
    assert.equal(view.following, false, 'the survivor decides')
    assert.equal(view.versions.find((v) => v.name === 'v2')?.role, 'failed')
    assert.ok(follower.log.lines.some((l) => l.includes('this gateway decides its release')))
  } finally {
    for (const { gw } of gateways) await gw.stop()
    await v1.close()
    await v2.close()
  }
})
