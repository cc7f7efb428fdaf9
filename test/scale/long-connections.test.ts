/**
 * What a sleeping pool's idle rule reads (core/scale/pool-scale.ts: "nothing in flight") on every
 * runtime: an open WebSocket and a streaming response count as in flight on their upstream for as
 * long as they last, and no longer — read through the admin API of the gateway CLI on Node, Bun and
 * Deno. (The idle rule itself, with a WebSocket held past `idle`, is test/scale/wake.test.ts.)
 */
import assert from 'node:assert/strict'
import { createServer, request, type Server } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { WebSocket, WebSocketServer } from 'ws'
import { freePort } from '../support/ports.ts'
import { RUNTIMES, spawnGatewayUnder, type RuntimeGateway } from '../support/runtimes.ts'
import { waitFor } from '../support/process.ts'

let server: Server
let wss: WebSocketServer
let upstream = ''
before(async () => {
  server = createServer((req, res) => {
    if (req.url !== '/stream') return void res.end('ok')
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    const timer = setInterval(() => res.write('data: tick\n\n'), 100)
    res.on('close', () => clearInterval(timer))
  })
  wss = new WebSocketServer({ server })
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(m)))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  upstream = `http://127.0.0.1:${(server.address() as { port: number }).port}`
})
after(async () => {
  wss?.close()
  server?.closeAllConnections()
  await new Promise((r) => server?.close(r))
})

for (const runtime of RUNTIMES.filter((r) => !process.env.E2E_ONLY || process.env.E2E_ONLY.split(',').includes(r))) {
  describe(`long connections are in flight while they last, on ${runtime}`, { timeout: 60_000 }, () => {
    let gw: RuntimeGateway
    let adminPort: number
    before(async () => {
      adminPort = await freePort()
      gw = await spawnGatewayUnder(runtime, (port) => `import { defineConfig } from 'gatehouse'
import { admin } from 'gatehouse/plugins/admin'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  observe: [admin({ listen: { port: ${adminPort} } })],
  pools: { app: { upstreams: ['${upstream}'] } },
  routes: [{ pool: 'app' }],
})
`, 'long-connections')
    })
    after(async () => gw?.stop())

    const inflight = async () => {
      const body = (await (await fetch(`http://127.0.0.1:${adminPort}/api/pools`)).json()) as { pools: { name: string; upstreams: { inflight: number }[] }[] }
      return body.pools.find((p) => p.name === 'app')!.upstreams[0]!.inflight
    }

    test('an open WebSocket', async () => {
      const ws = new WebSocket(gw.url.replace('http', 'ws') + '/ws')
      await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)))
      await new Promise((r) => setTimeout(r, 300))
      assert.equal(await inflight(), 1, 'the open WebSocket is in flight')
      ws.close()
      await waitFor(async () => (await inflight()) === 0, { timeoutMs: 3000, what: 'in flight back to 0 after the close' })
    })

    test('a streaming response', async () => {
      const req = request(gw.url + '/stream')
      const res = await new Promise<import('node:http').IncomingMessage>((resolve) => req.on('response', resolve).end())
      res.resume()
      await new Promise((r) => setTimeout(r, 300))
      assert.equal(await inflight(), 1, 'the stream is in flight')
      req.destroy()
      await waitFor(async () => (await inflight()) === 0, { timeoutMs: 3000, what: 'in flight back to 0 after the client left' })
    })
  })
}
