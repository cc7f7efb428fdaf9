// What the upstream receives, on every runtime (the gateway CLI under Node, Bun and Deno): exactly
// the client's header names and values plus the forwarding headers, nothing a client library adds
// (Bun's fetch added `User-Agent: Bun/…` and `Accept: */*`); and a request the gateway's client
// refuses to send is the request's fault: 400, never counted against a healthy upstream.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { rawRequest } from '../support/raw-http.ts'
import { RUNTIMES, spawnGatewayUnder, type RuntimeGateway } from '../support/runtimes.ts'

// Headers the gateway adds to every request it sends upstream.
const FORWARDING = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'x-request-id']

let up: Upstream
before(async () => {
  up = await startUpstream(echo('up'))
})
after(() => up.close())

const config = (port: number) => `import { defineConfig } from 'gatehouse'
import { outlierDetection } from 'gatehouse/plugins/outlier-detection'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  pools: {
    // One bad exchange in a row would eject the only upstream (then: 503, no-upstream).
    up: { upstreams: ['${up.url}'], retries: 0, outlier: outlierDetection({ consecutive: 1, maxEjectedPercent: 100, baseEjection: '1m' }) },
  },
  routes: [{ pool: 'up' }],
})
`

/**
 * Header names (lower case) of the last request the upstream saw, but Connection: it belongs to
 * the gateway's own hop (RFC 9110 §7.6.1), and undici (Node) always sends `keep-alive`.
 */
const lastNames = () =>
  up.seen
    .at(-1)!
    .rawHeaders.filter((_, i) => i % 2 === 0)
    .map((n) => n.toLowerCase())
    .filter((n) => n !== 'connection')

for (const runtime of RUNTIMES.filter((r) => !process.env.E2E_ONLY || process.env.E2E_ONLY.split(',').includes(r))) {
  describe(`the upstream's request, on ${runtime}`, { timeout: 60_000 }, () => {
    let gw: RuntimeGateway
    before(async () => {
      gw = await spawnGatewayUnder(runtime, config, 'upstream-request')
    })
    after(() => gw?.stop())

    test('no header is added: a bare GET arrives with Host and the forwarding headers only', async () => {
      const res = await rawRequest(gw.port, 'GET /bare HTTP/1.1\r\nHost: app.test\r\nX-One: 1\r\nConnection: close\r\n\r\n')
      assert.equal(res.status, 200, res.raw)
      assert.deepEqual(lastNames().sort(), ['host', 'x-one', ...FORWARDING].sort())
    })

    test("the client's User-Agent, Accept, repeated headers and latin1 bytes arrive unchanged", async () => {
      const head = 'GET /ua HTTP/1.1\r\nHost: app.test\r\nUser-Agent: probe/1.0\r\nAccept: text/x-own\r\nX-Rep: a\r\nX-Rep: b\r\nX-Latin: caf\xe9\r\nConnection: close\r\n\r\n'
      const res = await rawRequest(gw.port, Buffer.from(head, 'latin1'))
      assert.equal(res.status, 200, res.raw)
      const seen = up.seen.at(-1)!
      assert.equal(seen.headers['user-agent'], 'probe/1.0')
      assert.equal(seen.headers.accept, 'text/x-own')
      // Node keeps the two lines; Bun and Deno hand the gateway one joined value (web/inbound.ts).
      assert.equal(seen.headers['x-rep'], 'a, b')
      assert.equal(seen.headers['x-latin'], 'caf\u00e9', 'the byte 0xE9 must arrive as that one byte (Bun fetch sent UTF-8)')
      assert.deepEqual([...new Set(lastNames())].sort(), ['accept', 'host', 'user-agent', 'x-latin', 'x-rep', ...FORWARDING].sort())
    })

    // Bun.serve passes DEL in a header value on to the app, and the gateway's client refuses to send
    // it; Node's and Deno's servers answer 400 themselves. Either way: 400, upstream untouched.
    test('a header value the client cannot send (DEL) is answered 400 and does not eject the upstream', async () => {
      const before = up.seen.length
      for (let i = 0; i < 3; i++) {
        const res = await rawRequest(gw.port, Buffer.from(`GET /bad HTTP/1.1\r\nHost: app.test\r\nX-Bad: a\x7fb\r\nConnection: close\r\n\r\n`, 'latin1'))
        assert.equal(res.status, 400, res.raw)
      }
      assert.equal(up.seen.length, before, 'a request with DEL in a header value reached the upstream')
      const ok = await rawRequest(gw.port, 'GET /after HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n')
      assert.equal(ok.status, 200, `the upstream was ejected: ${ok.raw}`)
    })

    test('a client that leaves mid-upload does not eject the upstream', async () => {
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve) => {
          const sock = connect(gw.port, '127.0.0.1', () => {
            sock.write('POST /upload HTTP/1.1\r\nHost: app.test\r\nContent-Length: 100000\r\n\r\n')
            sock.write(Buffer.alloc(40_000, 1))
            setTimeout(() => (sock.destroy(), resolve()), 150)
          })
          sock.on('error', () => {})
        })
      }
      await new Promise((r) => setTimeout(r, 200)) // the gateway notices the clients left
      const ok = await rawRequest(gw.port, 'GET /after-upload HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n')
      assert.equal(ok.status, 200, `the upstream was ejected: ${ok.raw}`)
    })
  })
}
