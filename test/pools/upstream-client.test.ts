/**
 * Clients belong to one origin: an upstream that moves (same id, new address) or leaves retires
 * its client, which is closed once the requests on it have ended, and a transport asking for the
 * upstream's client never gets one made for another origin.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { UpstreamStore } from '../../core/pools/upstream-store.ts'
import { Watcher } from '../../core/gateway/watcher.ts'
import { validateConfig } from '../../core/config/validate.ts'
import { silentLogger } from '../../core/log.ts'
import type { ClientHolder } from '../../core/runtime/types.ts'

function setup() {
  const released: unknown[] = []
  const store = new UpstreamStore((h: ClientHolder) => void released.push(h.client))
  const watcher = new Watcher(validateConfig({}), { log: silentLogger, store, middleware: (m) => m as never })
  const put = (url: string | null) => watcher.push('test', { pools: { app: url ? [{ id: 'app1', url }] : [] } })
  return { store, released, put, up: () => watcher.current().pools.get('app')!.upstreams[0]! }
}

test('a new address retires the old client after its last request; the next request makes a new one', () => {
  const { store, released, put, up } = setup()
  put('http://127.0.0.1:7001')
  const a = up()
  a.client ??= 'pool for 7001'
  const first = a.begin()
  const second = a.begin()

  put('http://127.0.0.1:7002')
  assert.equal(up(), a, 'same id: the same upstream state (health, load) stays')
  assert.equal(a.client, undefined, 'no client made for 7001 is handed out for 7002')
  assert.deepEqual(released, [], 'requests still run on the old client')
  a.client ??= 'pool for 7002'
  const third = a.begin()

  store.done(a, first)
  assert.deepEqual(released, [])
  store.done(a, second)
  assert.deepEqual(released, ['pool for 7001'], 'closed once its last request ended')
  store.done(a, third)
  assert.equal(a.inflight, 0)
  assert.equal(a.client, 'pool for 7002', 'the new client stays in use')

  put('http://127.0.0.1:7002/') // same origin: nothing retired
  assert.equal(a.client, 'pool for 7002')
  put('http://127.0.0.1:7003') // idle client: closed at once
  assert.deepEqual(released, ['pool for 7001', 'pool for 7002'])
})

test('an upstream that leaves closes its client after its last request', () => {
  const { store, released, put, up } = setup()
  put('http://127.0.0.1:7001')
  const a = up()
  a.client = 'pool'
  const lease = a.begin()
  put(null)
  assert.equal(a.available, false)
  assert.deepEqual(released, [])
  store.done(a, lease)
  assert.deepEqual(released, ['pool'])
})
