// Pure parts of a release: which version a request goes to (assign.ts, version-table.ts) and the
// canary's verdict (analysis.ts), as table tests with injected randomness.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { releaseSchema } from '../../core/config/release-schema.ts'
import { assignVersion } from '../../core/release/assign.ts'
import { buildVersionTable } from '../../core/release/version-table.ts'
import { analyse } from '../../core/release/analysis.ts'
import { MeasureWindow } from '../../core/release/window.ts'
import { UpstreamRuntime } from '../../core/pools/upstream-state.ts'

const up = (id: string, version?: string) => new UpstreamRuntime({ id, url: new URL(`http://127.0.0.1:${1000 + id.length}/`), weight: 1, labels: version ? { version } : {} })
const ups = [up('a', 'v1'), up('bb', 'v1'), up('ccc', 'v2'), up('dddd')]
const ctx = (over: { ip?: string; headers?: Record<string, string>; cookies?: Record<string, string> } = {}) => ({
  clientIp: over.ip ?? '10.0.0.1',
  header: (n: string) => over.headers?.[n],
  cookie: (n: string) => over.cookies?.[n],
})

test('the version table: weighted versions in order, published upstreams only, all before any weight', () => {
  const t = buildVersionTable(ups, 'version', new Map([['v2', 20], ['v1', 80]]))
  assert.deepEqual(t.weighted.map((v) => [v.name, v.weight, v.upstreams.map((u) => u.id)]), [['v2', 20, ['ccc']], ['v1', 80, ['a', 'bb']]])
  assert.deepEqual(t.published.map((u) => u.id), ['ccc', 'a', 'bb'], 'the unlabelled upstream belongs to no published version')
  assert.deepEqual(buildVersionTable(ups, 'version', new Map()).published.map((u) => u.id), ['a', 'bb', 'ccc', 'dddd'])
  const none = buildVersionTable([ups[0]!, ups[1]!], 'version', new Map([['v2', 100]]))
  assert.equal(none.weighted.length, 0, 'a weighted version without available upstreams takes nothing')
})

test('assignment: pinned, override, cookie, hash, weights', () => {
  const table = buildVersionTable(ups, 'version', new Map([['v2', 20], ['v1', 80]]))
  const s = (input: object) => releaseSchema.parse(input)
  const plain = s({})
  assert.equal(assignVersion(table, plain, ctx(), undefined, () => 0.1).version, 'v2')
  assert.equal(assignVersion(table, plain, ctx(), undefined, () => 0.2).version, 'v1')
  assert.equal(assignVersion(table, plain, ctx({ headers: { 'x-gatehouse-version': 'v2' } }), undefined, () => 0.9).version, 'v2')
  assert.equal(assignVersion(table, s({ overrides: false }), ctx({ headers: { 'x-gatehouse-version': 'v2' } }), undefined, () => 0.9).version, 'v1')
  assert.equal(assignVersion(table, plain, ctx({ headers: { 'x-gatehouse-version': 'v9' } }), undefined, () => 0.9).version, 'v1', 'unknown: weighed')
  assert.equal(assignVersion(table, plain, ctx(), { pinned: 'v2' }, () => 0.9).version, 'v2')
  assert.equal(assignVersion(table, plain, ctx(), { pinned: 'v9' }, () => 0.9).version, 'v1')
  const sticky = s({ sticky: { cookie: 'rel' } })
  assert.deepEqual(assignVersion(table, sticky, ctx({ cookies: { rel: 'v2' } }), undefined, () => 0.9), { version: 'v2' })
  assert.deepEqual(assignVersion(table, sticky, ctx({ cookies: { rel: 'v9' } }), undefined, () => 0.9), { version: 'v1', setCookie: 'rel=v1; Path=/; HttpOnly; SameSite=Lax' })
  assert.equal(assignVersion(table, sticky, ctx({ cookies: { rel: '%E0%A4%A' } }), undefined, () => 0.1).version, 'v2', 'a bad cookie is weighed')
})

