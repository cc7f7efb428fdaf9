/**
 * Clients cannot eject a healthy upstream: a stream of malformed requests (odd header bytes, bad
 * framing, bodies cut short, clients that leave mid-upload, absurd Expect) against a pool with
 * outlier detection set to eject on the first failure. After every shape a plain request must
 * still reach the one upstream (an ejected one would answer 503), on every runtime and kind of
 * listener (plain, h2c, TLS: on Bun and Deno the last two run on their node:http layer). Each
 * shape's client status and whether it reached the upstream is printed, for the runtime table.
 * E2E_ONLY=bun,bun:h2c runs some variants only.
 */
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { rawConnect, rawRequest } from '../support/raw-http.ts'
import { listenerVariants, spawnVariant, type VariantGateway } from '../support/listener-variants.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Shape {
  name: string
  /** Request bytes, sent at once. */
  bytes: string | Buffer
  /** Then: wait for the answer (default), or close the socket after `ms`. */
  leaveAfterMs?: number
}

const H = 'Host: faults.test\r\n'
const head = (line: string, headers = '') => `${line}\r\n${H}${headers}\r\n`
const WS = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
const latin1 = (s: string) => Buffer.from(s, 'latin1')

export const SHAPES: Shape[] = [
  { name: 'header value with obs-text bytes (latin1 é)', bytes: latin1(head('GET /a HTTP/1.1', 'X-Odd: caf\xe9\r\nConnection: close\r\n')) },
  { name: 'header value with UTF-8 bytes', bytes: Buffer.concat([latin1(head('GET /a HTTP/1.1', 'Connection: close\r\nX-Odd: ').slice(0, -2)), Buffer.from('café ✓\r\n\r\n')]) },
  { name: 'header value with a DEL and a control byte', bytes: latin1(head('GET /a HTTP/1.1', 'X-Odd: a\x7fb\x01c\r\nConnection: close\r\n')) },
  { name: 'header value with a NUL byte', bytes: latin1(head('GET /a HTTP/1.1', 'X-Odd: a\x00b\r\nConnection: close\r\n')) },
  { name: 'header name with odd characters', bytes: head('GET /a HTTP/1.1', 'X{Odd}: 1\r\nConnection: close\r\n') },
  { name: 'Host with UTF-8 bytes', bytes: Buffer.from('GET /a HTTP/1.1\r\nHost: faults.test\r\nX-Forwarded-Host: é.test\r\nConnection: close\r\n\r\n') },
  { name: 'path with obs-text bytes', bytes: latin1(head('GET /caf\xe9 HTTP/1.1', 'Connection: close\r\n')) },
  { name: 'path with UTF-8 bytes', bytes: Buffer.from(head('GET /café HTTP/1.1', 'Connection: close\r\n')) },
  { name: 'path with a DEL byte', bytes: latin1(head('GET /a\x7fb HTTP/1.1', 'Connection: close\r\n')) },
  { name: 'path with percent-encoded UTF-8, NUL and CR LF', bytes: head('GET /%E2%9C%93/%00/%0D%0A/%ff HTTP/1.1', 'Connection: close\r\n') },
  { name: 'a long header value (16 KiB)', bytes: head('GET /a HTTP/1.1', `X-Long: ${'a'.repeat(16_000)}\r\nConnection: close\r\n`) },
  { name: 'custom method token', bytes: head('PURGE /a HTTP/1.1', 'Connection: close\r\n') },
  { name: 'Expect: something absurd', bytes: head('POST /a HTTP/1.1', 'Expect: 100-continue-and-a-pony\r\nContent-Length: 4\r\nConnection: close\r\n') + 'abcd' },
  { name: 'Expect: 100-continue, body never sent', bytes: head('POST /left/expect HTTP/1.1', 'Expect: 100-continue\r\nContent-Length: 4\r\n'), leaveAfterMs: 400 },
  { name: 'Content-Length body cut short (client leaves)', bytes: head('POST /left/cut HTTP/1.1', 'Content-Length: 100000\r\n') + 'x'.repeat(1000), leaveAfterMs: 300 },
  { name: 'chunked body, client leaves mid-chunk', bytes: head('POST /left/chunked HTTP/1.1', 'Transfer-Encoding: chunked\r\n') + '3e8\r\n' + 'y'.repeat(500), leaveAfterMs: 300 },
  { name: 'chunked body with a bad chunk size', bytes: head('POST /a HTTP/1.1', 'Transfer-Encoding: chunked\r\nConnection: close\r\n') + '5\r\nhello\r\nzz\r\nxx\r\n0\r\n\r\n' },
  { name: 'chunked body with a bad chunk end', bytes: head('POST /a HTTP/1.1', 'Transfer-Encoding: chunked\r\nConnection: close\r\n') + '5\r\nhelloXX0\r\n\r\n' },
  { name: 'more body bytes than Content-Length', bytes: head('POST /a HTTP/1.1', 'Content-Length: 2\r\nConnection: close\r\n') + 'abcdef' },
  { name: 'WebSocket upgrade with an invalid subprotocol', bytes: head('GET /ws HTTP/1.1', `${WS}Sec-WebSocket-Protocol: a b\r\n`) },
  { name: 'WebSocket upgrade with a repeated subprotocol', bytes: head('GET /ws HTTP/1.1', `${WS}Sec-WebSocket-Protocol: x, x\r\n`) },
  { name: 'WebSocket upgrade the upstream refuses (400)', bytes: head('GET /no-ws HTTP/1.1', WS) },
  { name: 'WebSocket upgrade with version 99', bytes: head('GET /ws HTTP/1.1', WS.replace('Version: 13', 'Version: 99')) },
  { name: 'GET leaves before the answer', bytes: head('GET /left/slow HTTP/1.1'), leaveAfterMs: 100 },
]

