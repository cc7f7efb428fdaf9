// What the listener itself sees, in /metrics, on Node, Bun and Deno: open client connections
// (`gatehouse_open_connections`: Node counts every connection, idle keep-alive included; Bun only
// those with a request in flight or a WebSocket, Bun.serve having no connection events; Deno tells
// nothing, so the gauge is absent), and requests refused before routing, counted by reason in
// `gatehouse_request_refusals_total` and logged, rate-limited: the header-count limit on every
// runtime, Node's own parser (a malformed request over a raw socket) on Node (Bun's and Deno's
// parsers refuse before any JavaScript runs and tell no one).
import assert from 'node:assert/strict'
import { createServer, type Server, type ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { freePort } from '../support/ports.ts'
import { promtoolCheck, samples, total } from '../support/exposition.ts'
import { rawRequest } from '../support/raw-http.ts'
import { RUNTIMES, spawnGatewayUnder, type RuntimeGateway } from '../support/runtimes.ts'

let upstream: Server
let upstreamUrl = ''
/** Responses the upstream holds back until the test lets them go (requests in flight). */
const held: ServerResponse[] = []
before(async () => {
  upstream = createServer((req, res) => {
    req.resume()
    if (req.url?.startsWith('/hold')) held.push(res)
    else res.end('ok')
  })
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`
})
after(() => new Promise<void>((r) => (upstream.closeAllConnections(), upstream.close(() => r()))))

const config = (adminPort: number) => (port: number) => `import { defineConfig } from 'gatehouse'
import { admin } from 'gatehouse/plugins/admin'
import { metrics } from 'gatehouse/plugins/metrics'
const m = metrics()
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  limits: { maxHeaderCount: 20 },
  observe: [m, admin({ listen: { host: '127.0.0.1', port: ${adminPort} }, metrics: m, dashboard: false })],
  pools: { app: { upstreams: ['${upstreamUrl}'] } },
  routes: [{ path: '/*', pool: 'app' }],
})
`

/** A keep-alive connection that sent one request; resolves once its response arrived (or, with `wait: false`, at once). */
function keepAlive(port: number, path: string, wait = true): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port }, () => sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`))
    sock.on('error', reject)
    if (!wait) return sock.once('connect', () => resolve(sock))
    sock.once('data', () => resolve(sock))
  })
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  assert.fail(`timed out waiting until ${what}`)
}

for (const runtime of RUNTIMES.filter((r) => !process.env.E2E_ONLY || process.env.E2E_ONLY.split(',').includes(r))) {
  describe(`listener metrics on ${runtime}`, { timeout: 90_000 }, () => {
    let gw: RuntimeGateway
    let adminPort = 0
    before(async () => {
      adminPort = await freePort()
      gw = await spawnGatewayUnder(runtime, config(adminPort), 'listener')
    })
    after(async () => gw?.stop())

    const scrape = async () => {
      const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text()
      return { text, list: samples(text) }
    }
    const open = async () => {
      const { list } = await scrape()
      return list.some((s) => s.name === 'gatehouse_open_connections') ? total(list, 'gatehouse_open_connections') : undefined
    }

    test('open connections: 3 connections with a request in flight, then idle, then closed', async () => {
      const before = (await open()) ?? 0
      const socks = await Promise.all([1, 2, 3].map((i) => keepAlive(gw.port, `/hold/${i}`, false)))
      try {
        await until('the upstream holds 3 requests', async () => held.length >= 3)
        if (runtime === 'deno') assert.equal(await open(), undefined, 'Deno.serve tells nothing: no gauge')
        else assert.ok((await open())! >= before + 3, `busy: ${await open()}`)
        // Answered: the connections stay open, idle.
        for (const res of held.splice(0)) res.end('done')
        if (runtime === 'node') {
          await new Promise((r) => setTimeout(r, 200))
          assert.ok((await open())! >= before + 3, `idle keep-alive: ${await open()}`)
        }
        if (runtime === 'bun') await until('idle connections are no longer counted on Bun', async () => (await open())! <= before)
      } finally {
        for (const s of socks) s.destroy()
      }
      if (runtime !== 'deno') await until('closed connections are no longer counted', async () => (await open())! <= before)
      promtoolCheck((await scrape()).text)
    })

    test('refused before routing: counted by reason and logged', async () => {
      const refused = async (reason: string) => total((await scrape()).list, 'gatehouse_request_refusals_total', { reason })
      // Too many header lines: the gateway's check on Bun, Deno and Node 22; Node 26's parser counts
      // them into its head-size limit first. Either way one refusal, with its reason.
      const reasons = ['too-many-headers', 'header-too-large']
      const either = async () => (await refused(reasons[0]!)) + (await refused(reasons[1]!))
      const headers = Array.from({ length: 30 }, (_, i) => `X-H${i}: v\r\n`).join('')
      const before = await either()
      assert.equal((await rawRequest(gw.port, `GET /h HTTP/1.1\r\nHost: x\r\n${headers}\r\n`)).status, 431)
      await until('the 431 is counted', async () => (await either()) === before + 1)
      assert.match(gw.proc.tail(200), /refused a request before routing: (too-many-headers|header-too-large)/)
      if (runtime !== 'node') return

      // Node's parser: a header line without a colon, 15 times (the log keeps 10 a minute).
      const malformed = await refused('malformed')
      for (let i = 0; i < 15; i++) {
        const res = await rawRequest(gw.port, 'GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n')
        assert.equal(res.status, 400, res.raw)
      }
      await until('15 malformed requests are counted', async () => (await refused('malformed')) === malformed + 15)
      const lines = gw.proc.tail(500).split('\n').filter((l) => l.includes('refused a request before routing: malformed'))
      assert.ok(lines.length >= 1 && lines.length <= 9, `rate-limited log (10 a minute, one went to the 431): ${lines.length} lines`)
      assert.match(lines[0]!, /HPE_/)
      // Bad framing: still answered 400 as Node does (the listener replaced Node's default answer).
      const framing = await refused('bad-framing')
      assert.equal((await rawRequest(gw.port, 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')).status, 400)
      await until('bad-framing is counted', async () => (await refused('bad-framing')) === framing + 1)
    })
  })
}