test('hash stickiness: stable per client, the share close to the weight, and clients only ever move toward the new version as it grows', () => {
  const byIp = releaseSchema.parse({ sticky: { hash: 'ip' } })
  const clients = Array.from({ length: 2000 }, (_, i) => `10.${i >> 8}.${i & 255}.7`)
  const at = (w: number) => {
    const table = buildVersionTable(ups, 'version', new Map([['v2', w], ['v1', 100 - w]]))
    return clients.map((ip) => assignVersion(table, byIp, ctx({ ip }), undefined, () => { throw new Error('no randomness') }).version)
  }
  const a = at(20), b = at(50)
  const share = a.filter((v) => v === 'v2').length / clients.length
  assert.ok(Math.abs(share - 0.2) < 0.04, `share ${share}`)
  assert.ok(a.every((v, i) => v !== 'v2' || b[i] === 'v2'), 'a client on v2 at 20 % is on v2 at 50 %')
  const byHeader = releaseSchema.parse({ sticky: { hash: 'header:x-user' } })
  const t = buildVersionTable(ups, 'version', new Map([['v2', 50], ['v1', 50]]))
  const one = assignVersion(t, byHeader, ctx({ ip: '1.1.1.1', headers: { 'x-user': 'alice' } })).version
  assert.equal(assignVersion(t, byHeader, ctx({ ip: '2.2.2.2', headers: { 'x-user': 'alice' } })).version, one)
  // By consumer (jwt()'s subject): the same user from anywhere; without one, by address.
  const byConsumer = releaseSchema.parse({ sticky: { hash: 'consumer' } })
  const users = Array.from({ length: 400 }, (_, i) => `user-${i}`)
  const from = (ip: string) => users.map((consumer) => assignVersion(t, byConsumer, ctx({ ip }), { consumer }).version)
  assert.deepEqual(from('1.1.1.1'), from('2.2.2.2'))
  assert.deepEqual(new Set(from('1.1.1.1')), new Set(['v1', 'v2']))
  assert.equal(assignVersion(t, byConsumer, ctx({ ip: '3.3.3.3' })).version, assignVersion(t, byIp, ctx({ ip: '3.3.3.3' })).version)
})

test('analysis: errors fail as soon as the canary has minRequests; latency against the stable p99 with slack', () => {
  const a = releaseSchema.parse({ analysis: { minRequests: 100, maxErrorRate: '2%', maxLatencyRatio: 1.5, latencySlack: '5ms' } }).analysis
  assert.equal(a.maxErrorRate, 0.02)
  const w = (n: number, errors: number, ms: number | ((i: number) => number)) => {
    const m = new MeasureWindow()
    for (let i = 0; i < n; i++) m.add(i < errors, typeof ms === 'number' ? ms : ms(i))
    return m
  }
  assert.equal(analyse(w(100, 3, 1), w(0, 0, 1), a).result, 'fail', 'errors need no stable side')
  assert.equal(analyse(w(99, 3, 1), w(500, 0, 1), a).result, 'wait')
  assert.equal(analyse(w(100, 2, 1), w(50, 0, 1), a).result, 'wait')
  assert.equal(analyse(w(100, 2, 1), w(100, 0, 1), a).result, 'pass')
  assert.equal(analyse(w(100, 0, 4), w(100, 0, 1), a).result, 'pass', 'within the slack')
  assert.equal(analyse(w(100, 0, 40), w(100, 0, 20), a).result, 'fail')
  assert.equal(analyse(w(100, 0, 29), w(100, 0, 20), a).result, 'pass')
  assert.match(analyse(w(100, 0, 40), w(100, 0, 20), a).reason, /^p99 40 ms above 30 ms \(stable 20 ms × 1\.5\)$/)
  assert.throws(() => releaseSchema.parse({ steps: [50, 20, 100] }), /rising/)
  assert.throws(() => releaseSchema.parse({ steps: [10, 50] }), /last step to be 100/)
  assert.throws(() => releaseSchema.parse({ analysis: { maxErrorRate: '1 percent' } }), /percentage/)
})

test('config errors name the release field', async () => {
  const { validateConfig } = await import('../../core/config/validate.ts')
  try {
    validateConfig({ pools: { app: { upstreams: [], release: { strategy: 'rainbow' as 'manual', steps: [10, 50], mirror: { percent: 120 } } } } })
    assert.fail('accepted')
  } catch (err) {
    const text = (err as { problems: string[] }).problems.join('\n')
    assert.match(text, /pools\.app\.release\.strategy/)
    assert.match(text, /pools\.app\.release\.steps: expected the last step to be 100/)
    assert.match(text, /pools\.app\.release\.mirror\.percent/)
  }
})
