// HTTP/2 from real clients through the gateway CLI under Node, Bun and Deno: curl --http2 over
// TLS (ALPN must show h2), curl --http2-prior-knowledge on a plain listener with listen.http2.h2c,
// a route's header rules applied to HTTP/2 requests, and h2load bounded (2000 requests, 10
// connections, 10 streams each) with 0 failed. Bun and Deno serve these listeners on their
// node:http2 layers (core/runtime/node-http2/); an h2c:// upstream is sent HTTP/2 from every kind
// of listener, an HTTP/1.1-only one (Bun.serve, Deno.serve) included.
// E2E_ONLY=node,deno runs some runtimes only, for debugging.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import http2 from 'node:http2'
import { createTestCa, type Leaf } from '../support/certs.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { freePort } from '../support/ports.ts'
import { requireBinary } from '../support/process.ts'
import { RUNTIMES, spawnGatewayUnder, type RuntimeGateway, type RuntimeName } from '../support/runtimes.ts'

const ca = createTestCa('h2')
let up: Upstream
/** An h2c upstream (node:http2): it says which HTTP version reached it. */
const h2up = http2.createServer((req, res) => {
  let bytes = 0
  req.on('data', (chunk: Buffer) => (bytes += chunk.length))
  req.on('end', () => res.end(`h2c upstream saw HTTP/${req.httpVersion} ${req.url}${bytes ? `, ${bytes} bytes` : ''}`))
})
before(async () => {
  up = await startUpstream(echo('app'))
  await new Promise<void>((r) => h2up.listen(0, '127.0.0.1', () => r()))
})
after(async () => {
  await up.close()
  h2up.close()
  ca.remove()
})
const h2upUrl = () => `h2c://127.0.0.1:${(h2up.address() as { port: number }).port}`

const exec = promisify(execFile)

/** curl -v: the status line's protocol, the headers, the body and what curl said of ALPN. */
async function curl(args: string[]): Promise<{ version: string; status: number; headers: Record<string, string>; body: string; alpn: string }> {
  const { stdout, stderr } = await exec('curl', ['-sS', '-v', '-i', '--cacert', ca.caFile, ...args], { timeout: 15_000 })
  const split = stdout.indexOf('\r\n\r\n')
  const [statusLine, ...lines] = stdout.slice(0, split).split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim()
  const [version, status] = statusLine!.split(' ')
  return { version: version!, status: Number(status), headers, body: stdout.slice(split + 4), alpn: stderr.split('\n').filter((l) => l.includes('ALPN')).join('\n') }
}

/** h2load, bounded in count; returns its counts. */
async function h2load(url: string, extra: string[] = []): Promise<{ succeeded: number; failed: number; errored: number; out: string }> {
  const { stdout } = await exec(requireBinary('h2load'), ['-n', '2000', '-c', '10', '-m', '10', '-T', '30', ...extra, url], { timeout: 90_000 })
  const m = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(stdout)
  assert.ok(m, stdout)
  assert.match(stdout, /status codes: 2000 2xx/)
  return { succeeded: Number(m[1]), failed: Number(m[2]), errored: Number(m[3]), out: stdout }
}

const routes = `routes: [{ host: 'app.test', path: '/api/*', pool: 'app', requestHeaders: { set: { 'x-via': 'gatehouse-h2' } }, responseHeaders: { set: { 'x-rule': 'applied' } } }],`

