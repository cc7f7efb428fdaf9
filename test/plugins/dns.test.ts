/** DNS discovery: pure record rules, the contract and the specifics against a real dnsmasq, and one gateway. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { dns } from '../../plugins/dns/index.ts'
import { lowestPriorityGroup, mergeByUrl, refreshDelay, srvWeight, upstreamUrl } from '../../plugins/dns/records.ts'
import { startDnsmasq, type DnsRecords } from '../support/dnsmasq.ts'
import { startGateway } from '../support/gateway.ts'
import { echo, startUpstream } from '../support/http-upstream.ts'
import { discoveryContract, runPlugin, sleep } from './discovery.contract.ts'

const NAME = '_http._tcp.web.service.test'
const srv = (port: number, o: { priority?: number; weight?: number; target?: string } = {}) => ({ name: NAME, target: o.target ?? `h${port}.web.test`, port, ...o })
/** SRV records for upstreams on 127.0.0.1, each through a hostname target with its own A record. */
const recordsFor = (ports: number[], priority = 0): DnsRecords => ({
  srv: ports.map((p) => srv(p, { priority })),
  a: ports.map((p) => ({ name: `h${p}.web.test`, ip: '127.0.0.1' })),
})
const portOf = (url: string) => Number(new URL(url).port)

describe('dns records (pure)', () => {
  it('uses only the lowest priority group and drops "." targets (RFC 2782)', () => {
    const r = (name: string, priority: number) => ({ name, port: 1, priority, weight: 1 })
    assert.deepEqual(lowestPriorityGroup([r('a', 2), r('b', 1), r('c', 1)]).map((x) => x.name), ['b', 'c'])
    assert.deepEqual(lowestPriorityGroup([r('.', 0), r('a', 5)]).map((x) => x.name), ['a'])
    assert.deepEqual(lowestPriorityGroup([r('', 0)]), [])
  })
  it('clamps weights, TTLs; formats URLs; merges duplicates', () => {
    assert.deepEqual([0, 1, 70, 65535].map(srvWeight), [1, 1, 70, 1000])
    assert.deepEqual([undefined, 0, 5, 600].map((t) => refreshDelay(t, 1000, 60_000)), [1000, 1000, 5000, 60_000])
    assert.equal(upstreamUrl('http', '::1', 80), 'http://[::1]:80')
    assert.equal(upstreamUrl('https', 'web-1.node.consul.', 8443), 'https://web-1.node.consul:8443')
    const e = (url: string, weight: number) => ({ url, weight, labels: {} })
    assert.deepEqual(mergeByUrl([e('http://b:1', 1), e('http://a:1', 1), e('http://b:1', 5)]), [e('http://a:1', 1), e('http://b:1', 5)])
  })
})

discoveryContract('dns (SRV via dnsmasq)', async () => {
  const ports = new Set([7100])
  const d = await startDnsmasq(recordsFor([...ports]))
  return {
    plugin: dns({ name: NAME, servers: [`127.0.0.1:${d.port}`], minTtl: '200ms' }),
    mutate: {
      add: async (url) => (ports.add(portOf(url)), d.restart(recordsFor([...ports]))),
      remove: async (url) => (ports.delete(portOf(url)), d.restart(recordsFor([...ports]))),
      corrupt: () => d.stop(),
    },
    cleanup: () => d.stop(),
  }
})

