// rate-limit with the local store through a real gateway: 429s with Retry-After and the IETF
// draft headers, refill, per-key buckets (IP via trusted proxies, header, consumer), the LRU
// bound, and the token-bucket arithmetic as a table.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { rateLimit, type RateLimitOptions } from '../../plugins/rate-limit/index.ts'
import { takeToken, type BucketLimit } from '../../plugins/rate-limit/bucket.ts'
import { localStore } from '../../plugins/rate-limit/local-store.ts'
import { parseRate } from '../../plugins/rate-limit/rate.ts'
import { apiKey, hashApiKey } from '../../plugins/api-key/index.ts'
import { isConfigError } from '../../core/config/errors.ts'
import type { GatewayConfigInput } from '../../core/config/schema.ts'
import type { GatewayMiddleware } from '../../core/types.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import type { RouteMiddleware } from '../../core/plugin/slots.ts'
import { startGateway } from '../support/gateway.ts'

const closers: (() => unknown)[] = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

let up: Upstream
before(async () => {
  up = await startUpstream(echo('api'))
  closers.push(() => up.close())
})

async function gateway(use: RouteMiddleware[], extra: Partial<GatewayConfigInput> = {}): Promise<string> {
  const gw = await startGateway({ pools: { api: { upstreams: [up.url] } }, routes: [{ path: '/*', pool: 'api', use }], ...extra })
  closers.push(() => gw.stop())
  return gw.url
}
const limited = (o: RateLimitOptions) => gateway([rateLimit(o)])

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers })
  return { status: res.status, body: await res.text(), headers: res.headers }
}
const statuses = async (url: string, n: number, headers: Record<string, string> = {}) => {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push((await get(url, headers)).status)
  return out
}

test('over the burst: 429 with Retry-After and RateLimit-* headers; refused requests never reach the upstream', async () => {
  const url = await limited({ rate: '3/1m' })
  const seen = up.seen.length
  assert.deepEqual(await statuses(url, 3), [200, 200, 200])
  const res = await get(url)
  assert.equal(res.status, 429)
  assert.equal(res.body, 'gatehouse: rate limit exceeded\n')
  assert.equal(res.headers.get('retry-after'), '20', 'one token every 20 s')
  assert.equal(res.headers.get('ratelimit-limit'), '3')
  assert.equal(res.headers.get('ratelimit-remaining'), '0')
  assert.equal(res.headers.get('ratelimit-reset'), '20')
  assert.equal(res.headers.get('ratelimit-policy'), '3;w=60')
  assert.equal(up.seen.length, seen + 3)
})

test('tokens refill at the rate; burst caps how many pass at once', async () => {
  const url = await limited({ rate: '2/s', burst: 2 })
  assert.deepEqual(await statuses(url, 3), [200, 200, 429])
  await new Promise((r) => setTimeout(r, 1600)) // 3.2 tokens' worth, capped at the burst of 2
  assert.deepEqual(await statuses(url, 3), [200, 200, 429])
})

test('key "ip" is the client address per trusted proxies: one bucket per client, X-Forwarded-For from others ignored', async () => {
  const url = await gateway([rateLimit({ rate: '2/1m' })], { trustedProxies: ['127.0.0.1'] })
  assert.deepEqual(await statuses(url, 3, { 'x-forwarded-for': '203.0.113.1' }), [200, 200, 429])
  assert.deepEqual(await statuses(url, 2, { 'x-forwarded-for': '203.0.113.2' }), [200, 200], 'another client has its own bucket')

  const untrusting = await limited({ rate: '2/1m' })
  assert.deepEqual(await statuses(untrusting, 1, { 'x-forwarded-for': '203.0.113.3' }), [200])
  assert.deepEqual(await statuses(untrusting, 2, { 'x-forwarded-for': '203.0.113.4' }), [200, 429], 'an untrusted peer cannot pick a fresh bucket')
})

test('key { header }: one bucket per value; a request without the header falls back to its IP', async () => {
  const url = await limited({ rate: '1/1m', key: { header: 'x-tenant' } })
  assert.deepEqual(await statuses(url, 2, { 'x-tenant': 'acme' }), [200, 429])
  assert.deepEqual(await statuses(url, 2, { 'x-tenant': 'globex' }), [200, 429])
  assert.deepEqual(await statuses(url, 2), [200, 429])
  assert.equal((await get(url, { 'x-tenant': 'x'.repeat(500) })).status, 200, 'long keys are hashed, not refused')
})