const only = process.env.E2E_ONLY?.split(',')
for (const runtime of RUNTIMES.filter((r) => !only || only.includes(r))) {
  describe(`HTTP/2 on ${runtime}`, { timeout: 240_000 }, () => {
    let tlsGw: RuntimeGateway
    let tlsPort: number
    let leaf: Leaf
    before(async () => {
      leaf = ca.issue(`app-${runtime}`, ['app.test'])
      tlsPort = await freePort()
      // The health check of spawnGatewayUnder goes to its port: the plain-HTTP redirect listener.
      tlsGw = await spawnGatewayUnder(runtime, (httpPort) => `import { defineConfig } from 'gatehouse'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${tlsPort}, tls: { certificates: [{ cert: '${leaf.cert}', key: '${leaf.key}' }], redirectHttp: { port: ${httpPort} } } },
  pools: { app: { upstreams: ['${up.url}'] }, h2up: { upstreams: ['${h2upUrl()}'], retries: 0 } },
  routes: [{ host: 'app.test', path: '/h2up/*', pool: 'h2up' }, ${routes.slice('routes: ['.length)}
})
`, 'h2tls')
    })
    after(() => tlsGw?.stop())

    const tlsUrl = (path: string) => `https://app.test:${tlsPort}${path}`
    const resolve = () => ['--resolve', `app.test:${tlsPort}:127.0.0.1`]

    test('curl --http2 over TLS: ALPN h2, routed, header rules applied both ways', async () => {
      const res = await curl(['--http2', ...resolve(), tlsUrl('/api/x?q=1')])
      assert.match(res.alpn, /server accepted h2/)
      assert.equal(res.version, 'HTTP/2')
      assert.equal(res.status, 200, res.body)
      assert.equal(res.headers['x-rule'], 'applied')
      const seen = JSON.parse(res.body)
      assert.equal(seen.url, '/api/x?q=1')
      assert.equal(seen.headers['x-via'], 'gatehouse-h2')
      assert.equal(seen.headers.host, `app.test:${tlsPort}`) // from :authority
      assert.equal(seen.headers['x-forwarded-proto'], 'https')
      // Not routed: the gateway's own 404, over HTTP/2 too.
      assert.equal((await curl(['--http2', ...resolve(), tlsUrl('/elsewhere')])).status, 404)
      // HTTP/1.1 clients on the same listener as before.
      assert.equal((await curl(['--http1.1', ...resolve(), tlsUrl('/api/y')])).version, 'HTTP/1.1')
    })

    test('h2load over TLS (2000 requests, 10 connections × 10 streams): 0 failed', async () => {
      const r = await h2load(tlsUrl('/api/load'), ['-H', ':authority: app.test', '--connect-to', `127.0.0.1:${tlsPort}`])
      assert.equal(r.failed + r.errored, 0, r.out)
      assert.equal(r.succeeded, 2000, r.out)
    })

    test('an h2c:// upstream is sent HTTP/2, from an HTTP/2 client and from an HTTP/1.1 one', async () => {
      for (const version of ['--http2', '--http1.1']) {
        const res = await curl([version, ...resolve(), tlsUrl('/h2up/x')])
        assert.equal(res.status, 200, res.body)
        assert.equal(res.body, 'h2c upstream saw HTTP/2.0 /h2up/x')
      }
    })

    test("an HTTP/1.1-only listener (the runtime's own server) sends an h2c:// upstream HTTP/2 too, bodies both ways", async () => {
      const gw = await spawnGatewayUnder(runtime, (port) => `import { defineConfig } from 'gatehouse'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  pools: { h2up: { upstreams: ['${h2upUrl()}'], retries: 0 } },
  routes: [{ path: '/h2up/*', pool: 'h2up' }],
})
`, 'h1-to-h2c')
      try {
        const res = await curl(['--http1.1', `http://127.0.0.1:${gw.port}/h2up/plain`])
        assert.equal(res.status, 200, res.body)
        assert.equal(res.body, 'h2c upstream saw HTTP/2.0 /h2up/plain')
        const posted = await curl(['--http1.1', '--data-binary', 'x'.repeat(100_000), `http://127.0.0.1:${gw.port}/h2up/echo`])
        assert.equal(posted.status, 200, posted.body)
        assert.equal(posted.body, 'h2c upstream saw HTTP/2.0 /h2up/echo, 100000 bytes')
      } finally {
        await gw.stop()
      }
    })

    describe('h2c (prior knowledge) on a plain listener', () => {
      let gw: RuntimeGateway | undefined
      let refusal: string | undefined
      before(async () => {
        try {
          gw = await spawnGatewayUnder(runtime, (port) => `import { defineConfig } from 'gatehouse'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port}, http2: { h2c: true } },
  pools: { app: { upstreams: ['${up.url}'] } },
  ${routes}
})
`, 'h2c')
        } catch (err) {
          refusal = (err as Error).message
        }
      })
      after(() => gw?.stop())

      test('curl --http2-prior-knowledge: routed, rules applied; HTTP/1.1 still served on the same port', async () => {
        assert.equal(refusal, undefined)
        const res = await curl(['--http2-prior-knowledge', '-H', 'host: app.test', `http://127.0.0.1:${gw!.port}/api/z`])
        assert.equal(res.version, 'HTTP/2')
        assert.equal(res.status, 200, res.body)
        assert.equal(res.headers['x-rule'], 'applied')
        assert.equal(JSON.parse(res.body).headers['x-via'], 'gatehouse-h2')
        assert.equal(JSON.parse(res.body).headers['x-forwarded-proto'], 'http')
        const h1 = await curl(['--http1.1', '-H', 'host: app.test', `http://127.0.0.1:${gw!.port}/api/z`])
        assert.equal(h1.version, 'HTTP/1.1')
        assert.equal(h1.status, 200)
      })

      test('h2load h2c (2000 requests, 10 connections × 10 streams): 0 failed', async () => {
        const r = await h2load(`http://127.0.0.1:${gw!.port}/api/load`, ['-H', ':authority: app.test'])
        assert.equal(r.failed + r.errored, 0, r.out)
        assert.equal(r.succeeded, 2000, r.out)
      })
    })
  })
}
