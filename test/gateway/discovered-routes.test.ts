// Routes and pools that arrive with discovery snapshots: no config edit, no restart.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import type { DiscoveryPlugin, DiscoverySnapshot } from '../../core/types.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { recordingLogger, startGateway, type TestGateway } from '../support/gateway.ts'
import { silentLogger } from '../../core/log.ts'

/** A discovery source the test drives by hand (the real plugins have their own suites). */
function handDriven(): DiscoveryPlugin & { push(s: DiscoverySnapshot): void } {
  let emit: ((s: DiscoverySnapshot) => void) | undefined
  return {
    kind: 'discovery',
    name: 'hand',
    start: (ctx) => void ((emit = ctx.emit), emit({ pools: {}, routes: [] })),
    push: (s) => emit!(s),
  }
}

let a: Upstream
let b: Upstream
let gw: TestGateway
const source = handDriven()
const log = recordingLogger()

before(async () => {
  a = await startUpstream(echo('a'))
  b = await startUpstream(echo('b'))
  gw = await startGateway({
    discovery: [source],
    pools: { fixed: { upstreams: [a.url] } },
    routes: [{ host: 'config.test', pool: 'fixed' }, { host: 'app1.test', path: '/pinned', pool: 'fixed' }],
  }, { log })
})
after(async () => {
  await gw.stop()
  await a.close()
  await b.close()
})

// node:http, not fetch: fetch drops a Host header it is given.
const hit = (host: string, path = '/') =>
  new Promise<{ status: number; who: string | null }>((resolve, reject) => {
    request(`${gw.url}${path}`, { headers: { host } }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode!, who: (res.headers['x-upstream'] as string) ?? null }))
    }).on('error', reject).end()
  })

test('a discovered route and pool serve at once; a bad route is skipped without harming the others', async () => {
  assert.equal((await hit('app1.test')).status, 404)
  source.push({
    pools: { app1: [b.url] },
    routes: [{ host: 'app1.test', pool: 'app1' }, { host: 'bad host!', pool: 'app1' }, { host: 'app2.test', path: 'no-slash', pool: 'app1' }],
  })
  assert.deepEqual(await hit('app1.test'), { status: 200, who: 'b' })
  assert.deepEqual(await hit('config.test'), { status: 200, who: 'a' }, 'config routes keep working')
})

test('config routes win over a discovered route for the same host and path', async () => {
  source.push({ pools: { app1: [b.url] }, routes: [{ host: 'app1.test', pool: 'app1' }, { host: 'app1.test', path: '/pinned', pool: 'app1' }] })
  assert.deepEqual(await hit('app1.test', '/pinned'), { status: 200, who: 'a' })
  assert.deepEqual(await hit('app1.test', '/other'), { status: 200, who: 'b' })
})

test('a route that leaves the snapshot stops matching; its pool left empty answers 503 where still routed', async () => {
  source.push({ pools: { app1: [] }, routes: [{ host: 'app2.test', pool: 'app1' }] })
  assert.equal((await hit('app1.test', '/other')).status, 404)
  assert.equal((await hit('app2.test')).status, 503)
})

test('the health endpoint answers without routing', async () => {
  const res = await fetch(`${gw.url}/__gatehouse/health`, { headers: { host: 'nothing.test' } })
  assert.equal(res.status, 200)
  assert.equal(await res.text(), 'ok\n')
})

test('a discovered route naming a pool nobody reports is left out with an error naming the field, until the pool appears', async () => {
  log.lines.splice(0)
  source.push({ pools: {}, routes: [{ host: 'ghost.test', pool: 'ghost' }] })
  assert.equal((await hit('ghost.test')).status, 404)
  const errors = log.lines.filter((l) => l.startsWith('error:'))
  assert.equal(errors.length, 1, log.lines.join('\n'))
  assert.match(errors[0]!, /discovery hand@discovery\[0\]: route "ghost\.test\/\*": pool: no pool named "ghost"/)
  source.push({ pools: {}, routes: [{ host: 'ghost.test', pool: 'ghost' }, { host: 'other.test', pool: 'fixed' }] })
  assert.equal(log.lines.filter((l) => l.startsWith('error:')).length, 1, 'the same problem is logged once, not per snapshot')
  source.push({ pools: { ghost: [b.url] }, routes: [{ host: 'ghost.test', pool: 'ghost' }] })
  assert.deepEqual(await hit('ghost.test'), { status: 200, who: 'b' })
})

test('a skipped or ignored discovered route is logged once when it becomes so, not on every later change', async () => {
  const { Watcher } = await import('../../core/gateway/watcher.ts')
  const { UpstreamStore } = await import('../../core/pools/upstream-store.ts')
  const { validateConfig } = await import('../../core/config/validate.ts')
  const warnings: string[] = []
  const log = { ...silentLogger, warn: (msg: string) => void warnings.push(msg) }
  const config = validateConfig({ discovery: [source], pools: { p: { upstreams: ['http://127.0.0.1:1'] } }, routes: [{ host: 'config.test', pool: 'p' }] })
  const watcher = new Watcher(config, { log, store: new UpstreamStore(() => {}), middleware: (m) => m as never })
  const bad = { host: 'x.test', pool: 42 }
  const taken = { host: 'config.test', pool: 'p' }
  for (let i = 0; i < 4; i++) watcher.push('src', { pools: {}, routes: [bad, taken, { host: `other${i}.test`, pool: 'p' }] }) // a change every time
  assert.deepEqual(warnings, ['discovery src: route 0 skipped', 'discovery src: route config.test/* ignored, the config (or an earlier source) defines it'])
  watcher.push('src', { pools: {}, routes: [] })
  watcher.push('src', { pools: {}, routes: [bad, taken] })
  assert.equal(warnings.length, 4, 'back after leaving: a new change, logged again')
})
