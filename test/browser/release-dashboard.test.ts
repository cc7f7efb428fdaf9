// A pool's release on the dashboard, in the real browser (Debian's chromium via playwright-core):
// the split by version, the canary's step, and the last verdict — a rollback shows at once, with
// its reason. A screenshot goes to test-output/release-dashboard.png.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { admin, type AdminPlugin } from '../../plugins/admin/index.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { ROOT, startGateway, type TestGateway } from '../support/gateway.ts'
import { requireBinary } from '../support/process.ts'

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']

let v1: Upstream, v2: Upstream
let failing = false
let gw: TestGateway
let adm: AdminPlugin
let context: BrowserContext
let page: Page
let profile: string

before(async () => {
  v1 = await startUpstream(echo('v1'))
  v2 = await startUpstream((req, res, body) => {
    if (!failing) return echo('v2')(req, res, body)
    res.statusCode = 500
    res.end('boom')
  })
  adm = admin({ listen: { port: 0 }, interval: '10s' }) // a decision must show without waiting for the interval
  gw = await startGateway({
    observe: [adm],
    pools: {
      app: {
        upstreams: [{ url: v1.url, labels: { version: 'v1' } }, { url: v2.url, labels: { version: 'v2' } }],
        retries: 0,
        release: { stable: 'v1', steps: [25, 100], interval: '1h', analysis: { minRequests: 20, maxErrorRate: '1%' } },
      },
    },
    routes: [{ path: '/*', pool: 'app' }],
  })
  profile = mkdtempSync('/tmp/gatehouse-chromium-')
  context = await chromium.launchPersistentContext(profile, { executablePath: requireBinary('chromium'), headless: true, args: ARGS, viewport: { width: 1100, height: 800 } })
  page = context.pages()[0] ?? (await context.newPage())
})
after(async () => {
  await context?.close()
  await gw?.stop()
  await v1?.close()
  await v2?.close()
  if (profile) rmSync(profile, { recursive: true, force: true })
})

const card = () => page.locator('.release[data-release="app"]')

test('the dashboard shows the split, the step and the last verdict; a rollback shows at once', async () => {
  await page.goto(`http://127.0.0.1:${adm.port}/dashboard`)
  await page.locator('#conn.live').waitFor({ timeout: 5000 })
  await card().locator('.split span[data-version="v2"][data-weight="25"]').waitFor({ timeout: 3000 })
  assert.equal(await card().locator('.split span[data-version="v1"]').getAttribute('data-weight'), '75')
  assert.match((await card().locator('.line').textContent()) ?? '', /canary by version · stable v1 · new v2 · step 1\/2/)
  assert.match((await card().locator('.verdict').textContent()) ?? '', /^start v2: /)
  const width = await card().locator('.split span[data-version="v2"]').evaluate((e) => e.getBoundingClientRect().width / e.parentElement!.getBoundingClientRect().width)
  assert.ok(Math.abs(width - 0.25) < 0.02, `the bar shows 25 %: ${width}`)

  failing = true
  const t0 = Date.now()
  for (let i = 0; i < 400 && !gw.gateway.releases.view('app')!.last?.action.startsWith('rollback'); i++) await (await fetch(gw.url + '/')).text()
  await card().locator('.verdict.rollback').waitFor({ timeout: 2000 })
  assert.ok(Date.now() - t0 < 5000)
  assert.match((await card().locator('.verdict').textContent()) ?? '', /^rollback v2: error rate 100% above 1%$/)
  assert.deepEqual(await card().locator('.split span').evaluateAll((s) => s.map((e) => `${e.getAttribute('data-version')}:${e.getAttribute('data-weight')}`)), ['v1:100'])
  assert.doesNotMatch((await card().locator('.line').textContent()) ?? '', /step/)
  mkdirSync(join(ROOT, 'test-output'), { recursive: true })
  await page.screenshot({ path: join(ROOT, 'test-output', 'release-dashboard.png'), fullPage: true })
})
