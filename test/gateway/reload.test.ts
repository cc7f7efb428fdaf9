// gateway.reload(config) in process: what is swapped, what keeps running, what is named as
// needing a restart. (The CLI under load on Node, Bun and Deno: test/cli/reload.test.ts.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { validateConfig } from '../../core/config/validate.ts'
import type { DiscoveryPlugin } from '../../core/types.ts'
import { admin } from '../../plugins/admin/index.ts'
import { hash } from '../../plugins/hash/index.ts'
import { echo, startUpstream } from '../support/http-upstream.ts'
import { recordingLogger, startGateway } from '../support/gateway.ts'

/** A discovery source that counts its starts and keeps each start's signal. */
function counted(name: string, options: unknown, snapshot: object): DiscoveryPlugin & { starts: AbortSignal[] } {
  const starts: AbortSignal[] = []
  return { kind: 'discovery', name, options, starts, start: (ctx) => void (starts.push(ctx.signal), ctx.emit(snapshot as never)) }
}

test('reload: routes, balancer and middleware swap at once; unchanged sources and observers keep running; upstream state stays; listen changes are named', async () => {
  const a = await startUpstream(echo('a'))
  const b = await startUpstream(echo('b'))
  const log = recordingLogger()
  const kept = counted('kept', { same: true }, { pools: { web: [a.url, b.url] } })
  const replaced = counted('replaced', { v: 1 }, { pools: {}, routes: [{ host: 'old.test', pool: 'web' }] })
  const observer = admin({ listen: { port: 0 } })
  // Pool web comes from `kept`, a top-level source.
  const gw = await startGateway({ discovery: [kept, replaced], observe: [observer], routes: [{ path: '/*', pool: 'web' }] }, { log })
  const get = (path: string, host = 'any.test', headers: Record<string, string> = {}) =>
    new Promise<{ status: number; who?: string; tag?: string }>((resolve, reject) =>
      request(`${gw.url}${path}`, { headers: { host, ...headers } }, (res) => {
        let body = ''
        res.on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode!, who: body && JSON.parse(body).name, tag: res.headers['x-tag'] as string | undefined }))
      }).on('error', reject).end(),
    )
  try {
    const adminUrl = `http://127.0.0.1:${observer.port}`
    assert.equal((await (await fetch(`${adminUrl}/api/config`)).json()).generation, 1)
    assert.equal((await get('/x', 'old.test')).status, 200)
    gw.gateway.pool('web')!.upstreams.find((u) => u.url.origin === b.url)!.eject(Date.now() + 60_000) // state that must survive
    const who = new Set<string>()
    for (let i = 0; i < 4; i++) who.add((await get('/')).who!)
    assert.deepEqual([...who], ['a'], 'b is ejected')
    gw.gateway.pool('web')!.upstreams.find((u) => u.url.origin === b.url)!.eject(0)

    const tag = async (c: { header(n: string, v: string): void }, next: () => Promise<void>) => (c.header('x-tag', 'v2'), next())
    const next = validateConfig({
      listen: { host: '127.0.0.1', port: gw.port + 1 },
      discovery: [counted('kept', { same: true }, { pools: { web: [a.url, b.url] } }), counted('replaced', { v: 2 }, { pools: {}, routes: [] })],
      observe: [admin({ listen: { port: 0 } })],
      pools: { web: { discovery: counted('web-source', {}, { pools: { web: [a.url, b.url] } }), balancer: hash({ on: { header: 'x-user' } }) } },
      routes: [{ path: '/*', pool: 'web', use: [tag] }, { path: '/new/*', pool: 'web' }],
    })
    const revision = gw.gateway.state().revision
    const report = await gw.gateway.reload(next)

    assert.equal(gw.gateway.state().revision, revision + 1, 'one swap')
    assert.equal(gw.gateway.state().generation, 2)
    assert.deepEqual(report.discovery.kept, ['kept@discovery[0]'])
    assert.deepEqual(report.discovery.started.sort(), ['replaced@discovery[1]', 'web-source@pools.web'])
    assert.equal(kept.starts.length, 1, 'an unchanged source keeps running')
    assert.equal(kept.starts[0]!.aborted, false)
    assert.equal(replaced.starts[0]!.aborted, true, 'a changed source is stopped through its signal')
    assert.deepEqual(report.observers.kept, ['observe[0]'], 'the admin observer (same options) keeps running')
    assert.match(report.restartNeeded.join(), /listen\.port \(\d+ → \d+\)/)
    assert.ok(log.lines.some((l) => /warn: config reloaded, but these take effect only after a restart: listen\.port/.test(l)), log.lines.join('\n'))

    assert.equal((await get('/x', 'old.test')).tag, 'v2', 'the middleware runs on the replaced route')
    assert.equal((await get('/new/1')).status, 200, 'the added route serves')
    const byUser = new Set<string>()
    for (let i = 0; i < 6; i++) byUser.add((await get('/', 'any.test', { 'x-user': 'alice' })).who!)
    assert.equal(byUser.size, 1, 'the hash balancer sends one user to one upstream')
    const up = gw.gateway.pool('web')!.upstreams.find((u) => u.url.origin === a.url)!
    assert.equal(gw.gateway.store.members('web').list().includes(up), true)
    assert.equal((await (await fetch(`${adminUrl}/api/config`)).json()).generation, 2, 'the admin API shows the new generation')
  } finally {
    await gw.stop()
    await a.close()
    await b.close()
  }
})

test('reload: a config whose middleware cannot be set up changes nothing', async () => {
  const a = await startUpstream(echo('a'))
  const gw = await startGateway({ pools: { web: { upstreams: [a.url] } }, routes: [{ path: '/*', pool: 'web' }] })
  try {
    const before = gw.gateway.state()
    const broken = { kind: 'middleware' as const, name: 'broken', setup: () => { throw new Error('no key material') } }
    const next = validateConfig({ listen: { host: '127.0.0.1', port: 0 }, pools: { web: { upstreams: [a.url] } }, routes: [{ path: '/*', pool: 'web', use: [broken] }, { path: '/b', pool: 'web' }] })
    await assert.rejects(gw.gateway.reload(next), /no key material/)
    assert.equal(gw.gateway.state(), before)
    assert.equal((await fetch(gw.url + '/')).status, 200)
  } finally {
    await gw.stop()
    await a.close()
  }
})

test('reload: a replaced health plugin is stopped and hears no more pool changes; an unchanged one keeps running', async () => {
  const a = await startUpstream(echo('a'))
  const heard: string[] = []
  const health = (v: number) => ({
    kind: 'health' as const,
    name: 'probe',
    options: { v },
    start: ({ pool, signal }: { pool: { onChange(l: () => void): void }; signal: AbortSignal }) => {
      heard.push(`start v${v}`)
      pool.onChange(() => heard.push(`change v${v}${signal.aborted ? ' (aborted)' : ''}`))
    },
  })
  const config = (v: number) => ({ listen: { host: '127.0.0.1', port: 0 }, pools: { web: { upstreams: [a.url], health: health(v) } }, routes: [{ pool: 'web' }] })
  const gw = await startGateway(config(1))
  try {
    await gw.gateway.reload(validateConfig(config(1)))
    assert.deepEqual(heard, ['start v1'], 'same options: kept, not restarted')
    await gw.gateway.reload(validateConfig(config(2)))
    heard.splice(0)
    gw.gateway.watcher.push('extra', { pools: { web: ['http://127.0.0.1:1'] } })
    assert.deepEqual(heard, ['change v2'])
  } finally {
    await gw.stop()
    await a.close()
  }
})
