/**
 * etcd discovery against a REAL private etcd: the discovery contract, seed 004 replayed through an
 * in-process gateway (put → served, delete → gone, etcd down → last pool keeps serving, restart →
 * re-read), routes from etcd keys, and no change lost between the read and the watch.
 */
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { etcd } from '../../plugins/etcd/index.ts'
import { startEtcd, type Etcd } from '../support/etcd.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { waitFor } from '../support/process.ts'
import { discoveryContract, runPlugin, sleep } from './discovery.contract.ts'

/** etcdctl that fails the test on a non-zero exit. */
async function ctl(e: Etcd, ...args: string[]): Promise<string> {
  const res = await e.etcdctl(args)
  assert.equal(res.code, 0, `etcdctl ${args.join(' ')}: ${res.stderr}`)
  return res.stdout
}

// One etcd for the contract cases; each case gets its own prefix.
let shared: Promise<Etcd> | undefined
let caseNo = 0
after(async () => (await shared)?.stop())

discoveryContract('etcd', async () => {
  const e = await (shared ??= startEtcd())
  const prefix = `/contract/${++caseNo}/`
  const key = (url: string) => `${prefix}${new URL(url).port}`
  await ctl(e, 'put', `${prefix}base`, '127.0.0.1:7100')
  return {
    plugin: etcd({ endpoints: [e.endpoint], prefix, routesPrefix: false }),
    mutate: {
      add: async (url) => void (await ctl(e, 'put', key(url), url)),
      remove: async (url) => void (await ctl(e, 'del', key(url))),
      corrupt: async () => void (await ctl(e, 'put', `${prefix}broken`, 'not an address')),
    },
    boundMs: 1000,
    cleanup: async () => void (await ctl(e, 'del', '--prefix', prefix)),
  }
})

describe('etcd discovery: options', () => {
  it('are validated at the factory call, naming the field', () => {
    assert.throws(() => assertValidPlugin(etcd({ endpoints: ['127.0.0.1:2379'] })), /etcd\(\): endpoints\[0\]: expected an etcd client URL/)
    assert.throws(() => assertValidPlugin(etcd({ prefix: '/app/servers' })), /etcd\(\): prefix: expected a key prefix ending in "\/"/)
    assert.throws(() => assertValidPlugin(etcd({ dialTimeout: 'soon' })), /etcd\(\): dialTimeout: expected a duration/)
    assert.throws(() => assertValidPlugin(etcd({ prefx: '/a/' } as never)), /etcd\(\): prefx: unknown field/)
    assert.equal(etcd().name, 'etcd')
  })
})

// node:http, not fetch: fetch drops a Host header it is given.
function hit(gw: TestGateway, host = 'app.test', path = '/'): Promise<{ status: number; who: string | null }> {
  return new Promise((resolve, reject) => {
    const req = request(`${gw.url}${path}`, { headers: { host }, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode!, who: (res.headers['x-upstream'] as string) ?? null }))
    })
    req.on('error', reject)
    req.setTimeout(2000, () => req.destroy(new Error('request timed out')))
    req.end()
  })
}

/** Polls until `ok`, failing if it takes longer than `ms` (measured from the call). Returns the time it took. */
async function within(ms: number, what: string, ok: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now()
  await waitFor(async () => (await ok()) || undefined, { timeoutMs: ms, intervalMs: 20, what })
  return Date.now() - t0
}

/** Which upstreams answer over `n` requests. */
async function whoServes(gw: TestGateway, n = 6, host = 'app.test'): Promise<Set<string | null>> {
  const seen = new Set<string | null>()
  for (let i = 0; i < n; i++) {
    const r = await hit(gw, host)
    seen.add(r.status === 200 ? r.who : `status ${r.status}`)
  }
  return seen
}

