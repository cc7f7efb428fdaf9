// Total timeout, a bounded wait for an available upstream, and slow start of new upstreams.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import type { DiscoveryPlugin, DiscoverySnapshot } from '../../core/types.ts'
import { weightedRoundRobin } from '../../plugins/weighted-round-robin/index.ts'
import { echo, startUpstream } from '../support/http-upstream.ts'
import { startGateway } from '../support/gateway.ts'

const closers: (() => Promise<unknown>)[] = []
after(async () => {
  for (const c of closers.reverse()) await c()
})
async function gateway(input: Parameters<typeof startGateway>[0]) {
  const gw = await startGateway(input)
  closers.push(() => gw.stop())
  return gw
}
function handDriven(): DiscoveryPlugin & { push(s: DiscoverySnapshot): void } {
  let emit: ((s: DiscoverySnapshot) => void) | undefined
  return { kind: 'discovery', name: 'hand', start: (ctx) => void ((emit = ctx.emit), emit({ pools: { [ctx.pool!]: [] } })), push: (s) => emit!(s) }
}

test('total timeout: 504 before the head; a response that runs past it is cut', async () => {
  const hang = await startUpstream(() => {})
  const trickle = await startUpstream((_req, res) => {
    res.writeHead(200)
    const t = setInterval(() => res.write('.'), 50)
    res.on('close', () => clearInterval(t))
  })
  closers.push(() => hang.close(), () => trickle.close())
  const gw = await gateway({
    pools: { hang: { upstreams: [hang.url], timeouts: { firstByte: '10s', total: '300ms' } }, trickle: { upstreams: [trickle.url], timeouts: { total: '400ms' } } },
    routes: [{ path: '/hang', pool: 'hang' }, { path: '/trickle', pool: 'trickle' }],
  })
  const t0 = Date.now()
  const res = await fetch(`${gw.url}/hang`)
  assert.equal(res.status, 504)
  assert.match(await res.text(), /total timeout/)
  assert.ok(Date.now() - t0 < 1500)
  const cut = await new Promise<{ ms: number; error: boolean }>((resolve) => {
    const t1 = Date.now()
    request(`${gw.url}/trickle`, (r) => {
      r.on('data', () => {})
      r.on('end', () => resolve({ ms: Date.now() - t1, error: false }))
      r.on('error', () => resolve({ ms: Date.now() - t1, error: true }))
    }).end()
  })
  assert.ok(cut.error && cut.ms < 1500, `trickle ended after ${cut.ms} ms, error=${cut.error}`)
})

test('queue: a request waits for an upstream to appear; a full or disabled queue answers 503 at once', async () => {
  const up = await startUpstream(echo('late'))
  closers.push(() => up.close())
  const waiting = handDriven()
  const off = handDriven()
  const gw = await gateway({
    pools: { wait: { discovery: waiting, queue: { timeout: '3s', max: 1 } }, off: { discovery: off } },
    routes: [{ path: '/wait', pool: 'wait' }, { path: '/off', pool: 'off' }],
  })
  const t0 = Date.now()
  const first = fetch(`${gw.url}/wait`)
  await new Promise((r) => setTimeout(r, 100))
  const second = await fetch(`${gw.url}/wait`)
  assert.equal(second.status, 503, 'a second request was queued beyond max 1')
  setTimeout(() => waiting.push({ pools: { wait: [up.url] } }), 400)
  const res = await first
  assert.equal(res.status, 200)
  assert.ok(Date.now() - t0 >= 400, 'answered before any upstream existed')
  const t1 = Date.now()
  assert.equal((await fetch(`${gw.url}/off`)).status, 503)
  assert.ok(Date.now() - t1 < 500)
})

test('slow start: a new upstream gets a small share at first, its full share later', async () => {
  const ups = await Promise.all(['a', 'b', 'c'].map((n) => startUpstream(echo(n))))
  closers.push(...ups.map((u) => () => u.close()))
  const src = handDriven()
  const gw = await gateway({ pools: { web: { discovery: src, balancer: weightedRoundRobin(), slowStart: '1500ms' } }, routes: [{ pool: 'web' }] })
  src.push({ pools: { web: [ups[0]!.url, ups[1]!.url] } })
  await fetch(gw.url)
  src.push({ pools: { web: ups.map((u) => u.url) } })
  const share = async (n: number) => {
    let c = 0
    for (let i = 0; i < n; i++) if ((await fetch(gw.url)).headers.get('x-upstream') === 'c') c++
    return c / n
  }
  const early = await share(40)
  await new Promise((r) => setTimeout(r, 1600))
  const late = await share(60)
  assert.ok(early < 0.15, `new upstream took ${(early * 100).toFixed(0)} % at once`)
  assert.ok(late > 0.28 && late < 0.4, `new upstream took ${(late * 100).toFixed(0)} % after the ramp`)
})