test('key "consumer": buckets per API-key consumer', async () => {
  const [a, b] = ['key-of-a', 'key-of-b']
  const url = await gateway([
    apiKey({ keys: { [await hashApiKey(a)]: 'team-a', [await hashApiKey(b)]: 'team-b' } }),
    rateLimit({ rate: '2/1m', key: 'consumer' }),
  ])
  assert.deepEqual(await statuses(url, 3, { 'x-api-key': a }), [200, 200, 429])
  assert.deepEqual(await statuses(url, 2, { 'x-api-key': b }), [200, 200])
})

test('RateLimit-* headers of an allowed request are on answers the gateway makes (a later 401 here)', async () => {
  const url = await gateway([rateLimit({ rate: '5/1m' }), apiKey({ keys: { [await hashApiKey('k')]: 'c' } })])
  const res = await get(url)
  assert.equal(res.status, 401)
  assert.equal(res.headers.get('ratelimit-limit'), '5')
  assert.equal(res.headers.get('ratelimit-remaining'), '4')
})

test('RateLimit-* headers on a proxied response', async () => {
  const url = await limited({ rate: '5/1m' })
  const res = await get(url)
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('ratelimit-remaining'), '4')
})

test('token bucket arithmetic', () => {
  const limit: BucketLimit = { capacity: 3, perMs: 1 / 1000 } // 1 token a second, burst 3
  const rows: [string, Parameters<typeof takeToken>[0], number, boolean, number][] = [
    ['a new bucket starts full', undefined, 0, true, 2],
    ['empty → refused', { tokens: 0.5, at: 0 }, 0, false, 0.5],
    ['refills with time', { tokens: 0, at: 0 }, 1500, true, 0.5],
    ['never above capacity', { tokens: 2, at: 0 }, 60_000, true, 2],
    ['a clock going back refills nothing', { tokens: 0.5, at: 1000 }, 0, false, 0.5],
  ]
  for (const [what, state, now, allowed, tokens] of rows) {
    const r = takeToken(state, now, limit)
    assert.equal(r.allowed, allowed, what)
    assert.equal(r.state.tokens, tokens, what)
  }
})

test('local store: bounded LRU; an evicted bucket comes back full', () => {
  let now = 0
  const store = localStore(2, () => now)
  const limit: BucketLimit = { capacity: 1, perMs: 1e-9 }
  assert.equal(store.take('a', limit).allowed, true)
  assert.equal(store.take('a', limit).allowed, false)
  store.take('b', limit)
  assert.equal(store.take('a', limit).allowed, false, 'a was used recently: kept')
  store.take('c', limit) // evicts b, the least recently used
  store.take('d', limit) // evicts a
  now = 1
  assert.equal(store.take('a', limit).allowed, true)
})

test('rates and options are checked at the factory call', () => {
  assert.deepEqual(parseRate('100/1m'), { count: 100, periodMs: 60_000 })
  assert.deepEqual(parseRate('10/s'), { count: 10, periodMs: 1000 })
  assert.deepEqual(parseRate('5 / 2.5s'), { count: 5, periodMs: 2500 })
  for (const bad of ['100', '0/1m', '10/0s', '10/1d', 'ten/s', '-1/s']) assert.equal(parseRate(bad), undefined, bad)
  const fails = (options: unknown, re: RegExp) =>
    assert.throws(() => assertValidPlugin(rateLimit(options as RateLimitOptions)), (err: unknown) => isConfigError(err) && re.test(err.message))
  fails({}, /rateLimit\(\): rate: /)
  fails({ rate: '10/day' }, /rateLimit\(\): rate: expected "<count>\/<duration>"/)
  fails({ rate: '10/s', key: 'user' }, /rateLimit\(\): key: expected "ip", "consumer", "jwt-sub" or \{ header/)
  fails({ rate: '10/s', store: { redis: 'http://127.0.0.1:6379' } }, /rateLimit\(\): store\.redis: expected a redis:\/\//)
  fails({ rate: '10/s', onStoreError: 'maybe' }, /rateLimit\(\): onStoreError/)
  fails({ rate: '10/s', burst: 0 }, /rateLimit\(\): burst/)
})