describe('etcd discovery: seed 004 replayed (etcd + a gateway, no confd, no reloads)', () => {
  let e: Etcd
  let gw: TestGateway
  const ups: Upstream[] = []
  const timings: Record<string, number> = {}

  before(async () => {
    e = await startEtcd()
    for (const name of ['app1', 'app2', 'app3', 'blog']) ups.push(await startUpstream(echo(name)))
    gw = await startGateway({
      pools: { app: { discovery: etcd({ endpoints: [e.endpoint], prefix: '/app/servers/' }) } },
      routes: [{ host: 'app.test', pool: 'app' }],
    })
  })
  after(async () => {
    await gw?.stop()
    for (const u of ups) await u.close()
    await e?.stop()
    console.log(`# etcd timings (ms): ${JSON.stringify(timings)}`)
  })

  it('etcdctl put /app/servers/app1 host:port → served within 1 s', async () => {
    assert.equal((await hit(gw)).status, 503, 'an empty pool answers 503')
    await ctl(e, 'put', '/app/servers/app1', `127.0.0.1:${ups[0]!.port}`)
    timings.put = await within(1000, 'app1 served', async () => (await hit(gw)).who === 'app1')
    await ctl(e, 'put', '/app/servers/app2', JSON.stringify({ url: ups[1]!.url, weight: 1, labels: { zone: 'b' } }))
    timings.put2 = await within(1000, 'app2 served', async () => (await whoServes(gw)).has('app2'))
    assert.deepEqual(await whoServes(gw), new Set(['app1', 'app2']))
    assert.equal(gw.gateway.pool('app')!.upstreams.find((u) => u.id === '/app/servers/app2')?.labels.zone, 'b', 'upstream id = the etcd key')
  })

  it('etcdctl del → gone within 1 s, the other keeps serving', async () => {
    await ctl(e, 'del', '/app/servers/app1')
    timings.del = await within(1000, 'app1 gone', async () => {
      const seen = await whoServes(gw)
      return seen.size === 1 && seen.has('app2')
    })
  })

  it('etcd stopped → the gateway keeps serving the last pool', async () => {
    await e.stop()
    await sleep(500) // the watch has broken by now
    for (let i = 0; i < 10; i++) assert.deepEqual(await hit(gw), { status: 200, who: 'app2' })
    await sleep(1000) // a few failed re-reads later: still the last snapshot, never an empty pool
    assert.deepEqual(await whoServes(gw), new Set(['app2']))
  })

  it('etcd restarted, a key put right after → re-read and picked up', async () => {
    await e.restart()
    const t0 = Date.now()
    await ctl(e, 'put', '/app/servers/app3', `127.0.0.1:${ups[2]!.port}`)
    await within(8000, 'app3 served after the restart', async () => (await whoServes(gw)).has('app3'))
    timings.restartToServed = Date.now() - t0
    assert.deepEqual(await whoServes(gw, 8), new Set(['app2', 'app3']))
    // And the new watch is live again: a delete shows within 1 s.
    await ctl(e, 'del', '/app/servers/app2')
    timings.delAfterRestart = await within(1000, 'app2 gone after the restart', async () => {
      const seen = await whoServes(gw)
      return seen.size === 1 && seen.has('app3')
    })
  })

  it('a route under /gatehouse/routes/<name> creates a reachable host; a bad one is skipped; deleting it removes the host', async () => {
    assert.equal((await hit(gw, 'blog.test')).status, 404)
    // A second gateway with one top-level source: pools from /gatehouse/pools/<pool>/<name>, routes from /gatehouse/routes/.
    const gw2 = await startGateway({ discovery: [etcd({ endpoints: [e.endpoint] })] })
    try {
      await ctl(e, 'put', '/gatehouse/pools/blog/b1', ups[3]!.url)
      await ctl(e, 'put', '/gatehouse/routes/blog', JSON.stringify({ host: 'blog.test', pool: 'blog' }))
      await ctl(e, 'put', '/gatehouse/routes/broken', JSON.stringify({ host: 'bad host!', pool: 'blog' }))
      timings.route = await within(1000, 'blog.test routed', async () => (await hit(gw2, 'blog.test')).who === 'blog')
      assert.equal((await hit(gw2, 'other.test')).status, 404, 'the bad route did not become a catch-all')
      // The first gateway reads the same route keys, but no source of its own reports pool "blog": the route is
      // left out there (404, with an error naming routes' pool field) instead of answering 503 for a pool nobody has.
      await new Promise((r) => setTimeout(r, 300))
      assert.equal((await hit(gw, 'blog.test')).status, 404)
      await ctl(e, 'del', '/gatehouse/routes/blog')
      await within(1000, 'blog.test unrouted', async () => (await hit(gw2, 'blog.test')).status === 404)
    } finally {
      await gw2.stop()
      await ctl(e, 'del', '--prefix', '/gatehouse/')
    }
  })
})

describe('etcd discovery: watch from the revision it read', () => {
  let e: Etcd
  before(async () => (e = await startEtcd()))
  after(async () => e?.stop())

  it('a change made between the read and the watch is not lost', async () => {
    await ctl(e, 'put', '/app/servers/a', '127.0.0.1:7001')
    const revisions: string[] = []
    const plugin = etcd(
      { endpoints: [e.endpoint], prefix: '/app/servers/' },
      {
        // Runs after the first read, before the watch exists: both changes happen in that gap.
        async afterRead(revision) {
          revisions.push(revision)
          if (revisions.length > 1) return
          await ctl(e, 'put', '/app/servers/b', '127.0.0.1:7002')
          await ctl(e, 'del', '/app/servers/a')
        },
      },
    )
    const run = await runPlugin(plugin, 'app')
    try {
      assert.deepEqual(run.emits[0]!.pools.app!.map((u) => (u as { id: string }).id), ['/app/servers/a'], 'the first snapshot is the read')
      await run.until('app', (urls) => urls.length === 1 && urls[0] === 'http://127.0.0.1:7002', 1000, 'the gap changes replayed')
      assert.equal(revisions.length, 1, 'no re-read was needed: the watch started at the read revision + 1')
      const rev = Number(JSON.parse(await ctl(e, 'get', '/app/servers/b', '-w', 'json')).kvs[0].mod_revision)
      assert.ok(rev > Number(revisions[0]), `the put (rev ${rev}) came after the read (rev ${revisions[0]})`)
    } finally {
      run.abort()
    }
  })

  it('starting while etcd is down emits nothing (no empty pool), then follows once etcd is up', async () => {
    await ctl(e, 'put', '/down/servers/a', '127.0.0.1:7001')
    await e.stop()
    const t0 = Date.now()
    const run = await runPlugin(etcd({ endpoints: [e.endpoint], prefix: '/down/servers/', dialTimeout: '1s', backoff: { max: '500ms' } }), 'app')
    try {
      assert.ok(Date.now() - t0 < 3000, 'start() does not wait for etcd')
      assert.equal(run.emits.length, 0, 'no snapshot while etcd is unreachable')
      assert.match(run.problems()[0]?.msg ?? '', /cannot read etcd .*no snapshot yet, retrying/)
      await e.restart()
      await run.until('app', (urls) => urls.includes('http://127.0.0.1:7001'), 5000, 'first snapshot after etcd came up')
    } finally {
      run.abort()
    }
  })
})