describe('dns discovery', () => {
  it('validates its options at the factory call, naming the field', () => {
    assert.throws(() => assertValidPlugin(dns({ name: 'api.test', type: 'A' })), /dns\(\): port: required for type "A"/)
    assert.throws(() => assertValidPlugin(dns({ name: NAME, port: 80 })), /dns\(\): port: not allowed with type "SRV"/)
    assert.throws(() => assertValidPlugin(dns({ name: NAME, servers: ['dns.example'] })), /dns\(\): servers\[0\]: expected a DNS server/)
    assert.throws(() => assertValidPlugin(dns({ name: NAME, minTtl: '10s', maxTtl: '1s' })), /dns\(\): maxTtl: must not be shorter than minTtl/)
  })

  it('turns SRV records into upstreams: ports, weights, priority label, targets resolved or kept', async (t) => {
    const d = await startDnsmasq({
      srv: [srv(8001, { weight: 5 }), srv(8002, { target: '127.0.0.2', weight: 0 })],
      a: [{ name: 'h8001.web.test', ip: '127.0.0.1' }],
    })
    t.after(() => d.stop())
    const servers = [`127.0.0.1:${d.port}`]
    const resolved = await runPlugin(dns({ name: NAME, servers }), 'web')
    const kept = await runPlugin(dns({ name: NAME, servers, resolveTargets: false }), 'web')
    ;[resolved, kept].forEach((r) => r.abort())
    assert.deepEqual(resolved.emits[0]!.pools.web, [
      { url: 'http://127.0.0.1:8001', weight: 5, labels: { priority: '0', target: 'h8001.web.test' } },
      { url: 'http://127.0.0.2:8002', weight: 1, labels: { priority: '0', target: '127.0.0.2' } },
    ])
    assert.deepEqual(kept.current('web'), ['http://127.0.0.2:8002', 'http://h8001.web.test:8001'])
  })

  it('A and AAAA records with the given port', async (t) => {
    const d = await startDnsmasq({ a: [{ name: 'api.test', ip: '127.0.0.3' }, { name: 'api.test', ip: '127.0.0.4' }, { name: 'v6.test', ip: '::1' }] })
    t.after(() => d.stop())
    const servers = [`127.0.0.1:${d.port}`]
    const a = await runPlugin(dns({ name: 'api.test', type: 'A', port: 9000, servers }), 'api')
    const aaaa = await runPlugin(dns({ name: 'v6.test', type: 'AAAA', port: 9000, scheme: 'https', servers }), 'api')
    ;[a, aaaa].forEach((r) => r.abort())
    assert.deepEqual(a.current('api'), ['http://127.0.0.3:9000', 'http://127.0.0.4:9000'])
    assert.deepEqual(aaaa.current('api'), ['https://[::1]:9000'])
  })

  it('uses the lowest priority group; the next one takes over when it leaves DNS', async (t) => {
    const d = await startDnsmasq({ srv: [...recordsFor([8001, 8002], 1).srv!, ...recordsFor([8003], 2).srv!], a: recordsFor([8001, 8002, 8003]).a })
    t.after(() => d.stop())
    const run = await runPlugin(dns({ name: NAME, servers: [`127.0.0.1:${d.port}`], minTtl: '200ms' }), 'web')
    t.after(() => run.abort())
    assert.deepEqual(run.current('web'), ['http://127.0.0.1:8001', 'http://127.0.0.1:8002'])
    await d.restart(recordsFor([8003], 2))
    await run.until('web', (u) => u.join() === 'http://127.0.0.1:8003', 5000, 'priority 2 group') // a query lost in the restart waits its 2 s timeout
  })

  it('an SRV target "." is a real empty answer: the pool empties at once', async (t) => {
    const d = await startDnsmasq(recordsFor([8001]))
    t.after(() => d.stop())
    const run = await runPlugin(dns({ name: NAME, servers: [`127.0.0.1:${d.port}`], minTtl: '200ms' }), 'web')
    t.after(() => run.abort())
    await d.restart({ srv: [srv(0, { target: '' })] })
    await run.until('web', (u) => u.length === 0, 5000, 'empty pool')
  })

  it('keeps the last answer while the resolver is down, within grace; empties the pool after it', async (t) => {
    const d = await startDnsmasq(recordsFor([8001]))
    t.after(() => d.stop())
    const servers = [`127.0.0.1:${d.port}`]
    const patient = await runPlugin(dns({ name: NAME, servers, minTtl: '100ms' }), 'web')
    const brief = await runPlugin(dns({ name: NAME, servers, minTtl: '100ms', grace: '700ms' }), 'web')
    t.after(() => [patient, brief].forEach((r) => r.abort()))
    await d.stop()
    await sleep(400)
    for (const r of [patient, brief]) assert.deepEqual(r.current('web'), ['http://127.0.0.1:8001'], 'kept within grace')
    assert.match(patient.logs.find((l) => l.level === 'warn')!.msg, /lookup failed \(ECONNREFUSED\); keeping the last answer for up to 300000ms/)
    await brief.until('web', (u) => u.length === 0, 1500, 'empty after grace')
    assert.match(brief.logs.find((l) => l.level === 'error')!.msg, /after the 700ms grace; the pool is now empty/)
    assert.deepEqual(patient.current('web'), ['http://127.0.0.1:8001'])

    await d.restart(recordsFor([8001, 8002]))
    for (const r of [patient, brief]) await r.until('web', (u) => u.length === 2, 5000, 'recovery')
  })
})

