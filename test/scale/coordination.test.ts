/**
 * Two gateways in front of the same replicas, coordinated through a real etcd
 * (etcdCoordination): an asleep pool hit through both at once is woken once, and a pool idle at
 * one gateway but busy at the other is not put to sleep. Without coordination both wake
 * (documented in core/plugin/coordination.ts), which is the control that shows the lock matters.
 */
import assert from 'node:assert/strict'
import { Agent, request } from 'node:http'
import { after, before, test } from 'node:test'
import { etcdCoordination } from '../../plugins/etcd/index.ts'
import { startEtcd, type Etcd } from '../support/etcd.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import { localReplicas } from '../support/local-replicas.ts'
import type { ScaleInput } from '../../core/config/scale-schema.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const agent = new Agent({ keepAlive: false, maxSockets: 500 })
let e: Etcd
before(async () => void (e = await startEtcd()))
after(async () => {
  agent.destroy()
  await e?.stop()
})

function get(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => (res.resume(), res.on('end', () => resolve(res.statusCode!))))
    req.on('error', () => resolve(0))
    req.end()
  })
}

async function twoGateways(coordinated: boolean, scale: ScaleInput, prefix: string) {
  const local = localReplicas({ pool: 'app', replicas: 2, bootMs: 300, actMs: 200 })
  const gateways: TestGateway[] = []
  for (let i = 0; i < 2; i++) {
    gateways.push(
      await startGateway({
        ...(coordinated ? { coordination: etcdCoordination({ endpoints: [e.endpoint], prefix, ttl: '3s' }) } : {}),
        pools: { app: { discovery: local.plugin, scale } },
        routes: [{ pool: 'app' }],
      }),
    )
  }
  return { local, gateways, stop: async () => (await Promise.all(gateways.map((g) => g.stop())), await local.close()) }
}

test('an asleep pool hit through two coordinated gateways at once wakes once; uncoordinated, each wakes it', { timeout: 60_000 }, async () => {
  for (const coordinated of [true, false]) {
    const { local, gateways, stop } = await twoGateways(coordinated, { min: 0, idle: '1h', wake: { timeout: '10s' } }, `/wake-${coordinated}/`)
    try {
      const statuses = await Promise.all(gateways.flatMap((g) => Array.from({ length: 50 }, () => get(g.url + '/'))))
      assert.deepEqual([...new Set(statuses)], [200], `${coordinated ? 'coordinated' : 'alone'}: ${statuses.join(',')}`)
      const wakes = local.calls.filter((c) => c.replicas > 0).length
      console.log(`# ${coordinated ? 'coordinated' : 'uncoordinated'}: 100 requests through 2 gateways, ${wakes} wake(s)`)
      assert.equal(wakes, coordinated ? 1 : 2)
    } finally {
      await stop()
    }
  }
})

test('a pool idle at one gateway but busy at the other stays awake; once idle at both it sleeps, once', { timeout: 60_000 }, async () => {
  // idle well above how often gateways publish their activity (1 s), as real idle times (minutes) are.
  const { local, gateways, stop } = await twoGateways(true, { min: 0, idle: '3s' }, '/idle/')
  try {
    assert.equal(await get(gateways[0]!.url + '/'), 200) // wakes it through gateway 0
    const until = Date.now() + 6000 // then traffic only through gateway 1
    while (Date.now() < until) {
      assert.equal(await get(gateways[1]!.url + '/'), 200)
      await sleep(100)
    }
    assert.deepEqual(local.calls.map((c) => c.replicas), [2], 'gateway 0 saw no traffic for 6 s but must not stop what gateway 1 serves')
    await sleep(6000)
    assert.deepEqual(local.calls.map((c) => c.replicas), [2, 0])
  } finally {
    await stop()
  }
})
