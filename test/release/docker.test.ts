// The README's "Deploy a new version" loop on a real dockerd: two busybox httpd containers
// labelled gatehouse.version=v1 serve; `docker run --label gatehouse.version=v2` next to them is
// promoted step by step under load with no failed request, and v1's containers removed afterwards
// cost nothing; then a v3 whose container listens nowhere is rolled back on its transport failures
// (each retried on a published version, so clients saw none).
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startDockerd, type Dockerd } from '../support/dockerd.ts'
import { freePort } from '../support/ports.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import { boundedLoad } from '../support/bounded-load.ts'
import { docker } from '../../plugins/docker/index.ts'
import type { ReleaseEvent } from '../../core/gateway/events.ts'

let d: Dockerd
let gw: TestGateway
const events: ReleaseEvent[] = []
before(async () => {
  d = await startDockerd()
})
after(async () => {
  await gw?.stop()
  await d?.stop()
})

async function sh(args: string[]): Promise<string> {
  const r = await d.docker(args, { timeoutMs: 60_000 })
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`)
  return r.stdout.trim()
}

/** `docker run -d --label gatehouse.version=<version> …`: busybox httpd answering its version (or, `listens: false`, nothing at all). */
async function run(name: string, version: string, listens = true): Promise<void> {
  const port = await freePort()
  const cmd = listens ? `mkdir -p /www && echo ${version} > /www/index.html && exec httpd -f -p 127.0.0.1:${port} -h /www` : 'exec sleep 3600'
  await sh(['run', '-d', '--name', name, '--network', 'host', '-l', 'gatehouse.pool=app', '-l', `gatehouse.port=${port}`, '-l', `gatehouse.version=${version}`, d.image, 'sh', '-c', cmd])
}

const until = (cond: () => boolean) => ({ concurrency: 4, max: 40_000, timeoutMs: 30_000, until: cond })

test('docker run --label gatehouse.version=v2: promoted through every step with 0 failed requests; v1 removed afterwards costs nothing', { timeout: 120_000 }, async () => {
  await run('app-v1-a', 'v1')
  await run('app-v1-b', 'v1')
  gw = await startGateway({
    pools: {
      app: {
        discovery: docker({ socketPath: d.socketPath, label: 'gatehouse.pool=app' }),
        release: { steps: [25, 50, 100], interval: '1s', analysis: { minRequests: 30, latencySlack: '200ms' } },
      },
    },
    routes: [{ path: '/*', pool: 'app' }],
  })
  gw.gateway.events.on('release', (e) => events.push(e))
  for (let i = 0; i < 100 && gw.gateway.releases.view('app')?.stable !== 'v1'; i++) await new Promise((r) => setTimeout(r, 50))
  assert.equal(gw.gateway.releases.view('app')?.stable, 'v1')
  assert.equal((await (await fetch(gw.url + '/')).text()).trim(), 'v1')

  await run('app-v2', 'v2')
  const load = await boundedLoad(gw.url + '/', until(() => events.some((e) => e.action === 'promote' || e.action === 'rollback')))
  assert.deepEqual(events.map((e) => `${e.action}:${e.weights.v2 ?? 0}`), ['start:25', 'step:50', 'promote:100'])
  assert.equal(load.errors, 0, JSON.stringify(load))
  await sh(['rm', '-f', 'app-v1-a', 'app-v1-b'])
  const after = await boundedLoad(gw.url + '/', { concurrency: 4, max: 400, timeoutMs: 10_000 })
  assert.equal(after.errors, 0)
  assert.equal((await (await fetch(gw.url + '/')).text()).trim(), 'v2')
})

test('a v3 that listens nowhere is rolled back on its failures; retries on v2 hid them from clients', { timeout: 120_000 }, async () => {
  events.length = 0
  await run('app-v3', 'v3', false)
  const load = await boundedLoad(gw.url + '/', until(() => events.some((e) => e.action === 'rollback' || e.action === 'promote')))
  const rollback = events.find((e) => e.action === 'rollback')
  assert.ok(rollback, events.map((e) => `${e.action} ${e.reason}`).join('; '))
  assert.equal(rollback.version, 'v3')
  assert.match(rollback.reason, /^error rate 100% above 1%$/)
  assert.equal(load.errors, 0, JSON.stringify(load))
  assert.deepEqual(gw.gateway.releases.view('app')!.weights, { v2: 100 })
})
