// The primary → worker feed (core/workers/feed.ts) between two real watchers and upstream stores:
// what a worker serves follows the primary's sources and verdicts, and one that missed a message
// catches up with a sync.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { validateConfig } from '../../core/config/validate.ts'
import { silentLogger as log } from '../../core/log.ts'
import { Watcher } from '../../core/gateway/watcher.ts'
import { UpstreamStore } from '../../core/pools/upstream-store.ts'
import { FeedPublisher, FeedReceiver, type FeedMessage, type UpstreamVerdict } from '../../core/workers/feed.ts'
import { feedTarget } from '../../core/workers/worker.ts'

const config = validateConfig({})

function side() {
  const store = new UpstreamStore(() => {})
  const watcher = new Watcher(config, { log, store, middleware: (m) => m as never })
  return { store, watcher }
}

function verdicts(store: UpstreamStore): UpstreamVerdict[] {
  return store.all().flatMap((m) => m.list().map((u) => ({ pool: m.name, id: u.id, healthy: u.healthy, disabled: u.disabled, ejectedUntil: u.ejectedUntil })))
}

/** A primary whose watcher feeds `sent`, as core/workers/primary.ts wires it. */
function primary() {
  const p = side()
  const feed = new FeedPublisher(() => verdicts(p.store))
  const sent: FeedMessage[] = []
  p.watcher.onSource((source, snapshot, forgotten) => sent.push(forgotten ? feed.forget(source) : feed.source(source, snapshot)))
  return { ...p, feed, sent }
}

const served = (w: { watcher: Watcher }) =>
  Object.fromEntries([...w.watcher.current().pools].map(([name, pool]) => [name, pool.available().map((u) => u.id)]))

test('a worker serves the upstreams and verdicts the primary has, from a sync and then each change', () => {
  const p = primary()
  p.watcher.push('docker', { pools: { web: ['http://127.0.0.1:8001', 'http://127.0.0.1:8002'] } })
  const w = side()
  const receiver = new FeedReceiver(feedTarget(w))
  assert.equal(receiver.receive(p.feed.sync()), 'applied')
  p.sent.length = 0 // what came before the sync is in it
  assert.deepEqual(served(w), served(p))

  p.watcher.push('etcd', { pools: { api: ['http://127.0.0.1:9001'] } })
  p.watcher.push('docker', { pools: { web: ['http://127.0.0.1:8002'] } })
  const down = p.store.members('api').list()[0]!
  down.setHealthy(false)
  p.sent.push(p.feed.verdict({ pool: 'api', id: down.id, healthy: false, disabled: false, ejectedUntil: 0 }))
  for (const m of p.sent.splice(0)) assert.equal(receiver.receive(m), 'applied')
  assert.deepEqual(served(w), { web: ['http://127.0.0.1:8002'], api: [] })
  assert.deepEqual(served(w), served(p))
})

test('a worker that missed a message asks once for a sync, ignores the rest until it comes, then matches the primary', () => {
  const p = primary()
  p.watcher.push('docker', { pools: { web: ['http://127.0.0.1:8001'] } })
  const w = side()
  const receiver = new FeedReceiver(feedTarget(w))
  receiver.receive(p.feed.sync())
  p.sent.length = 0
  p.watcher.push('docker', { pools: { web: ['http://127.0.0.1:8003'] } }) // lost on the way
  p.sent.shift()
  p.watcher.push('file', { pools: { web: ['http://127.0.0.1:8004'] } })
  p.watcher.forget('docker')
  assert.deepEqual(p.sent.map((m) => receiver.receive(m)), ['resync', 'ignored'])
  assert.deepEqual(served(w), { web: ['http://127.0.0.1:8001'] }, 'nothing applied out of order')
  assert.equal(receiver.receive(p.feed.sync()), 'applied')
  assert.deepEqual(served(w), { web: ['http://127.0.0.1:8004'] })
  assert.equal(receiver.applied, 4)
})

test('verdicts: health and operator switches apply; a primary that ejected nothing does not lift a worker\'s own ejection', () => {
  const p = primary()
  p.watcher.push('s', { pools: { web: ['http://127.0.0.1:8001', 'http://127.0.0.1:8002'] } })
  const w = side()
  const receiver = new FeedReceiver(feedTarget(w))
  receiver.receive(p.feed.sync())
  const [one, two] = w.store.members('web').list()
  two!.eject(Date.now() + 60_000) // the worker's own outlier detection
  receiver.receive(p.feed.verdict({ pool: 'web', id: one!.id, healthy: true, disabled: true, ejectedUntil: 0 }))
  receiver.receive(p.feed.verdict({ pool: 'web', id: two!.id, healthy: true, disabled: false, ejectedUntil: 0 }))
  assert.deepEqual(served(w), { web: [] })
  receiver.receive(p.feed.verdict({ pool: 'web', id: one!.id, healthy: true, disabled: false, ejectedUntil: 0 }))
  assert.deepEqual(served(w), { web: ['http://127.0.0.1:8001'] })
})
