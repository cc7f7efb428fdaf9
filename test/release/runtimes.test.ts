// Versions as clients see them, through the CLI on Node, Bun and Deno: the sticky cookie each
// runtime's transport writes into the answer, the override header, a tag host, and a version
// rolled back through the admin API that none of them reaches any more.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { freePort } from '../support/ports.ts'
import { RUNTIMES, spawnGatewayUnder, type RuntimeGateway } from '../support/runtimes.ts'
import { boundedLoad } from '../support/bounded-load.ts'

let v1: Upstream, v2: Upstream, bad: Upstream
/** Answers of the 5 %-error canary, and its 500s. */
let badServed = 0
let badCaused = 0
before(async () => {
  v1 = await startUpstream(echo('v1'))
  v2 = await startUpstream(echo('v2'))
  bad = await startUpstream((req, res, body) => {
    if (++badServed % 20 === 0) {
      badCaused++
      res.statusCode = 500
      return res.end()
    }
    echo('bad')(req, res, body)
  })
})
after(async () => {
  await v1?.close()
  await v2?.close()
  await bad?.close()
})

/** v2 at 50 % from the start (the first canary step); the interval is long, so only the operator moves it. */
const config = (adminPort: number) => (port: number) => `import { defineConfig } from 'gatehouse'
import { admin } from 'gatehouse/plugins/admin'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  observe: [admin({ listen: { port: ${adminPort} } })],
  pools: {
    app: {
      upstreams: [{ url: '${v1.url}', labels: { version: 'v1' } }, { url: '${v2.url}', labels: { version: 'v2' } }],
      release: { stable: 'v1', steps: [50, 100], interval: '1h', analysis: { minRequests: 1000000 }, sticky: { cookie: 'gh-release' }, tagHost: true },
    },
    // Canaries under a real load: one answering 5 % errors, one healthy (both next to v1).
    canary: {
      upstreams: [{ url: '${v1.url}', labels: { version: 'v1' } }, { url: '${bad.url}', labels: { version: 'v2' } }],
      retries: 0,
      release: { stable: 'v1', steps: [20, 100], interval: '1s', analysis: { minRequests: 100 } },
    },
    healthy: {
      upstreams: [{ url: '${v1.url}', labels: { version: 'v1' } }, { url: '${v2.url}', labels: { version: 'v2' } }],
      release: { stable: 'v1', steps: [20, 60, 100], interval: '1s', analysis: { minRequests: 50, latencySlack: '200ms' } },
    },
  },
  routes: [
    { host: 'app.test', path: '/*', pool: 'app' },
    { host: 'canary.test', path: '/*', pool: 'canary' },
    { host: 'healthy.test', path: '/*', pool: 'healthy' },
  ],
})
`

/** node:http, so Host can be set (routes are for app.test; `v2--app.test` is a tag host). */
function who(url: string, headers: Record<string, string> = {}, host = 'app.test'): Promise<{ name: string; host: string; setCookie: string | null }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host, ...headers } }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => {
        try {
          const echoed = JSON.parse(body) as { name: string; headers: { host: string } }
          resolve({ name: echoed.name, host: echoed.headers.host, setCookie: (res.headers['set-cookie'] ?? [null])[0]! })
        } catch {
          reject(new Error(`${res.statusCode}: ${body}`))
        }
      })
    })
    req.on('error', reject)
    req.end()
  })
}

