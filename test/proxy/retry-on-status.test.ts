// Opt-in retryOn: an idempotent request answered 503 is tried on another upstream.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { echo, startUpstream } from '../support/http-upstream.ts'
import { startGateway } from '../support/gateway.ts'

const closers: (() => Promise<unknown>)[] = []
after(async () => {
  for (const c of closers.reverse()) await c()
})

test('GETs answered 503 are retried elsewhere; POSTs are not; the last upstream\'s answer passes through', async () => {
  const good = await startUpstream(echo('good'))
  const bad = await startUpstream((_req, res) => res.writeHead(503, { 'x-upstream': 'bad' }).end('busy'))
  closers.push(() => good.close(), () => bad.close())
  const gw = await startGateway({ pools: { web: { upstreams: [bad.url, good.url], retryOn: [503] }, lone: { upstreams: [bad.url], retryOn: [503] } }, routes: [{ path: '/lone', pool: 'lone' }, { pool: 'web' }] })
  closers.push(() => gw.stop())
  for (let i = 0; i < 6; i++) assert.equal((await fetch(gw.url)).status, 200)
  const posts = await Promise.all([1, 2, 3, 4].map(() => fetch(gw.url, { method: 'POST', body: 'x' }).then((r) => r.status)))
  assert.ok(posts.includes(503), 'a POST was retried on another upstream')
  const lone = await fetch(`${gw.url}/lone`)
  assert.equal(lone.status, 503)
  assert.equal(await lone.text(), 'busy')
})
