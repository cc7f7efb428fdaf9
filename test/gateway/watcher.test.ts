// The watcher: one path from snapshots to the swapped state. Real config validation, store and
// route table; no listener (the reload tests cover the served side).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Watcher } from '../../core/gateway/watcher.ts'
import { UpstreamStore } from '../../core/pools/upstream-store.ts'
import { validateConfig } from '../../core/config/validate.ts'
import { hash } from '../../plugins/hash/index.ts'
import type { GatewayConfigInput } from '../../core/config/schema.ts'
import { recordingLogger } from '../support/gateway.ts'

const A = 'http://127.0.0.1:7001'
const B = 'http://127.0.0.1:7002'
const hand = { kind: 'discovery' as const, name: 'hand', start() {} }

function setup(input: GatewayConfigInput = { discovery: [hand], pools: { web: { upstreams: [A] } }, routes: [{ host: 'web.test', pool: 'web' }] }) {
  const log = recordingLogger()
  const watcher = new Watcher(validateConfig(input), { log, store: new UpstreamStore(() => {}), middleware: (m) => m as never })
  const match = (host: string) => watcher.current().routes.match({ host, method: 'GET', path: '/', header: () => undefined })?.payload.pool
  return { log, watcher, match, revision: () => watcher.current().revision }
}

test('unchanged snapshots are dropped: no swap, no log, however often they come', () => {
  const { watcher, log, revision } = setup()
  watcher.push('src', { pools: { app: [B] }, routes: [{ host: 'app.test', pool: 'app' }] })
  const after = revision()
  const lines = log.lines.length
  for (let i = 0; i < 5; i++) watcher.push('src', { pools: { app: [B] }, routes: [{ host: 'app.test', pool: 'app' }] }) // equal, new objects
  assert.equal(revision(), after)
  assert.equal(log.lines.length, lines, log.lines.slice(lines).join('\n'))
})

test('a bad snapshot is rejected whole, naming the field; the last good one keeps serving', () => {
  const { watcher, log, match, revision } = setup()
  watcher.push('src', { pools: { app: [B] }, routes: [{ host: 'app.test', pool: 'app' }] })
  const good = watcher.current()
  watcher.push('src', { pools: { app: ['not a url'], other: [A] }, routes: [] })
  assert.equal(watcher.current(), good, 'no swap')
  assert.equal(revision(), good.revision)
  assert.deepEqual(good.pools.get('app')!.upstreams.map((u) => u.url.origin), [B])
  assert.equal(match('app.test'), 'app')
  const error = log.lines.find((l) => l.startsWith('error: discovery src: snapshot rejected'))
  assert.match(error ?? '', /pools\.app\[0\]/, log.lines.join('\n'))
  watcher.push('src', { pools: { app: ['not a url'], other: [A] }, routes: [] })
  assert.equal(log.lines.filter((l) => l.includes('snapshot rejected')).length, 1, 'the same bad snapshot again: dropped, not logged again')
})

test('one swap per change: pools and routes of one snapshot swap together; a batch swaps once', async () => {
  const { watcher, match, revision } = setup()
  const r0 = revision()
  watcher.push('src', { pools: { app: [B] }, routes: [{ host: 'app.test', pool: 'app' }] })
  assert.equal(revision(), r0 + 1)
  assert.equal(match('app.test'), 'app')
  assert.equal(watcher.current().pools.get('app')!.upstreams.length, 1, 'the route and its pool arrived in the same state')
  await watcher.batch(async () => {
    watcher.push('src', { pools: { app: [A, B] } })
    watcher.push('other', { pools: { web: [B] } })
    watcher.useConfig(validateConfig({ discovery: [hand], pools: { web: { upstreams: [A], balancer: hash({ on: 'client-ip' }) } }, routes: [{ host: 'new.test', pool: 'web' }] }))
    assert.equal(revision(), r0 + 1, 'held while the batch runs')
  })
  assert.equal(revision(), r0 + 2)
  const state = watcher.current()
  assert.equal(state.generation, 2)
  assert.equal(match('new.test'), 'web')
  assert.equal(match('web.test'), undefined, 'the old config route is gone')
  assert.equal(state.pools.get('web')!.settings.balancer.name, 'hash')
  assert.equal(state.pools.get('app')!.upstreams.length, 2)
})

test('upstream state outlives states and reloads, by pool and id', () => {
  const { watcher } = setup()
  // Seeded as a config source would: the config's static upstreams arrive as a snapshot.
  watcher.push('staticUpstreams@pools.web', { pools: { web: [A] } })
  const seeded = watcher.current().pools.get('web')!.upstreams[0]!
  seeded.setHealthy(false)
  seeded.inflight = 3
  watcher.push('src', { pools: {}, routes: [{ host: 'x.test', pool: 'web' }] }) // a route change: a new state
  watcher.useConfig(validateConfig({ discovery: [hand], pools: { web: { upstreams: [A], balancer: hash({ on: 'client-ip' }) } }, routes: [{ pool: 'web' }] }))
  const after = watcher.current().pools.get('web')!
  assert.equal(after.upstreams[0], seeded, 'the same UpstreamRuntime')
  assert.equal(after.upstreams[0]!.healthy, false)
  assert.equal(after.upstreams[0]!.inflight, 3)
  assert.equal(after.available().length, 0)
})

test('a pool nobody reports keeps its discovered route out, with an error naming the field, until a source reports it; an emptied pool stays known', () => {
  const { watcher, log, match } = setup()
  watcher.push('src', { pools: {}, routes: [{ host: 'ghost.test', pool: 'ghost' }] })
  assert.equal(match('ghost.test'), undefined)
  assert.equal(log.lines.filter((l) => /route "ghost\.test\/\*": pool: no pool named "ghost"/.test(l)).length, 1)
  watcher.push('pools', { pools: { ghost: [B] } })
  assert.equal(match('ghost.test'), 'ghost')
  watcher.push('pools', { pools: {} })
  assert.equal(match('ghost.test'), 'ghost', 'a pool once reported stays known (503, not 404)')
  assert.equal(watcher.current().pools.get('ghost')!.upstreams.length, 0)
})

test('a pool that a newer state replaced picks from the newest members (a queued request, a retry)', () => {
  const { watcher } = setup()
  watcher.push('src', { pools: { app: [] }, routes: [{ host: 'app.test', pool: 'app' }] })
  const old = watcher.current().pools.get('app')!
  assert.equal(old.pick({ clientIp: '', header: () => undefined, cookie: () => undefined }), undefined)
  watcher.push('src', { pools: { app: [B] }, routes: [{ host: 'app.test', pool: 'app' }] })
  assert.equal(old.pick({ clientIp: '', header: () => undefined, cookie: () => undefined })?.url.origin, B)
})
