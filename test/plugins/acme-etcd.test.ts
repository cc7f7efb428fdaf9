// Two gateway replicas sharing an etcd store (real etcd, real pebble): a host that a shared
// routes file adds reaches both at once; exactly one order reaches pebble (the etcd lock), and
// both serve the certificate (the other picks it up from the etcd watch). Replica B listens on
// 127.0.0.2 while pebble's DNS sends validations to 127.0.0.1 (replica A): if B holds the lock,
// A answers B's HTTP-01 token from the store, as replicas behind one address must.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { acme, etcdStore } from '../../plugins/acme/index.ts'
import { file } from '../../plugins/file/index.ts'
import { hasEtcd, startEtcd, type Etcd } from '../support/etcd.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { hasPebble, startPebble, type Pebble } from '../support/pebble.ts'
import { freePort } from '../support/ports.ts'
import { waitFor } from '../support/process.ts'
import { acmeDir, curlHttps, startLoggedGateway, type LoggedGateway } from '../support/acme.ts'

if (!hasPebble() || !hasEtcd()) throw new Error('pebble or etcd not installed: run .ci/install-deps.sh')

let etcd: Etcd
let pebble: Pebble
let up: Upstream
const gateways: LoggedGateway[] = []
let tlsPort: number
const registry = join(acmeDir('acme-etcd'), 'routes.json')

before(async () => {
  const httpPort = await freePort()
  tlsPort = await freePort()
  ;[etcd, pebble] = await Promise.all([startEtcd(), startPebble({ httpPort, tlsPort })])
  up = await startUpstream(echo('app'))
  writeFileSync(registry, JSON.stringify({ routes: [] }))
  for (const [name, host] of [['a', '127.0.0.1'], ['b', '127.0.0.2']] as const) {
    gateways.push(await startLoggedGateway({
      listen: {
        host,
        port: tlsPort,
        tls: {
          certificates: acme({ directory: pebble.directory, directoryCa: pebble.directoryCa, store: etcdStore({ endpoints: [etcd.endpoint] }), retry: { min: '1s', max: '2s' } }),
          redirectHttp: { port: httpPort },
        },
      },
      discovery: [file({ path: registry, poll: '200ms' })],
      pools: { app: { upstreams: [up.url] } },
    }, name))
  }
})
after(async () => {
  for (const g of gateways) await g.stop()
  await up?.close()
  await pebble?.stop()
  await etcd?.stop()
})

test('two replicas sharing an etcd store: one order for a new host, both serve its certificate', async () => {
  const root = await pebble.root()
  assert.equal(pebble.orders(), 0)
  writeFileSync(registry, JSON.stringify({ routes: [{ host: 'shared.test', pool: 'app' }] }))
  for (const address of ['127.0.0.1', '127.0.0.2']) {
    await waitFor(async () => (await curlHttps('shared.test', tlsPort, root, address)).ok, { timeoutMs: 30_000, what: `shared.test on ${address}` })
    assert.equal(JSON.parse((await curlHttps('shared.test', tlsPort, root, address)).body).name, 'app')
  }
  await new Promise((r) => setTimeout(r, 2_000)) // time for a second, wrong order to show
  assert.equal(pebble.orders(), 1)
  const ordered = gateways.filter((g) => g.lines.some((l) => /acme: ordering a certificate for shared\.test/.test(l)))
  assert.equal(ordered.length, 1, 'both replicas ordered')
  const other = gateways.find((g) => g !== ordered[0])!
  assert.ok(other.lines.some((l) => /certificate for shared\.test picked up from the store/.test(l)), other.lines.join('\n'))
})
