// rate-limit with the Redis store against a real redis-server: buckets shared by two gateways,
// and what happens when Redis is stopped, paused or never there (fail open / fail closed, logged,
// answered within the store timeout), and that limiting resumes when it is back.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { rateLimit, type RateLimitOptions } from '../../plugins/rate-limit/index.ts'
import type { Logger } from '../../core/types.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { startGateway } from '../support/gateway.ts'
import { freePort } from '../support/ports.ts'
import { startRedis, type Redis } from '../support/redis.ts'

const closers: (() => unknown)[] = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

let up: Upstream
let redis: Redis
before(async () => {
  up = await startUpstream(echo('api'))
  closers.push(() => up.close())
  redis = await startRedis()
  closers.push(() => redis.stop())
})

function capture(): Logger & { lines: string[] } {
  const lines: string[] = []
  const push = (m: string) => void lines.push(m)
  return { lines, info: push, warn: push, error: push }
}

/** `log`: the gateway's logger, where the plugin's warnings go (ctx.log). */
async function gateway(o: RateLimitOptions, log: Logger = capture()): Promise<string> {
  const gw = await startGateway({ pools: { api: { upstreams: [up.url] } }, routes: [{ path: '/*', pool: 'api', use: [rateLimit(o)] }] }, { log })
  closers.push(() => gw.stop())
  return gw.url
}

async function timed(url: string) {
  const t0 = Date.now()
  const res = await fetch(url)
  return { status: res.status, body: await res.text(), headers: res.headers, ms: Date.now() - t0 }
}
const statuses = async (url: string, n: number) => {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push((await timed(url)).status)
  return out
}

test('two gateways share one bucket per client through Redis', async () => {
  const o: RateLimitOptions = { rate: '4/1m', store: { redis: redis.url, prefix: 'test1:' } }
  const [a, b] = [await gateway(o), await gateway(o)]
  assert.deepEqual([...(await statuses(a, 2)), ...(await statuses(b, 2))], [200, 200, 200, 200])
  const refused = await timed(b)
  assert.equal(refused.status, 429)
  assert.equal(refused.headers.get('retry-after'), '15')
  assert.equal((await timed(a)).status, 429)
  const keys = (await redis.cli(['--scan', '--pattern', 'test1:*'])).stdout.trim().split('\n')
  assert.deepEqual(keys, ['test1:4/1m:4:ip:ip:127.0.0.1'])
  const ttl = Number((await redis.cli(['PTTL', keys[0]!])).stdout)
  assert.ok(ttl > 0 && ttl <= 61_000, `buckets expire (pttl ${ttl})`)
})

test('Redis stopped: onStoreError "allow" lets requests through, "deny" answers 503; logged; never slow; resumes when Redis is back', async () => {
  const openLog = capture()
  const closedLog = capture()
  const open = await gateway({ rate: '2/1m', store: { redis: redis.url, prefix: 'test2o:', timeout: '200ms' }, onStoreError: 'allow' }, openLog)
  const closed = await gateway({ rate: '2/1m', store: { redis: redis.url, prefix: 'test2c:', timeout: '200ms' }, onStoreError: 'deny' }, closedLog)
  assert.deepEqual(await statuses(open, 3), [200, 200, 429], 'limiting works while Redis is up')
  assert.deepEqual(await statuses(closed, 1), [200])

  await redis.stop()
  for (let i = 0; i < 5; i++) {
    const o = await timed(open)
    assert.equal(o.status, 200, 'fail open')
    assert.ok(o.ms < 1000, `fail open took ${o.ms} ms`)
    const c = await timed(closed)
    assert.equal(c.status, 503, 'fail closed')
    assert.equal(c.body, 'gatehouse: rate limit unavailable\n')
    assert.ok(c.ms < 1000, `fail closed took ${c.ms} ms`)
  }
  assert.ok(openLog.lines.some((l) => /store failed .*allowed \(fail open\)/.test(l)), openLog.lines.join('\n'))
  assert.ok(closedLog.lines.some((l) => /store failed .*refused with 503 \(fail closed\)/.test(l)), closedLog.lines.join('\n'))
  const pluginLines = openLog.lines.filter((l) => l.startsWith('rateLimit: ')) // the gateway's own lines (listening, pool) share the log
  assert.ok(pluginLines.length > 0 && pluginLines.length < 10, `outage logging is throttled (${pluginLines.length} lines)`)

  await redis.start() // empty again: every bucket is new
  let resumed: number[] = []
  for (let i = 0; i < 50 && resumed.at(-1) !== 429; i++) {
    await new Promise((r) => setTimeout(r, 100))
    resumed = [...resumed, (await timed(open)).status].slice(-3)
  }
  assert.deepEqual(resumed, [200, 200, 429], 'the client reconnected and limits again')
  assert.equal((await timed(closed)).status, 200)
})

test('Redis paused (slower than the timeout): answered within the deadline, per onStoreError', async () => {
  const log = capture()
  const open = await gateway({ rate: '100/1m', store: { redis: redis.url, prefix: 'test3o:', timeout: '150ms' }, onStoreError: 'allow' }, log)
  const closed = await gateway({ rate: '100/1m', store: { redis: redis.url, prefix: 'test3c:', timeout: '150ms' }, onStoreError: 'deny' }, log)
  assert.equal((await timed(open)).status, 200)
  assert.equal((await timed(closed)).status, 200)
  assert.equal((await redis.cli(['CLIENT', 'PAUSE', '1500', 'ALL'])).stdout.trim(), 'OK')
  const [o, c] = await Promise.all([timed(open), timed(closed)])
  assert.equal(o.status, 200)
  assert.equal(c.status, 503)
  assert.ok(o.ms < 800 && c.ms < 800, `took ${o.ms} / ${c.ms} ms with Redis paused for 1.5 s`)
  assert.ok(log.lines.some((l) => /did not answer|timeout/i.test(l)), log.lines.join('\n'))
  await new Promise((r) => setTimeout(r, 1600))
})

test('Redis never reachable: the first request waits at most the timeout, later ones fail at once', async () => {
  const nobody = `redis://127.0.0.1:${await freePort()}`
  const open = await gateway({ rate: '1/1m', store: { redis: nobody, timeout: '300ms' } }, capture())
  const closed = await gateway({ rate: '1/1m', store: { redis: nobody, timeout: '300ms' }, onStoreError: 'deny' }, capture())
  for (let i = 0; i < 3; i++) {
    const o = await timed(open)
    const c = await timed(closed)
    assert.deepEqual([o.status, c.status], [200, 503])
    assert.ok(o.ms < 1000 && c.ms < 1000, `took ${o.ms} / ${c.ms} ms`)
  }
})
