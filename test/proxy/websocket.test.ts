// WebSockets through the gateway, with a real client and a real server (the `ws` package).
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { WebSocket, WebSocketServer } from 'ws'
import { deadPort } from '../support/http-upstream.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'

interface Echo { url: string; server: WebSocketServer; closes: { code: number; reason: string }[]; close(): Promise<void> }

/** An echo server that closes with a chosen code on the message "close-with <code>". */
async function echoServer(name: string): Promise<Echo> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (p) => (p.has('chat') ? 'chat' : false) })
  await new Promise((r) => server.once('listening', r))
  const closes: Echo['closes'] = []
  server.on('connection', (ws, req) => {
    ws.send(`hello from ${name} ${req.headers['x-forwarded-for']}`)
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString()
      if (text.startsWith('close-with ')) return ws.close(Number(text.slice(11)), 'as asked')
      ws.send(data, { binary: isBinary })
    })
    ws.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }))
  })
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, closes, close: () => new Promise((r) => server.close(() => r())) }
}

function open(url: string, opts: { protocols?: string[]; headers?: Record<string, string> } = {}) {
  const ws = new WebSocket(url, opts.protocols, { headers: opts.headers })
  const messages: { data: Buffer; binary: boolean }[] = []
  ws.on('message', (data: Buffer, binary) => messages.push({ data, binary }))
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })))
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
  })
  const next = async (n: number) => {
    const deadline = Date.now() + 3000
    while (messages.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    return messages[n - 1]
  }
  return { ws, opened, closed, next }
}

let a: Echo
let gw: TestGateway
before(async () => {
  a = await echoServer('a')
  gw = await startGateway({
    pools: { ws: { upstreams: [a.url] }, dead: { upstreams: [`http://127.0.0.1:${await deadPort()}`] } },
    routes: [
      { path: '/ws', pool: 'ws' },
      { path: '/private', pool: 'ws', use: [async (c, next) => (c.req.header('x-key') === 'k' ? next() : c.text('no key', 401))] },
      { path: '/dead', pool: 'dead' },
    ],
  })
})
after(async () => {
  await gw.stop()
  await a.close()
})

const wsUrl = (path: string) => gw.url.replace('http', 'ws') + path

test('text and binary frames both ways, including a 1 MB binary frame; subprotocol negotiated', async () => {
  const c = open(wsUrl('/ws'), { protocols: ['chat'] })
  await c.opened
  assert.equal(c.ws.protocol, 'chat')
  assert.match((await c.next(1))!.data.toString(), /^hello from a 127\.0\.0\.1$/)
  c.ws.send('ping')
  assert.equal((await c.next(2))!.data.toString(), 'ping')
  const big = Buffer.alloc(1024 * 1024)
  for (let i = 0; i < big.length; i++) big[i] = i % 251
  c.ws.send(big)
  const echoed = await c.next(3)
  assert.equal(echoed!.binary, true)
  assert.ok(echoed!.data.equals(big), 'the 1 MB frame came back changed')
  c.ws.close(4001, 'client done')
  assert.deepEqual(await c.closed, { code: 4001, reason: 'client done' })
  await new Promise((r) => setTimeout(r, 100))
  assert.deepEqual(a.closes.at(-1), { code: 4001, reason: 'client done' }, 'the upstream saw another close code')
})

test('an upstream close code reaches the client', async () => {
  const c = open(wsUrl('/ws'))
  await c.opened
  c.ws.send('close-with 4002')
  assert.deepEqual(await c.closed, { code: 4002, reason: 'as asked' })
})

test('route middleware applies to upgrades', async () => {
  await assert.rejects(open(wsUrl('/private')).opened, /HTTP 401/)
  const c = open(wsUrl('/private'), { headers: { 'x-key': 'k' } })
  await c.opened
  c.ws.close()
})

test('an unreachable upstream fails the handshake with 502', async () => {
  await assert.rejects(open(wsUrl('/dead')).opened, /HTTP 502/)
})

test('an upstream that dies mid-session closes the client with 1011', async () => {
  const b = await echoServer('b')
  const local = await startGateway({ pools: { b: { upstreams: [b.url] } }, routes: [{ pool: 'b' }] })
  try {
    const c = open(local.url.replace('http', 'ws') + '/')
    await c.opened
    await c.next(1)
    for (const client of b.server.clients) client.terminate() // the upstream process's socket dies: no close frame
    const closed = await c.closed
    assert.equal(closed.code, 1011)
  } finally {
    await local.stop()
    await b.close()
  }
})

test('an open socket survives a discovery update that removes its upstream (drained, not cut)', async () => {
  const c = open(wsUrl('/ws'))
  await c.opened
  await c.next(1)
  gw.gateway.watcher.push('staticUpstreams@pools.ws', { pools: { ws: [] } })
  c.ws.send('still there?')
  assert.equal((await c.next(2))!.data.toString(), 'still there?')
  const up = gw.gateway.pool('ws')!
  assert.equal(up.upstreams.length, 0, 'the upstream left the pool')
  c.ws.close(1000)
  await c.closed
  gw.gateway.watcher.push('staticUpstreams@pools.ws', { pools: { ws: [a.url] } })
})