describe('dns discovery: refresh by TTL', () => {
  it('re-queries when the answer expires (SRV and target TTLs, A TTLs), clamped to [minTtl, maxTtl]', async (t) => {
    // SRV and its target live 2 s (--local-ttl); an A name 1 s; a third name 0 s, clamped up to minTtl.
    const d = await startDnsmasq({
      localTtl: 2,
      srv: [srv(8001)],
      a: [{ name: 'h8001.web.test', ip: '127.0.0.1' }, { name: 'one.test', ip: '127.0.0.5', ttl: 1 }, { name: 'zero.test', ip: '127.0.0.6', ttl: 0 }],
    })
    t.after(() => d.stop())
    const servers = [`127.0.0.1:${d.port}`]
    const o = { servers, minTtl: '300ms', maxTtl: '10s' }
    const runs = [
      await runPlugin(dns({ name: NAME, ...o }), 'web'),
      await runPlugin(dns({ name: 'one.test', type: 'A', port: 80, ...o }), 'web'),
      await runPlugin(dns({ name: 'zero.test', type: 'A', port: 80, ...o }), 'web'),
    ]
    t.after(() => runs.forEach((r) => r.abort()))
    await sleep(2500)
    const counts = { srv: d.queries('SRV', NAME), target: d.queries('A', 'h8001.web.test'), one: d.queries('A', 'one.test'), zero: d.queries('A', 'zero.test') }
    console.log(`# queries in 2.5 s: ${JSON.stringify(counts)}`)
    assert.equal(counts.srv, 2, 'SRV (TTL 2 s): at start and once expired')
    assert.equal(counts.target, 2, 'its target with it')
    assert.ok(counts.one >= 2 && counts.one <= 3, `A with TTL 1 s: ${counts.one} queries`)
    assert.ok(counts.zero >= 6 && counts.zero <= 10, `A with TTL 0: every minTtl (300ms), ${counts.zero} queries`)
    assert.deepEqual(runs[0]!.current('web'), ['http://127.0.0.1:8001'], 'the SRV answer read from the wire')
  })
})

describe('dns discovery end to end', () => {
  it('a gateway follows SRV records: a dropped upstream gets no traffic, an added one does, no restart', async (t) => {
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((n) => startUpstream(echo(n))))
    const d = await startDnsmasq(recordsFor([a!.port, b!.port]))
    const gw = await startGateway({
      pools: { web: { discovery: dns({ name: NAME, servers: [`127.0.0.1:${d.port}`], minTtl: '250ms' }) } },
      routes: [{ path: '/*', pool: 'web' }],
    })
    t.after(async () => (await gw.stop(), await d.stop(), await Promise.all([a, b, c].map((u) => u!.close()))))
    const hits = async (n: number) => {
      const names: string[] = []
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${gw.url}/x`)
        assert.equal(res.status, 200)
        names.push(((await res.json()) as { name: string }).name)
      }
      return names
    }
    assert.deepEqual(new Set(await hits(10)), new Set(['a', 'b']))

    // A query in flight when dnsmasq stops gets no answer: the plugin waits its timeout (2 s, two
    // tries) before the next one. So wait for the pool to change, bounded, rather than a fixed time.
    const poolIs = (ports: number[]) => async () => {
      const want = ports.map((p) => `http://127.0.0.1:${p}`).sort().join()
      for (const t0 = Date.now(); Date.now() - t0 < 10_000; await sleep(50)) {
        if (gw.gateway.pool('web')!.upstreams.map((u) => u.url.origin).sort().join() === want) return
      }
      assert.fail(`pool web is not ${want} after 10 s`)
    }
    await d.restart(recordsFor([a!.port]))
    await poolIs([a!.port])()
    const seenByB = b!.seen.length
    assert.deepEqual(new Set(await hits(20)), new Set(['a']))
    assert.equal(b!.seen.length, seenByB, 'no request may reach the dropped upstream')

    await d.restart(recordsFor([a!.port, c!.port]))
    await poolIs([a!.port, c!.port])()
    const names = await hits(20)
    assert.ok(names.filter((n) => n === 'c').length >= 5, `the added upstream takes traffic: ${names}`)
  })
})
