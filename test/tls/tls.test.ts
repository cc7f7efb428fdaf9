// HTTPS at the edge on every runtime: the gateway CLI runs under Node, Bun and Deno with
// certificates made by a private CA (real `openssl`), and real `curl` checks them (--cacert:
// the chain and the name must verify). Certificates by SNI, HSTS on HTTPS only, the HTTP → HTTPS
// redirect listener, and certificate files replaced while the gateway runs.
// E2E_ONLY=bun,deno runs some runtimes only, for debugging.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { renameSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { connect } from 'node:net'
import { promisify } from 'node:util'
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws'
import { createTestCa, presentedCertificate, type Leaf } from '../support/certs.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { freePort } from '../support/ports.ts'
import { waitFor } from '../support/process.ts'
import { RUNTIMES, spawnGatewayUnder, type RuntimeGateway, type RuntimeName } from '../support/runtimes.ts'

const ca = createTestCa('tls')
let up: Upstream
let wsEcho: WebSocketServer

before(async () => {
  wsEcho = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise((r) => wsEcho.once('listening', r))
  wsEcho.on('connection', (ws, req) => ws.on('message', (m) => ws.send(`echo ${m} (${req.headers['x-forwarded-proto']})`)))
  up = await startUpstream((req, res, body) => (req.url === '/slow' ? setTimeout(() => echo('app')(req, res, body), 1500) : echo('app')(req, res, body)))
})
after(async () => {
  await up.close()
  for (const c of wsEcho.clients) c.terminate()
  await new Promise((r) => wsEcho.close(r))
  ca.remove()
})

interface CurlReply {
  status: number
  headers: Record<string, string>
  body: string
}

/** curl with the test CA, `host` resolved to 127.0.0.1. */
async function curl(url: string, extra: string[] = []): Promise<CurlReply> {
  const { hostname, port } = new URL(url)
  let { stdout } = await promisify(execFile)('curl', ['-sS', '-i', '--cacert', ca.caFile, '--resolve', `${hostname}:${port}:127.0.0.1`, ...extra, url], { timeout: 15_000 })
  let split = stdout.indexOf('\r\n\r\n')
  while (stdout.startsWith('HTTP/', split + 4)) {
    // -L: the redirect's head, then the final response's
    stdout = stdout.slice(split + 4)
    split = stdout.indexOf('\r\n\r\n')
  }
  const [statusLine, ...lines] = stdout.slice(0, split).split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim()
  return { status: Number(statusLine!.split(' ')[1]), headers, body: stdout.slice(split + 4) }
}

const config = (httpsPort: number, httpPort: number, a: Leaf, b: Leaf, wild: Leaf, http2: boolean) => `import { defineConfig } from 'gatehouse'
export default defineConfig({
  listen: {
    host: '127.0.0.1',
    port: ${httpsPort},
    tls: {
      certificates: [
        { cert: '${a.cert}', key: '${a.key}' },
        { cert: '${b.cert}', key: '${b.key}' },
        { cert: '${wild.cert}', key: '${wild.key}' },
      ],
      redirectHttp: { port: ${httpPort} },
      hsts: { maxAge: '180d', includeSubDomains: true },
    },
    http2: { enabled: ${http2} },
  },
  limits: { headerTimeout: '2s' },
  pools: { app: { upstreams: ['${up.url}'] }, ws: { upstreams: ['http://127.0.0.1:${(wsEcho.address() as { port: number }).port}'] } },
  routes: [{ host: ['a.test', 'b.test', '*.wild.test'], pool: 'app' }, { host: 'a.test', path: '/ws', pool: 'ws' }],
})
`

/**
 * An HTTPS listener offers HTTP/2 by default, and on Bun such a listener runs on Bun's node:tls
 * layer as on Node (core/runtime/node-http2/): certificates are swapped in place and open
 * connections keep theirs, and headerTimeout bounds the handshake. Bun.serve (Bun with
 * `http2: { enabled: false }`) and Deno.serve cannot swap: a new server takes the port, idle
 * keep-alive connections are closed; Bun.serve bounds the handshake at its own ~10 s, Deno.serve
 * not at all (test/security/limits.test.ts).
 */
const IDLE_CONNECTIONS_SURVIVE_RELOAD = { node: true, bun: true, deno: false, 'bun, HTTP/1.1 only': false }