for (const runtime of RUNTIMES.filter((r) => !process.env.E2E_ONLY || process.env.E2E_ONLY.split(',').includes(r))) {
  describe(`versions on ${runtime}`, { timeout: 120_000 }, () => {
    let gw: RuntimeGateway
    let adminUrl: string
    before(async () => {
      const adminPort = await freePort()
      adminUrl = `http://127.0.0.1:${adminPort}`
      gw = await spawnGatewayUnder(runtime, config(adminPort), 'release')
      // The canary's first step is taken on the first tick.
      for (let i = 0; i < 100; i++) {
        const r = await (await fetch(`${adminUrl}/api/pools/app/release`).catch(() => undefined))?.json().catch(() => undefined)
        if (r?.weights?.v2 === 50) break
        await new Promise((res) => setTimeout(res, 50))
      }
    })
    after(async () => gw?.stop())

    test('1,000 requests from one client with the sticky cookie all hit one version; the override header reaches its version', async () => {
      const first = await who(gw.url + '/')
      assert.match(first.setCookie ?? '', /^gh-release=(v1|v2); Path=\/; HttpOnly; SameSite=Lax$/, 'the first answer hands the version out')
      const cookie = first.setCookie!.split(';')[0]!
      const seen = new Map<string, number>()
      let again = 0
      for (let i = 0; i < 1000; i++) {
        const r = await who(gw.url + '/', { cookie })
        seen.set(r.name, (seen.get(r.name) ?? 0) + 1)
        if (r.setCookie) again++
      }
      assert.deepEqual([...seen], [[first.name, 1000]])
      assert.equal(again, 0)
      // Without the cookie both versions answer (the split is real).
      const names = new Set<string>()
      for (let i = 0; i < 60; i++) names.add((await who(gw.url + '/')).name)
      assert.deepEqual([...names].sort(), ['v1', 'v2'])
      for (const version of ['v1', 'v2']) {
        for (let i = 0; i < 50; i++) assert.equal((await who(gw.url + '/', { 'x-gatehouse-version': version })).name, version)
      }
    })

    test('a tag host reaches the version it names; the upstream sees the plain host', async () => {
      for (const version of ['v1', 'v2']) {
        for (let i = 0; i < 30; i++) {
          const r = await who(gw.url + '/', {}, `${version}--app.test`)
          assert.equal(r.name, version)
          assert.equal(r.host, 'app.test')
        }
      }
    })

    test('after a rollback neither the override header nor a cookie reaches the version', async () => {
      const res = await fetch(`${adminUrl}/api/pools/app/release/abort`, { method: 'POST' })
      assert.equal(res.status, 200, await res.clone().text())
      assert.equal((await res.json()).release.versions.find((v: { name: string }) => v.name === 'v2').role, 'failed')
      const before = v2.seen.length
      for (let i = 0; i < 100; i++) assert.equal((await who(gw.url + '/', { 'x-gatehouse-version': 'v2' })).name, 'v1')
      for (let i = 0; i < 50; i++) assert.equal((await who(gw.url + '/', {}, 'v2--app.test')).name, 'v1')
      const moved = await who(gw.url + '/', { cookie: 'gh-release=v2' })
      assert.equal(moved.name, 'v1')
      assert.match(moved.setCookie ?? '', /^gh-release=v1;/)
      assert.equal(v2.seen.length, before)
    })

    test('a canary answering 5 % errors is rolled back under load, clients seeing only its errors; a healthy one is promoted with 0 failed requests', async () => {
      const release = async (pool: string) => (await fetch(`${adminUrl}/api/pools/${pool}/release`)).json()
      const decided = (r: { last?: { action: string } }) => r.last?.action === 'rollback' || r.last?.action === 'promote'
      let done = false
      const poll = setInterval(async () => void (done = decided(await release('canary').catch(() => ({})))), 100)
      const servedBefore = badServed
      const causedBefore = badCaused
      const load = await boundedLoad(gw.url + '/', { concurrency: 6, max: 30_000, timeoutMs: 20_000, until: () => done, headers: { host: 'canary.test' } })
      clearInterval(poll)
      const r = await release('canary')
      assert.equal(r.last.action, 'rollback', JSON.stringify(r.last))
      assert.match(r.last.reason, /^error rate [\d.]+% above 1%$/)
      assert.ok(badServed - servedBefore >= 100)
      assert.ok(load.errors <= badCaused - causedBefore, `clients saw ${load.errors} errors; the canary caused ${badCaused - causedBefore}`)
      assert.equal(load.failed, 0)

      done = false
      const poll2 = setInterval(async () => void (done = decided(await release('healthy').catch(() => ({})))), 100)
      const healthy = await boundedLoad(gw.url + '/', { concurrency: 6, max: 60_000, timeoutMs: 25_000, until: () => done, headers: { host: 'healthy.test' } })
      clearInterval(poll2)
      const h = await release('healthy')
      assert.equal(h.last.action, 'promote', JSON.stringify(h.last))
      assert.deepEqual(h.weights, { v2: 100 })
      assert.equal(healthy.errors, 0, JSON.stringify(healthy))
    })
  })
}
