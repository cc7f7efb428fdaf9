/**
 * Clients belong to one upstream id + origin: an upstream that moves (same id, new address) or
 * leaves has its address released by the upstream store; the transport's client for it is closed once
 * the requests on it have ended, and the next request gets a client for the new origin. The
 * watcher, the store and the clients map (core/runtime/upstream-clients.ts) as the gateway wires them.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Watcher } from '../../core/gateway/watcher.ts'
import { UpstreamStore } from '../../core/pools/upstream-store.ts'
import { validateConfig } from '../../core/config/validate.ts'
import { silentLogger } from '../../core/log.ts'
import { UpstreamClients } from '../../core/runtime/upstream-clients.ts'

function setup() {
  const made: string[] = []
  const closed: string[] = []
  const clients = new UpstreamClients<string>(
    (url) => (made.push(`pool for ${url.port}`), `pool for ${url.port}`),
    (client) => void closed.push(client),
  )
  const store = new UpstreamStore((address) => clients.release(address))
  const watcher = new Watcher(validateConfig({}), { log: silentLogger, store, middleware: (m) => m as never })
  const put = (url: string | null) => watcher.push('test', { pools: { app: url ? [{ id: 'app1', url }] : [] } })
  return { clients, made, closed, put, up: () => watcher.current().pools.get('app')!.upstreams[0]! }
}

test('a new address retires the old client after its last request; the next request makes a new one', () => {
  const { clients, made, closed, put, up } = setup()
  put('http://127.0.0.1:7001')
  const a = up()
  const first = clients.acquire(a)
  const second = clients.acquire(a)
  assert.equal(first.client, 'pool for 7001')
  assert.equal(second.client, first.client, 'one client per address, shared by its requests')

  put('http://127.0.0.1:7002')
  assert.equal(up(), a, 'same id: the same upstream state (health, load) stays')
  assert.deepEqual(closed, [], 'requests still run on the old client')
  const third = clients.acquire(a)
  assert.equal(third.client, 'pool for 7002', 'no client made for 7001 is handed out for 7002')

  first.done()
  assert.deepEqual(closed, [])
  second.done()
  assert.deepEqual(closed, ['pool for 7001'], 'closed once its last request ended')
  third.done()
  assert.equal(clients.acquire(a).client, 'pool for 7002', 'the new client stays in use')

  put('http://127.0.0.1:7002/') // same origin: nothing released
  assert.deepEqual(closed, ['pool for 7001'])
  assert.deepEqual(made, ['pool for 7001', 'pool for 7002'])
})

test('an idle client of an address that changed is closed at once', () => {
  const { clients, closed, put, up } = setup()
  put('http://127.0.0.1:7001')
  clients.acquire(up()).done()
  put('http://127.0.0.1:7003')
  assert.deepEqual(closed, ['pool for 7001'])
  assert.equal(clients.size, 0)
})

test('an upstream that leaves closes its client after its last request', () => {
  const { clients, closed, put, up } = setup()
  put('http://127.0.0.1:7001')
  const a = up()
  const lease = clients.acquire(a)
  put(null)
  assert.equal(a.available, false)
  assert.deepEqual(closed, [])
  lease.done()
  assert.deepEqual(closed, ['pool for 7001'])
})