/** headerTimeout is 2 s here. */
const HANDSHAKE_WINDOW_MS: Record<string, [number, number] | undefined> = { node: [1_900, 4_000], bun: [1_900, 4_000], deno: undefined, 'bun, HTTP/1.1 only': [8_000, 16_000] }

const only = process.env.E2E_ONLY?.split(',')
// Bun twice: HTTP/2 on (the default: its node:tls layer) and off (Bun.serve).
const runs: [RuntimeName, boolean][] = RUNTIMES.filter((r) => !only || only.includes(r)).flatMap((r): [RuntimeName, boolean][] => (r === 'bun' ? [[r, true], [r, false]] : [[r, true]]))
for (const [runtime, http2] of runs) {
  const variant = (http2 ? runtime : `${runtime}, HTTP/1.1 only`) as keyof typeof IDLE_CONNECTIONS_SURVIVE_RELOAD
  const slug = http2 ? runtime : `${runtime}-h1`
  describe(`TLS on ${variant}`, { timeout: 120_000 }, () => {
    let gw: RuntimeGateway
    let port: number
    let a: Leaf
    const b = ca.issue(`b-${slug}`, ['b.test'])
    const wild = ca.issue(`wild-${slug}`, ['*.wild.test'])

    before(async () => {
      a = ca.issue(`a-${slug}`, ['a.test'])
      port = await freePort()
      // The health check of spawnGatewayUnder goes to its port: the plain-HTTP redirect listener.
      gw = await spawnGatewayUnder(runtime, (httpPort) => config(port, httpPort, a, b, wild, http2), 'tls')
    })
    after(() => gw?.stop())

    test('each name gets its own certificate (SNI); curl verifies it and the request is proxied as https', async () => {
      for (const [host, leaf] of [['a.test', a], ['b.test', b], ['x.wild.test', wild]] as const) {
        const res = await curl(`https://${host}:${port}/hello?q=1`)
        assert.equal(res.status, 200, res.body)
        const seen = JSON.parse(res.body)
        assert.equal(seen.url, '/hello?q=1')
        assert.equal(seen.headers['x-forwarded-proto'], 'https')
        assert.equal(seen.headers.host, `${host}:${port}`)
        const cert = await presentedCertificate(port, host)
        assert.equal(cert.serial, leaf.serial, `${host} got ${cert.subject}`)
      }
      // No SNI, or a name no certificate lists: the first certificate is the default.
      assert.equal((await presentedCertificate(port)).serial, a.serial)
      assert.equal((await presentedCertificate(port, 'unknown.test')).serial, a.serial)
    })

    test('HSTS on HTTPS responses (proxied and the gateway\'s own), never on plain HTTP', async () => {
      const hsts = 'max-age=15552000; includeSubDomains'
      assert.equal((await curl(`https://a.test:${port}/`)).headers['strict-transport-security'], hsts)
      const notFound = await curl(`https://unknown.test:${port}/`, ['-k'])
      assert.equal(notFound.status, 404)
      assert.equal(notFound.headers['strict-transport-security'], hsts)
      const health = await curl(`https://a.test:${port}/__gatehouse/health`)
      assert.equal(health.headers['strict-transport-security'], hsts)
      const plain = await curl(`http://a.test:${gw.port}/`)
      assert.equal(plain.headers['strict-transport-security'], undefined)
    })

    test('plain HTTP is redirected with 308 to the same host and path on https; the health path answers', async () => {
      const res = await curl(`http://a.test:${gw.port}/some/path?x=1&y=%2F`)
      assert.equal(res.status, 308)
      assert.equal(res.headers.location, `https://a.test:${port}/some/path?x=1&y=%2F`)
      const post = await curl(`http://b.test:${gw.port}/form`, ['-X', 'POST', '--data', 'a=1'])
      assert.equal(post.status, 308, '308 keeps the method, unlike 301')
      assert.equal(post.headers.location, `https://b.test:${port}/form`)
      const health = await curl(`http://a.test:${gw.port}/__gatehouse/health`)
      assert.equal(health.status, 200)
      assert.equal(health.body, 'ok\n')
      const followed = await curl(`http://a.test:${gw.port}/followed`, ['-L', '--resolve', `a.test:${port}:127.0.0.1`])
      assert.equal(followed.status, 200)
      assert.equal(JSON.parse(followed.body).headers['x-forwarded-proto'], 'https')
    })

    test('a WebSocket over TLS (wss) is proxied', async () => {
      const tlsOptions = { ca: ca.caPem, servername: 'a.test', headers: { host: `a.test:${port}` } } // passed on to tls.connect
      const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, tlsOptions as ClientOptions)
      const reply = await new Promise<string>((resolve, reject) => {
        ws.once('open', () => ws.send('hi'))
        ws.once('message', (m) => resolve(String(m)))
        ws.once('error', reject)
      })
      ws.close()
      assert.equal(reply, 'echo hi (https)')
    })

    test('a client that never starts the TLS handshake is closed after headerTimeout', { skip: !HANDSHAKE_WINDOW_MS[variant] && 'Deno.serve has no such timeout (README: Runtimes)' }, async () => {
      const [min, max] = HANDSHAKE_WINDOW_MS[variant]!
      const ms = await new Promise<number>((resolve) => {
        const t0 = Date.now()
        const sock = connect({ host: '127.0.0.1', port })
        sock.on('close', () => resolve(Date.now() - t0))
        sock.on('error', () => {})
        setTimeout(() => sock.destroy(), max + 3_000)
      })
      console.log(`# ${variant}: silent TLS client closed after ${ms} ms`)
      assert.ok(ms >= min && ms <= max, `closed after ${ms} ms, expected ${min}–${max}`)
    })

    test('replaced certificate files are served within two seconds, without a restart; open connections keep working', async () => {
      const idle = new Agent({ keepAlive: true, maxSockets: 1, ca: ca.caPem })
      const busy = new Agent({ ca: ca.caPem })
      const get = (agent: Agent, path: string) =>
        new Promise<{ status: number; reused: boolean; serial: string }>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port, servername: 'a.test', headers: { host: 'a.test' }, path, agent }, (res) => {
            const serial = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().serialNumber.replace(/^0+/, '')
            res.resume()
            res.on('end', () => resolve({ status: res.statusCode!, reused: req.reusedSocket, serial }))
          })
          req.on('error', reject)
          req.end()
        })
      try {
        const first = await get(idle, '/kept')
        assert.equal(first.serial, a.serial)
        const before = a.serial
        const inFlight = get(busy, '/slow') // the upstream answers after 1.5 s, across the change
        await new Promise((r) => setTimeout(r, 200))
        const t0 = Date.now()
        a = ca.issue(`a-${slug}`, ['a.test']) // new key and certificate, renamed over the old files
        await waitFor(async () => (await presentedCertificate(port, 'a.test')).serial === a.serial, { timeoutMs: 3_000, intervalMs: 50, what: 'the new certificate' })
        const ms = Date.now() - t0
        console.log(`# ${variant}: new certificate served ${ms} ms after the files were replaced`)
        assert.ok(ms < 2_000, `took ${ms} ms`)
        assert.notEqual(a.serial, before)
        const slow = await inFlight
        assert.equal(slow.status, 200, 'a request in flight during the change was cut')
        assert.equal(slow.serial, before)
        const again = await get(idle, '/kept')
        assert.equal(again.status, 200)
        if (IDLE_CONNECTIONS_SURVIVE_RELOAD[variant]) {
          assert.equal(again.reused, true, 'the idle keep-alive connection was closed')
          assert.equal(again.serial, before, 'an open connection keeps the certificate it shook hands with')
        } else {
          assert.equal(again.serial, a.serial)
        }
        assert.equal((await curl(`https://a.test:${port}/`)).status, 200)
      } finally {
        idle.destroy()
        busy.destroy()
      }
    })

    test('a key that does not match is rejected; the last good certificate keeps serving until the files agree', async () => {
      const stray = ca.strayKey(`stray-${slug}`)
      renameSync(stray, a.key)
      await new Promise((r) => setTimeout(r, 600))
      assert.equal((await presentedCertificate(port, 'a.test')).serial, a.serial)
      assert.equal((await curl(`https://a.test:${port}/`)).status, 200)
      assert.match(gw.proc.tail(20), /certificates from certificateFiles: rejected/)
      a = ca.issue(`a-${slug}`, ['a.test'])
      await waitFor(async () => (await presentedCertificate(port, 'a.test')).serial === a.serial, { timeoutMs: 3_000, intervalMs: 50, what: 'the repaired certificate' })
    })
  })
}
