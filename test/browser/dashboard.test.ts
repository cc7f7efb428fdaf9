// The dashboard in a real browser (Debian's chromium, driven by playwright-core): live state over
// server-sent events, an upstream that stops turns red within the health-check interval and says
// why (its last check) and since when, the drain button asks first and then really drains; a
// broken registry file shows with the field named; a scaling pool shows asleep → waking → awake
// and its replicas. Screenshots go to test-output/dashboard.png and dashboard-scale.png.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { admin, type AdminPlugin } from '../../plugins/admin/index.ts'
import { activeHealth } from '../../plugins/active-health/index.ts'
import { file } from '../../plugins/file/index.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { ROOT, startGateway, type TestGateway } from '../support/gateway.ts'
import { localReplicas } from '../support/local-replicas.ts'
import { requireBinary, waitFor } from '../support/process.ts'

const CHECK_INTERVAL_MS = 1000
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']
const RED = 'rgb(217, 48, 37)'
const GREEN = 'rgb(30, 142, 62)'
const GREY = 'rgb(128, 134, 139)'
const BLUE = 'rgb(26, 115, 232)'

let a: Upstream, b: Upstream
let gw: TestGateway
let adm: AdminPlugin
let context: BrowserContext
let page: Page
let profile: string
let registry: string

before(async () => {
  a = await startUpstream(echo('a'))
  b = await startUpstream(echo('b'))
  profile = mkdtempSync('/tmp/gatehouse-chromium-')
  registry = join(profile, 'registry.json')
  writeFileSync(registry, JSON.stringify({ pools: { files: [{ url: a.url, weight: 3, labels: { zone: 'eu-1', version: 'v2' } }] } }))
  adm = admin({ listen: { port: 0 } })
  gw = await startGateway({
    observe: [adm],
    pools: {
      web: { upstreams: [a.url, b.url], health: activeHealth({ interval: CHECK_INTERVAL_MS, fall: 1, rise: 1, jitter: 0 }) },
      api: { upstreams: [a.url] },
      files: { discovery: file({ path: registry }) },
    },
    routes: [{ name: 'site', path: '/*', pool: 'web' }, { name: 'api', path: '/api/*', pool: 'api' }],
  })
  context = await chromium.launchPersistentContext(profile, { executablePath: requireBinary('chromium'), headless: true, args: ARGS, viewport: { width: 1100, height: 800 } })
  page = context.pages()[0] ?? (await context.newPage())
  page.on('pageerror', (err) => console.error('dashboard page error:', err))
})
after(async () => {
  await context?.close()
  await gw?.stop()
  await a?.close()
  rmSync(profile, { recursive: true, force: true })
})

const chip = (url: string) => page.locator(`.pool[data-pool="web"] .up[data-id="${url}"]`)
const background = (url: string) => chip(url).evaluate((e) => getComputedStyle(e).backgroundColor)

