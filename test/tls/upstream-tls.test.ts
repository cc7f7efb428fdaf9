// https upstreams, on every runtime (the gateway CLI under Node, Bun and Deno): the gateway
// verifies the upstream's certificate against the CA it was told to trust (NODE_EXTRA_CA_CERTS
// for Node and Bun, DENO_CERT for Deno), keeps TLS connections alive, and moves megabytes both
// ways byte for byte; a certificate from an unknown CA is a 502, never a hang.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, request as httpsRequest, type Server } from 'node:https'
import { request } from 'node:http'
import { createTestCa, type TestCa } from '../support/certs.ts'
import { RUNTIMES, spawnGatewayUnder, type RuntimeGateway } from '../support/runtimes.ts'

const MB2 = Buffer.alloc(2 * 1024 * 1024)
for (let i = 0; i < MB2.length; i++) MB2[i] = (i * 7 + (i >> 10)) % 251
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

let ca: TestCa
let trusted: { server: Server; url: string; connections: () => number }
let unknown: { server: Server; url: string }

async function httpsUpstream(certs: { cert: string; key: string }) {
  let connections = 0
  const server = createServer({ cert: readFileSync(certs.cert), key: readFileSync(certs.key) }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.url === '/big') return res.end(MB2)
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ url: req.url, proto: req.headers['x-forwarded-proto'], bodySha: sha(Buffer.concat(chunks)), names: req.rawHeaders.filter((_, i) => i % 2 === 0) }))
    })
  })
  server.on('secureConnection', () => connections++)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, url: `https://localhost:${(server.address() as { port: number }).port}`, connections: () => connections }
}

before(async () => {
  ca = createTestCa('upstream-tls')
  trusted = await httpsUpstream(ca.issue('up', ['localhost']))
  const other = createTestCa('upstream-tls-other')
  unknown = await httpsUpstream(other.issue('up', ['localhost']))
  // Read by each runtime at start, so the spawned gateways trust exactly this CA.
  process.env.NODE_EXTRA_CA_CERTS = ca.caFile
  process.env.DENO_CERT = ca.caFile
})
after(async () => {
  trusted.server.closeAllConnections()
  unknown.server.closeAllConnections()
  await Promise.all([new Promise((r) => trusted.server.close(r)), new Promise((r) => unknown.server.close(r))])
})

const config = (port: number) => `import { defineConfig } from 'gatehouse'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  pools: {
    tls: { upstreams: ['${trusted.url}'] },
    untrusted: { upstreams: ['${unknown.url}'], retries: 0 },
  },
  routes: [{ host: 'untrusted.test', pool: 'untrusted' }, { pool: 'tls' }],
})
`

function send(gw: RuntimeGateway, path: string, opts: { host?: string; method?: string; body?: Buffer } = {}) {
  return new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    const req = request(`${gw.url}${path}`, { method: opts.method ?? 'GET', headers: { host: opts.host ?? 'app.test' } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

test('the upstreams are real TLS servers: a client without the CA is refused', async () => {
  await assert.rejects(
    new Promise((resolve, reject) => httpsRequest(`${trusted.url}/`, resolve).on('error', reject).end()),
    /unable to verify the first certificate|self-signed certificate in certificate chain|unable to get local issuer/,
  )
})

for (const runtime of RUNTIMES.filter((r) => !process.env.E2E_ONLY || process.env.E2E_ONLY.split(',').includes(r))) {
  describe(`https upstreams, on ${runtime}`, { timeout: 60_000 }, () => {
    let gw: RuntimeGateway
    before(async () => {
      gw = await spawnGatewayUnder(runtime, config, 'upstream-tls')
    })
    after(() => gw?.stop())

    test('a request is forwarded over verified TLS, connections kept alive', async () => {
      const before = trusted.connections()
      for (let i = 0; i < 20; i++) {
        const res = await send(gw, `/hello?i=${i}`)
        assert.equal(res.status, 200, res.body.toString() + gw.proc.tail())
        const seen = JSON.parse(res.body.toString())
        assert.equal(seen.url, `/hello?i=${i}`)
        assert.equal(seen.proto, 'http')
      }
      const opened = trusted.connections() - before
      assert.ok(opened >= 1 && opened <= 2, `20 sequential requests opened ${opened} TLS connections`)
    })

    test('2 MB each way, byte for byte', async () => {
      const up = await send(gw, '/upload', { method: 'POST', body: MB2 })
      assert.equal(up.status, 200)
      assert.equal(JSON.parse(up.body.toString()).bodySha, sha(MB2))
      const down = await send(gw, '/big')
      assert.equal(down.status, 200)
      assert.equal(down.body.length, MB2.length)
      assert.equal(sha(down.body), sha(MB2))
    })

    test('an upstream certificate from an unknown CA: 502', async () => {
      const res = await send(gw, '/', { host: 'untrusted.test' })
      assert.equal(res.status, 502, res.body.toString())
      console.log(`# ${runtime}: ${res.body.toString().trim()}`)
    })
  })
}