/** Sends a shape: its status (0 = none before the socket closed). */
async function send(gw: VariantGateway, shape: Shape): Promise<number> {
  if (shape.leaveAfterMs === undefined) return (await rawRequest(gw.port, shape.bytes, 3000, { tls: gw.tls }).catch(() => ({ status: 0 }))).status
  const sock = rawConnect(gw.port, gw.tls)
  let answer = ''
  sock.on('data', (c: Buffer) => (answer += c.toString('latin1')))
  sock.on('error', () => {})
  sock.write(shape.bytes)
  await sleep(shape.leaveAfterMs)
  sock.destroy()
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)
}

/** The gateway's JSON access-log lines so far. */
function accessLines(gw: VariantGateway): { path: string; status: number; error?: string }[] {
  return gw.gw.proc
    .tail(10_000)
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"type":"request"'))
    .map((l) => JSON.parse(l) as { path: string; status: number; error?: string })
}

let upstream: Server
let upstreamUrl = ''
let received: string[] = []
before(async () => {
  upstream = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`)
    req.on('error', () => {})
    req.resume()
    req.on('end', () => {
      if (req.url === '/left/slow') setTimeout(() => res.end('late'), 500)
      else res.end('ok')
    })
  })
  // Not a WebSocket server: refuses every handshake with a 400, as servers do with a bad one.
  upstream.on('upgrade', (req, sock) => {
    received.push(`${req.method} ${req.url} (upgrade)`)
    sock.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
  })
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`
})
after(() => new Promise<void>((r) => (upstream.closeAllConnections(), upstream.close(() => r()))))

const config = (listen: string) => `import { defineConfig } from 'gatehouse'
import { outlierDetection } from 'gatehouse/plugins/outlier-detection'
import { accessLog } from 'gatehouse/plugins/access-log'
export default defineConfig({
  listen: ${listen},
  observe: [accessLog({ format: 'json' })],
  pools: {
    app: {
      upstreams: ['${upstreamUrl}'],
      retries: 0,
      timeouts: { firstByte: '2s', idle: '2s' },
      // One failure ejects, for a minute, even the last upstream: any failure blamed on it shows.
      outlier: outlierDetection({ consecutive: 1, baseEjection: '60s', maxEjectedPercent: 100 }),
    },
  },
  routes: [{ pool: 'app' }],
})
`

/** A plain request to the listener under test: its status and x-gatehouse-error. */
async function probe(gw: VariantGateway): Promise<{ status: number; error: string | undefined }> {
  const res = await rawRequest(gw.port, `GET /probe HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, 5000, { tls: gw.tls })
  return { status: res.status, error: /\r\nx-gatehouse-error: *([^\r]*)/i.exec(res.head)?.[1] }
}

for (const variant of listenerVariants()) {
  const runtime = variant.key
  describe(`malformed requests never eject a healthy upstream, on ${variant.title}`, { timeout: 90_000 }, () => {
    let gw: VariantGateway
    before(async () => void (gw = await spawnVariant(variant, config, 'client-faults')))
    after(async () => gw?.stop())

    test('every shape, each followed by a plain request that must reach the upstream', async () => {
      const ejectedBy: string[] = []
      const table: string[] = []
      for (const shape of SHAPES) {
        received = []
        const status = await send(gw, shape)
        await sleep(100) // let the exchange end (onDone) before probing
        const reached = received.length > 0
        const probed = await probe(gw)
        table.push(`${shape.name}: client ${status || 'none'}, ${reached ? 'reached' : 'did not reach'} the upstream${probed.status === 200 ? '' : `, then ${probed.status}`}`)
        if (probed.status !== 200) ejectedBy.push(`${shape.name} (client got ${status || 'nothing'}; probe ${probed.status} ${probed.error})`)
        if (probed.status === 503) await gw.stop().then(async () => void (gw = await spawnVariant(variant, config, 'client-faults')))
      }
      console.log(`# ${runtime}:\n# ${table.join('\n# ')}`)
      assert.deepEqual(ejectedBy, [], 'shapes that ejected the upstream')
      // A client that left is logged as such (499, nginx's convention), never as an upstream error.
      await sleep(300)
      const left = accessLines(gw).filter((r) => r.path.startsWith('/left/'))
      assert.ok(left.length >= 2, `access lines for clients that left: ${JSON.stringify(left)}`)
      for (const r of left) assert.deepEqual({ path: r.path, status: r.status, error: r.error }, { path: r.path, status: 499, error: undefined })
    })
  })
}
