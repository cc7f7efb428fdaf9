// h2:// upstreams end to end: HTTP/2 over TLS (ALPN) to a grpc-js server with TLS credentials and
// to a node:http2 secure server that also speaks HTTP/1.1 (so it can tell which one it got). The
// gateway CLI under Node, Bun and Deno (HTTP/2 upstreams go through node:http2's client on each,
// core/runtime/node-http2/h2-client.ts), trusting the test CA as upstream-tls.test.ts does:
// NODE_EXTRA_CA_CERTS for Node and Bun, DENO_CERT for Deno. A gRPC client reaches it over h2c.
// E2E_ONLY=node,deno runs some runtimes only, for debugging.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import http2 from 'node:http2'
import * as grpc from '@grpc/grpc-js'
import { createTestCa, type TestCa } from '../support/certs.ts'
import { freePort } from '../support/ports.ts'
import { waitFor } from '../support/process.ts'
import { RUNTIMES, spawnGatewayUnder, type RuntimeGateway } from '../support/runtimes.ts'
import { echoClient, startGrpcUpstream, type GrpcUpstream, type Msg } from './grpc-upstream.ts'
import type { PoolView } from '../../core/types.ts'

let ca: TestCa
let grpcTls: GrpcUpstream
let web: { server: http2.Http2SecureServer; port: number }
let untrusted: { server: http2.Http2SecureServer; port: number }

/** Answers with the HTTP version and ALPN protocol it was spoken to with. */
async function versionServer(certs: { cert: string; key: string }) {
  const server = http2.createSecureServer({ cert: readFileSync(certs.cert), key: readFileSync(certs.key), allowHTTP1: true }, (req, res) => {
    const alpn = (req.socket as { alpnProtocol?: string | false }).alpnProtocol
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ httpVersion: req.httpVersion, alpn, path: req.url, via: req.headers['x-forwarded-proto'] }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, port: (server.address() as { port: number }).port }
}

before(async () => {
  ca = createTestCa('h2-upstream')
  const certs = ca.issue('up', ['localhost', '127.0.0.1'])
  grpcTls = await startGrpcUpstream('tls', { health: true, tls: certs })
  web = await versionServer(certs)
  untrusted = await versionServer(createTestCa('h2-upstream-other').issue('up', ['localhost']))
  process.env.NODE_EXTRA_CA_CERTS = ca.caFile // read by the gateway process at start
  process.env.DENO_CERT = ca.caFile
})
after(async () => {
  await grpcTls?.close()
  for (const s of [web, untrusted]) s?.server.close()
  ca?.remove()
})

const only = process.env.E2E_ONLY?.split(',')
for (const runtime of RUNTIMES.filter((r) => !only || only.includes(r))) {
  describe(`h2:// upstreams on ${runtime}`, { timeout: 120_000 }, () => {
    let gw: RuntimeGateway
    let adminPort: number
    before(async () => {
      adminPort = await freePort()
      gw = await spawnGatewayUnder(
        runtime,
        (port) => `import { defineConfig } from 'gatehouse'
import { activeHealth } from 'gatehouse/plugins/active-health'
import { admin } from 'gatehouse/plugins/admin'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port}, http2: { h2c: true } },
  observe: [admin({ listen: { port: ${adminPort} }, dashboard: false })],
  pools: {
    grpc: { upstreams: ['h2://127.0.0.1:${grpcTls.port}'], health: activeHealth({ grpc: true, interval: '200ms', rise: 1, fall: 1 }) },
    web: { upstreams: ['h2://localhost:${web.port}'] },
    // The pool names the protocol for an https:// URL.
    webByPool: { upstreams: ['https://localhost:${web.port}'], protocol: 'h2' },
    untrusted: { upstreams: ['h2://localhost:${untrusted.port}'], retries: 0 },
  },
  routes: [
    { path: '/gatehouse.test.Echo/*', pool: 'grpc' },
    { host: 'by-pool.test', pool: 'webByPool' },
    { host: 'untrusted.test', pool: 'untrusted' },
    { pool: 'web' },
  ],
})
`,
        'h2-upstream',
      )
    })
    after(() => gw?.stop())

    const get = async (path: string, host = 'app.test') => {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const session = http2.connect(gw.url)
        session.on('error', reject)
        const stream = session.request({ ':path': path, ':authority': host })
        let status = 0
        let body = ''
        stream.on('response', (h) => (status = Number(h[':status'])))
        stream.on('data', (c: Buffer) => (body += c))
        stream.on('end', () => (session.close(), resolve({ status, body })))
        stream.on('error', reject)
      })
      return res
    }

    test('an HTTP request reaches an h2:// upstream as HTTP/2 over TLS (ALPN h2), by name (SNI) and with the pool naming it', async () => {
      for (const host of ['app.test', 'by-pool.test']) {
        const res = await get('/hello?x=1', host)
        assert.equal(res.status, 200, `${host}: ${res.body}\n${gw.proc.tail()}`)
        assert.deepEqual(JSON.parse(res.body), { httpVersion: '2.0', alpn: 'h2', path: '/hello?x=1', via: 'http' }, host)
      }
    })

    test('a gRPC unary call passes through to a grpc-js server with TLS credentials, and its error status too', async () => {
      const client = echoClient(`127.0.0.1:${gw.port}`)
      const before = grpcTls.calls.Unary ?? 0
      try {
        const call = (text: string) =>
          new Promise<Msg>((resolve, reject) => client.Unary({ text, count: 0, delay_ms: 0 }, (err: grpc.ServiceError | null, m: Msg) => (err ? reject(err) : resolve(m))))
        if (runtime === 'deno') {
          // Deno.serve cannot send trailers: the call is refused with the reason, and never forwarded (README: HTTP/2 and gRPC).
          await assert.rejects(call('over tls'), (err: grpc.ServiceError) => err.code === grpc.status.UNIMPLEMENTED && /trailers/.test(err.details))
          assert.equal((grpcTls.calls.Unary ?? 0) - before, 0)
          return
        }
        assert.equal((await call('over tls')).text, 'tls: over tls')
        await assert.rejects(call('fail'), (err: grpc.ServiceError) => err.code === grpc.status.NOT_FOUND && err.details === 'no such thing at tls')
        assert.equal(grpcTls.calls.Unary! - before, 2)
      } finally {
        client.close()
      }
    })

    test('the gRPC health check speaks h2 over TLS to it too', async () => {
      const origin = `https://127.0.0.1:${grpcTls.port}`
      await waitFor(
        async () => {
          const { pools } = (await (await fetch(`http://127.0.0.1:${adminPort}/api/pools`)).json()) as { pools: PoolView[] }
          return pools.find((p) => p.name === 'grpc')?.upstreams.find((u) => u.url === origin)?.lastCheck?.detail === 'SERVING'
        },
        { timeoutMs: 5000, intervalMs: 50, what: 'the TLS upstream checked SERVING' },
      )
      assert.ok(grpcTls.healthChecks['']! >= 1)
    })

    test('an h2:// upstream whose certificate the gateway does not trust is a 502, not a hang', async () => {
      const started = Date.now()
      const res = await get('/', 'untrusted.test')
      assert.equal(res.status, 502, res.body)
      assert.ok(Date.now() - started < 5000)
    })
  })
}
