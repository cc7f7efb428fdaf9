/**
 * A request the runtime's client refuses to send is the request's fault: 400, no retry, and the
 * upstream is not held to account (outlier detection hears nothing). On Node, undici throws
 * InvalidArgumentError for such a request; middleware that sets a value no client would send is
 * stopped where it sets it.
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { outlierDetection } from '../../plugins/outlier-detection/index.ts'
import { setUpstreamHeader } from '../../core/proxy/upstream-headers.ts'
import type { GatewayContext } from '../../core/types.ts'
import { startGateway } from '../support/gateway.ts'
import { echo, startUpstream } from '../support/http-upstream.ts'

const closers: (() => Promise<unknown>)[] = []
after(async () => {
  for (const close of closers) await close()
})

test('undici refusing the request (InvalidArgumentError): 400, not retried, the upstream stays in the pool', async () => {
  const [a, b] = [await startUpstream(echo('a')), await startUpstream(echo('b'))]
  closers.push(() => a.close(), () => b.close())
  // Bypasses setUpstreamHeader's check, as a hand-written middleware may: U+2713 is no header octet.
  const odd = async (c: GatewayContext, next: () => Promise<void>) => (c.set('upstreamHeaders', { 'x-odd': 'yes \u2713' }), next())
  const gw = await startGateway({
    pools: { web: { upstreams: [a.url, b.url], retries: 1, outlier: outlierDetection({ consecutive: 1, maxEjectedPercent: 100, baseEjection: '60s' }) } },
    routes: [{ path: '/odd', pool: 'web', use: [odd as never] }, { pool: 'web' }],
  })
  closers.push(() => gw.stop())
  const records: { status: number; error?: string; tries: number }[] = []
  gw.gateway.events.on('request', (r) => void records.push({ status: r.status, error: r.error, tries: r.tries }))

  for (let i = 0; i < 4; i++) {
    const res = await fetch(`${gw.url}/odd`)
    assert.equal(res.status, 400, await res.text())
    assert.equal(res.headers.get('x-gatehouse-error'), 'bad-request')
  }
  assert.deepEqual(records.slice(0, 4), Array(4).fill({ status: 400, error: undefined, tries: 1 }), 'one try each, no upstream error')
  assert.equal(a.seen.length + b.seen.length, 0, 'nothing reached an upstream')
  const pool = gw.gateway.pool('web')!
  assert.equal(pool.available().length, 2, 'both upstreams still in the pool')
  const served = new Set<string | null>()
  for (let i = 0; i < 4; i++) served.add((await fetch(gw.url + '/')).headers.get('x-upstream'))
  assert.deepEqual(served, new Set(['a', 'b']))
})

test('setUpstreamHeader refuses what a runtime client would refuse, naming the header', () => {
  const c = { get: () => undefined, set: () => {} } as never
  assert.throws(() => setUpstreamHeader(c, 'x-user', 'caf\u2713'), /header x-user: a value may hold only/)
  assert.throws(() => setUpstreamHeader(c, 'x-user', 'a\x01b'), /header x-user: a value may hold only/)
  assert.throws(() => setUpstreamHeader(c, 'x user', 'a'), /header name "x user": not an HTTP token/)
  assert.doesNotThrow(() => setUpstreamHeader(c, 'x-user', 'J\xfcrgen M\xfcller\tok'))
})