test('live dashboard: routes, pools coloured by health, rates; a stopped upstream turns red within the check interval', async () => {
  await page.goto(`http://127.0.0.1:${adm.port}/dashboard`)
  await page.locator('#conn.live').waitFor({ timeout: 5000 })
  await chip(a.url).and(page.locator('[data-state="available"]')).waitFor({ timeout: 3000 })
  await chip(b.url).and(page.locator('[data-state="available"]')).waitFor({ timeout: 3000 })
  assert.equal(await background(b.url), GREEN)
  assert.deepEqual(await page.locator('#routes tr td:first-child').allTextContents(), ['site', 'api'])
  assert.match((await page.locator('#about').textContent()) ?? '', /^v\d+\.\d+\.\d+ on node \S+ · up \d+ s · config #1 loaded \d\d:\d\d:\d\d · now \d\d:\d\d:\d\d$/)
  assert.match((await chip(a.url).locator('.check').textContent()) ?? '', /^check ok 200 in \d+ ms at \d\d:\d\d:\d\d$/)

  // Traffic shows up as requests/s and in the sparkline once a whole second has passed.
  for (let i = 0; i < 40; i++) await (await fetch(gw.url + '/')).text()
  await waitFor(async () => /^[1-9]\d*\.\d req\/s/.test((await page.locator('.pool[data-pool="web"] .stats').textContent()) ?? ''), { timeoutMs: 4000, what: 'requests/s above zero' })
  const points = await page.locator('.pool[data-pool="web"] svg.spark polyline').first().getAttribute('points')
  assert.ok(points && new Set(points.split(' ').map((p) => p.split(',')[1])).size > 1, 'the sparkline is not flat')

  const t0 = Date.now()
  await b.close()
  await chip(b.url).and(page.locator('[data-state="unhealthy"]')).waitFor({ timeout: CHECK_INTERVAL_MS + 2000 })
  const took = Date.now() - t0
  assert.ok(took <= CHECK_INTERVAL_MS + 500, `red after ${took} ms (health-check interval ${CHECK_INTERVAL_MS} ms)`)
  assert.equal(await background(b.url), RED)
  assert.equal(await background(a.url), GREEN)
  assert.match((await page.locator('#changes li').first().textContent()) ?? '', /^\d\d:\d\d:\d\d\s+web\s+unavailable\s+http:\/\/127\.0\.0\.1:\d+\s+\(unhealthy\)/)
  // Why, and since when: the last check's failure, its latency and time; time in state counts up.
  assert.match((await chip(b.url).locator('.check').textContent()) ?? '', /^check failed: refused in \d+ ms at \d\d:\d\d:\d\d$/)
  assert.match((await chip(b.url).locator('.since').textContent()) ?? '', /^failing checks for [0-2] s · 0 in flight$/)
  await waitFor(async () => /^failing checks for [2-9] s/.test((await chip(b.url).locator('.since').textContent()) ?? ''), { timeoutMs: 4000, what: 'time in state counting up' })
  // Per upstream: rate, errors, latency percentiles, weight, labels.
  assert.match((await chip(a.url).locator('.traffic').textContent()) ?? '', /req\/s · errors [\d.]+ % · p50 [\d.]+ ms · p99 [\d.]+ ms · weight 1$/)
  const files = page.locator(`.pool[data-pool="files"] .up[data-id="${a.url}"] .traffic`)
  assert.match((await files.textContent()) ?? '', /weight 3 · zone=eu-1 version=v2$/)

  mkdirSync(join(ROOT, 'test-output'), { recursive: true })
  await page.screenshot({ path: join(ROOT, 'test-output', 'dashboard.png'), fullPage: true })
})

test('the drain button asks first, then disables an upstream (grey, no traffic); enable brings it back', async () => {
  const asked: string[] = []
  page.once('dialog', (d) => void (asked.push(d.message()), d.dismiss()))
  await chip(a.url).getByRole('button', { name: 'drain' }).click()
  await waitFor(() => asked.length === 1, { timeoutMs: 2000, what: 'a confirmation' })
  assert.match(asked[0]!, new RegExp(`^Drain ${a.url} in pool web\\?`))
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(gw.gateway.pool('web')!.upstreams[0]!.disabled, false, 'dismissed: nothing drained')
  page.once('dialog', (d) => void d.accept())
  await chip(a.url).getByRole('button', { name: 'drain' }).click()
  await chip(a.url).and(page.locator('[data-state="disabled"]')).waitFor({ timeout: 2000 })
  assert.equal(await background(a.url), GREY)
  assert.equal(gw.gateway.pool('web')!.upstreams[0]!.disabled, true)
  assert.equal((await fetch(gw.url + '/')).status, 503, 'a drained, b down: nothing left')
  await chip(a.url).getByRole('button', { name: 'enable' }).click()
  await chip(a.url).and(page.locator('[data-state="available"]')).waitFor({ timeout: 2000 })
  assert.equal((await fetch(gw.url + '/')).status, 200)
})

test('a broken registry file shows under discovery with the field named; the last good snapshot keeps serving', async () => {
  writeFileSync(registry, JSON.stringify({ pools: { files: [{ url: 'not a url', weight: 3 }] } }))
  const row = page.locator('#discovery tr[data-source^="file@"][data-failing="true"]')
  await row.waitFor({ timeout: 5000 })
  const text = (await row.textContent()) ?? ''
  assert.match(text, /rejected at \d\d:\d\d:\d\d, serving the snapshot applied before/)
  assert.match(text, /pools\.files\[0\]/, text)
  assert.equal(await page.locator('.pool[data-pool="files"] .up').count(), 1, 'still the last good snapshot')
  await page.screenshot({ path: join(ROOT, 'test-output', 'dashboard-discovery.png'), fullPage: true })
  writeFileSync(registry, JSON.stringify({ pools: { files: [a.url] } }))
  await page.locator('#discovery tr[data-source^="file@"][data-failing="false"]').waitFor({ timeout: 5000 })
})

test('a scaling pool: its state badge and replica count follow a wake live (asleep → waking with a starting replica → awake)', async () => {
  const local = localReplicas({ pool: 'lazy', replicas: 1, bootMs: 1200 })
  const own = admin({ listen: { port: 0 }, interval: '10s' }) // the page must move on the scale events, not the interval
  const g = await startGateway({ observe: [own], pools: { lazy: { discovery: local.plugin, scale: { min: 0, idle: '1h', wake: { timeout: '10s' } } } }, routes: [{ pool: 'lazy' }] })
  try {
    const pool = page.locator('.pool[data-pool="lazy"]')
    const badge = pool.locator('h3 .scale')
    const color = () => badge.evaluate((e) => getComputedStyle(e).backgroundColor)
    await page.goto(`http://127.0.0.1:${own.port}/dashboard`)
    await page.locator('#conn.live').waitFor({ timeout: 5000 })
    await badge.and(page.locator('[data-scale-state="asleep"]')).waitFor({ timeout: 3000 })
    assert.equal(await badge.textContent(), 'asleep')
    assert.equal(await color(), GREY)
    assert.match((await pool.locator('.stats').textContent()) ?? '', /req\/s · errors – · replicas 0 running, 1 asleep \(0–1\)$/)
    assert.equal(await pool.locator('.empty').textContent(), 'no replica running')

    const reply = fetch(g.url + '/')
    await badge.and(page.locator('[data-scale-state="waking"]')).waitFor({ timeout: 1000 })
    const starting = pool.locator('.up[data-state="warming"]')
    await starting.waitFor({ timeout: 1000 })
    assert.equal(await color(), BLUE)
    assert.equal(await starting.evaluate((e) => getComputedStyle(e).backgroundColor), BLUE)
    assert.match((await starting.textContent()) ?? '', /starting for \d+ s · 0 in flight/)

    assert.equal(await (await reply).text(), 'r1\n')
    await badge.and(page.locator('[data-scale-state="awake"]')).waitFor({ timeout: 2000 })
    assert.equal(await color(), GREEN)
    assert.match((await pool.locator('.stats').textContent()) ?? '', /replicas 1 running, 0 asleep \(0–1\)$/)
    await pool.locator('.up[data-state="available"]').waitFor({ timeout: 1000 })
    const changes = await page.locator('#changes li').allTextContents()
    assert.match(changes[0]!, /lazy\s+ready\s+\(after \d+ ms, 1 running\)$/)
    assert.ok(changes.some((c) => /lazy\s+wake\s+\(0 → 1 replicas: a request\)$/.test(c)), changes.join('\n'))
    await page.screenshot({ path: join(ROOT, 'test-output', 'dashboard-scale.png'), fullPage: true })
  } finally {
    await g.stop()
    await local.close()
  }
})
