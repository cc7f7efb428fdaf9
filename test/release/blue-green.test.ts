// Blue-green (core/release/pool-release.ts): all traffic moves to the new version once every
// upstream of it is available, under load and with no failed request; the old one stays warm and
// takes traffic back on abort until keepWarm ends.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { echo, startUpstream } from '../support/http-upstream.ts'
import { startGateway } from '../support/gateway.ts'
import { boundedLoad } from '../support/bounded-load.ts'
import type { ReleaseEvent } from '../../core/gateway/events.ts'

test('blue-green: the switch is whole and loses nothing; abort switches back while the old version is warm', async () => {
  const blue = await startUpstream(echo('blue'))
  const green = [await startUpstream(echo('green')), await startUpstream(echo('green'))]
  const gw = await startGateway({
    pools: { app: { upstreams: [{ url: blue.url, labels: { version: 'blue' } }], release: { strategy: 'blue-green', keepWarm: '1500ms' } } },
    routes: [{ path: '/*', pool: 'app' }],
  })
  const events: ReleaseEvent[] = []
  gw.gateway.events.on('release', (e) => events.push(e))
  try {
    // Green's second upstream is switched off in the same turn it joins (no tick between): not every upstream of it is ready, so nothing moves.
    gw.gateway.watcher.push('deploy', { pools: { app: green.map((u, i) => ({ id: `g${i}`, url: u.url, labels: { version: 'green' } })) } })
    gw.gateway.pool('app')!.upstreams.find((u) => u.id === 'g1')!.setDisabled(true)
    const loadDuring = boundedLoad(gw.url + '/', { concurrency: 6, max: 20_000, timeoutMs: 10_000, until: () => events.some((e) => e.action === 'switch') && Date.now() - switchedAt > 300 })
    let switchedAt = Infinity
    gw.gateway.events.on('release', (e) => e.action === 'switch' && (switchedAt = Date.now()))
    await new Promise((r) => setTimeout(r, 600))
    assert.equal(events.filter((e) => e.action === 'switch').length, 0, 'no switch while an upstream of green is not ready')
    assert.equal(green[0]!.seen.length, 0)
    gw.gateway.pool('app')!.upstreams.find((u) => u.id === 'g1')!.setDisabled(false)
    const load = await loadDuring
    assert.equal(load.errors, 0, JSON.stringify(load))
    const sw = events.find((e) => e.action === 'switch')!
    assert.deepEqual(sw.weights, { green: 100 })
    const blueBefore = blue.seen.length
    const after = await boundedLoad(gw.url + '/', { concurrency: 4, max: 200, timeoutMs: 5000 })
    assert.equal(after.errors, 0)
    assert.equal(blue.seen.length, blueBefore, 'blue takes nothing after the switch')

    const back = gw.gateway.releases.get('app')!.abort()
    assert.equal(back.ok, true, back.message)
    assert.equal(gw.gateway.releases.view('app')!.stable, 'blue')
    assert.equal((await (await fetch(gw.url + '/')).json()).name, 'blue')
    assert.equal(gw.gateway.releases.view('app')!.versions.find((v) => v.name === 'green')?.role, 'failed')
  } finally {
    await gw.stop()
    for (const u of [blue, ...green]) await u.close()
  }
})
