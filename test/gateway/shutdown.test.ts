// SIGTERM: stop accepting, let in-flight requests finish within the grace period, exit 0.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startUpstream } from '../support/http-upstream.ts'
import { spawnGatewayCli } from '../support/gateway.ts'
import { canConnect } from '../support/ports.ts'

test('a slow request in flight completes after SIGTERM, then the gateway exits 0', async () => {
  const slow = await startUpstream((_req, res) => setTimeout(() => res.end('finished'), 1500))
  const gw = await spawnGatewayCli(
    (port) => `import { defineConfig } from 'gatehouse'
export default defineConfig({ listen: { host: '127.0.0.1', port: ${port} }, shutdown: { grace: '5s' }, pools: { web: { upstreams: ['${slow.url}'] } }, routes: [{ pool: 'web' }] })
`,
    'shutdown',
  )
  try {
    const inflight = fetch(`${gw.url}/slow`).then(async (r) => ({ status: r.status, body: await r.text() }))
    await new Promise((r) => setTimeout(r, 300))
    const t0 = Date.now()
    process.kill(gw.proc.pid, 'SIGTERM')
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(await canConnect(gw.port), false, 'still accepting new connections after SIGTERM')
    assert.deepEqual(await inflight, { status: 200, body: 'finished' })
    const exit = await gw.proc.exited
    assert.equal(exit.code, 0)
    assert.ok(Date.now() - t0 < 5000, 'did not exit within the grace period')
  } finally {
    await gw.proc.stop()
    await slow.close()
  }
})

test('a second signal exits at once, without waiting for the grace period', async () => {
  const hang = await startUpstream(() => {})
  const gw = await spawnGatewayCli(
    (port) => `import { defineConfig } from 'gatehouse'
export default defineConfig({ listen: { host: '127.0.0.1', port: ${port} }, shutdown: { grace: '30s' }, pools: { web: { upstreams: ['${hang.url}'] } }, routes: [{ pool: 'web' }] })
`,
    'shutdown2',
  )
  try {
    fetch(`${gw.url}/hang`).catch(() => {})
    await new Promise((r) => setTimeout(r, 300))
    process.kill(gw.proc.pid, 'SIGTERM')
    await new Promise((r) => setTimeout(r, 200))
    const t0 = Date.now()
    process.kill(gw.proc.pid, 'SIGINT')
    const exit = await gw.proc.exited
    assert.ok(Date.now() - t0 < 2000)
    assert.notEqual(exit.code, 0)
  } finally {
    await gw.proc.stop()
    await hang.close()
  }
})

test('an open WebSocket keeps working after SIGTERM and the gateway exits once it closes', async () => {
  const { WebSocket, WebSocketServer } = await import('ws')
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise((r) => wss.once('listening', r))
  wss.on('connection', (ws) => ws.on('message', (d) => ws.send(d)))
  const gw = await spawnGatewayCli(
    (port) => `import { defineConfig } from 'gatehouse'
export default defineConfig({ listen: { host: '127.0.0.1', port: ${port} }, shutdown: { grace: '10s' }, pools: { ws: { upstreams: ['http://127.0.0.1:${(wss.address() as { port: number }).port}'] } }, routes: [{ pool: 'ws' }] })
`,
    'shutdown-ws',
  )
  try {
    const ws = new WebSocket(gw.url.replace('http', 'ws') + '/')
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)))
    const echo = (text: string) => new Promise<string>((r) => (ws.once('message', (d) => r(String(d))), ws.send(text)))
    process.kill(gw.proc.pid, 'SIGTERM')
    await new Promise((r) => setTimeout(r, 500))
    assert.equal(await echo('after SIGTERM'), 'after SIGTERM')
    assert.equal(gw.proc.running(), true, 'exited while a WebSocket was open')
    const t0 = Date.now()
    ws.close(1000)
    const exit = await gw.proc.exited
    assert.equal(exit.code, 0)
    assert.ok(Date.now() - t0 < 3000, 'did not exit promptly after the last WebSocket closed')
  } finally {
    await gw.proc.stop()
    await new Promise((r) => wss.close(() => r(undefined)))
  }
})
