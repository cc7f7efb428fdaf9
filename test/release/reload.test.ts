// A config reload keeps each pool's rollout (stable, candidate, step, weights, failed versions)
// and applies the new settings; a pool whose release is removed serves all its upstreams again.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { validateConfig } from '../../core/config/validate.ts'
import type { GatewayConfigInput } from '../../core/config/schema.ts'
import { echo, startUpstream } from '../support/http-upstream.ts'
import { startGateway } from '../support/gateway.ts'

test('a reload keeps the rollout and takes the new settings; removing the release lets every upstream serve', async () => {
  const v1 = await startUpstream(echo('v1'))
  const v2 = await startUpstream(echo('v2'))
  const config = (release: Record<string, unknown> | undefined): GatewayConfigInput => ({
    listen: { host: '127.0.0.1', port: 0 },
    pools: { app: { upstreams: [{ url: v1.url, labels: { version: 'v1' } }, { url: v2.url, labels: { version: 'v2' } }], ...(release ? { release } : {}) } },
    routes: [{ path: '/*', pool: 'app' }],
  })
  const gw = await startGateway(config({ stable: 'v1', steps: [20, 100], interval: '1h' }))
  try {
    const releases = gw.gateway.releases
    const waitFor = async (cond: () => boolean) => {
      for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 20))
      assert.ok(cond())
    }
    await waitFor(() => releases.view('app')?.weights.v2 === 20)
    const before = releases.get('app')
    await gw.gateway.reload(validateConfig(config({ stable: 'v1', steps: [20, 100], interval: '2h', analysis: { minRequests: 7 } })))
    assert.equal(releases.get('app'), before, 'the same rollout')
    const view = releases.view('app')!
    assert.deepEqual(view.weights, { v2: 20, v1: 80 })
    assert.equal(view.step, 0)
    assert.equal(releases.get('app')!.currentSettings.interval, 7_200_000)

    await gw.gateway.reload(validateConfig(config(undefined)))
    assert.equal(releases.view('app'), undefined)
    const seen = new Set<string>()
    for (let i = 0; i < 20; i++) seen.add(((await (await fetch(gw.url + '/')).json()) as { name: string }).name)
    assert.deepEqual([...seen].sort(), ['v1', 'v2'])
  } finally {
    await gw.stop()
    await v1.close()
    await v2.close()
  }
})
