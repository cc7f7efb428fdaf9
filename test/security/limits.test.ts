// Limits against abusive clients, on every runtime (the gateway CLI under Node, Bun and Deno):
// header size and count (431), a long request line (431), a route's body size (413, and the
// upstream gets nothing when the length is declared), a client trickling its headers
// (slow-loris), idle keep-alive connections. Raw sockets, since a client library would refuse to
// send most of this. Each runtime's plain listener, and its h2c and TLS listeners (on Bun and Deno those run
// Node's serving code on the runtime's node:http layer: test/support/listener-variants.ts).
// E2E_ONLY=bun,bun:tls runs some variants only, for debugging.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { rawConnect, rawRequest as send, type RawTls } from '../support/raw-http.ts'
import { startUpstream, type Upstream } from '../support/http-upstream.ts'
import { listenerVariants, spawnVariant, type ListenerVariant, type VariantGateway } from '../support/listener-variants.ts'

/** What each upstream request delivered: the body bytes it got, and whether the body ended. */
const uploads: { url: string; bytes: number; complete: boolean }[] = []
let up: Upstream

before(async () => {
  up = await startUpstream(() => {}, {
    streamBody(req, res) {
      const record = { url: req.url!, bytes: 0, complete: false }
      uploads.push(record)
      req.on('data', (c: Buffer) => (record.bytes += c.length))
      req.on('end', () => {
        record.complete = true
        const answer = () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`got ${record.bytes}\n`)
        if (req.url === '/slow') setTimeout(answer, 2_500)
        else answer()
      })
    },
  })
})
after(() => up.close())

const config = (listen: string) => `import { defineConfig } from 'gatehouse'
export default defineConfig({
  listen: ${listen},
  limits: { maxHeaderBytes: '8kb', maxHeaderCount: 50, headerTimeout: '1s', idleTimeout: '1s' },
  pools: { app: { upstreams: ['${up.url}'] } },
  routes: [
    { path: '/upload/*', pool: 'app', maxBodySize: '1kb' },
    { path: '/*', pool: 'app' },
  ],
})
`

/**
 * What a variant expects, by its key (`bun`, `bun:tls` …): a listener on Node's serving code that
 * the table does not name expects what Node's does (`node`).
 */
function expected<T>(table: Record<string, T>, v: ListenerVariant): T {
  if (v.key in table) return table[v.key]!
  return v.nodeLayer ? table.node! : table[v.runtime]!
}

/**
 * Above a runtime's own hard limit its own parser answers first: Node and Bun with 431, Deno
 * (hyper) with 400 above ~64 KB of head. Deno's node:http parser (its h2c and TLS listeners) now
 * and then reports such a head as a generic parse error (HPE_ERROR, ~1 in 60 on Deno 2.9.5, also
 * before the gateway answers anything itself), which gets Node's 400: refused either way.
 */
const HUGE_HEAD_STATUS: Record<string, number | readonly number[]> = { node: 431, bun: 431, deno: 400 }

/**
 * Slow-loris on Bun: Bun closes a connection whose request head is not complete ~10 s after it
 * opened (checked on a 4 s tick), whatever `limits.headerTimeout` says. Deno.serve has no
 * header-read timeout at all, and none can be added from outside it.
 */
const HEADER_TIMEOUT_WINDOW_MS: Record<string, [number, number] | undefined> = { node: [900, 3_000], bun: [8_000, 16_000], deno: undefined }
/** Bun counts idle time in whole seconds, checked on a coarse tick. Deno.serve has no idle timeout. */
const IDLE_WINDOW_MS: Record<string, [number, number] | undefined> = { node: [900, 3_000], bun: [900, 6_000], deno: undefined }
const NO_TIMEOUTS = 'Deno.serve has no header-read or keep-alive idle timeout (README: Runtimes)'


const H = 'Host: app.test\r\n'
const head = (line: string, headers = '') => `${line}\r\n${H}${headers}Connection: close\r\n\r\n`
const lines = (n: number) => Array.from({ length: n }, (_, i) => `X-Header-${i}: ${i}\r\n`).join('')

/** Opens a connection, runs `drive(socket)`, resolves with how long until the gateway closed it and what it answered. */
function watchClose(port: number, drive: (write: (s: string) => void) => () => void, giveUpMs: number, tls?: RawTls): Promise<{ ms: number; first: string }> {
  return new Promise((resolve) => {
    const t0 = Date.now()
    const sock = rawConnect(port, tls)
    let got = ''
    let stop = () => {}
    const done = (ms: number) => {
      clearTimeout(timer)
      stop()
      sock.destroy()
      resolve({ ms, first: got.split('\r\n')[0] ?? '' })
    }
    const timer = setTimeout(() => done(Infinity), giveUpMs)
    sock.once(tls ? 'secureConnect' : 'connect', () => (stop = drive((s) => void (!sock.destroyed && sock.write(s)))))
    sock.on('data', (d) => (got += d.toString('latin1')))
    sock.on('close', () => done(Date.now() - t0))
    sock.on('error', () => {})
  })
}

for (const variant of listenerVariants()) {
  const runtime = variant.key
  describe(`limits on ${variant.title}`, { timeout: 120_000 }, () => {
    let gw: VariantGateway
    const rawRequest = (port: number, bytes: string, timeoutMs?: number) => send(port, bytes, timeoutMs, { tls: gw.tls })
    const watch = (drive: Parameters<typeof watchClose>[1], giveUpMs: number) => watchClose(gw.port, drive, giveUpMs, gw.tls)
    before(async () => {
      gw = await spawnVariant(variant, config, 'limits')
    })
    after(() => gw?.stop())

    test('request headers over maxHeaderBytes → 431, under it → 200; the upstream gets nothing', async () => {
      const before = uploads.length
      for (const [size, status] of [[10_000, 431], [20_000, 431], [100_000, expected(HUGE_HEAD_STATUS, variant)]] as const) {
        const res = await rawRequest(gw.port, head('GET /h HTTP/1.1', `X-Big: ${'a'.repeat(size)}\r\n`))
        assert.ok(([] as number[]).concat(status).includes(res.status), `${size} bytes of header: ${res.head || '(no answer)'}`)
      }
      assert.equal(uploads.length, before, 'the upstream received a request')
      assert.equal((await rawRequest(gw.port, head('GET /h HTTP/1.1', `X-Big: ${'a'.repeat(6_000)}\r\n`))).status, 200)
    })

    test('more header lines than maxHeaderCount → 431', async () => {
      const before = uploads.length
      const res = await rawRequest(gw.port, head('GET /h HTTP/1.1', lines(60)))
      assert.equal(res.status, 431, res.head)
      assert.equal(uploads.length, before, 'the upstream received a request')
      assert.equal((await rawRequest(gw.port, head('GET /h HTTP/1.1', lines(40)))).status, 200)
    })

    test('a request line longer than maxHeaderBytes → 431', async () => {
      const res = await rawRequest(gw.port, head(`GET /${'p'.repeat(10_000)} HTTP/1.1`))
      assert.equal(res.status, 431, res.head)
      assert.equal((await rawRequest(gw.port, head(`GET /${'p'.repeat(4_000)} HTTP/1.1`))).status, 200)
    })

    test('a declared body over the route\'s maxBodySize → 413 before any upstream is contacted', async () => {
      const before = uploads.length
      const res = await rawRequest(gw.port, `POST /upload/big HTTP/1.1\r\n${H}Content-Length: 5000\r\n\r\n${'x'.repeat(5000)}`)
      assert.equal(res.status, 413, res.head)
      assert.match(res.head, /\r\nconnection: close/i)
      assert.equal(uploads.length, before, 'the upstream received a request')
      const ok = await rawRequest(gw.port, `POST /upload/small HTTP/1.1\r\n${H}Content-Length: 1000\r\nConnection: close\r\n\r\n${'x'.repeat(1000)}`)
      assert.equal(ok.status, 200)
      assert.deepEqual(uploads.at(-1), { url: '/upload/small', bytes: 1000, complete: true })
      // Another route has no limit.
      assert.equal((await rawRequest(gw.port, `POST /other HTTP/1.1\r\n${H}Content-Length: 5000\r\nConnection: close\r\n\r\n${'x'.repeat(5000)}`)).status, 200)
    })

    test('a chunked body is cut once it passes maxBodySize: the upstream never gets the rest, the client gets 413', async () => {
      const before = uploads.length
      const chunk = `200\r\n${'y'.repeat(0x200)}\r\n`
      const res = await watch((write) => {
        write(`POST /upload/chunked HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n`)
        let sent = 0
        const timer = setInterval(() => (++sent <= 16 ? write(chunk) : write('0\r\n\r\n')), 50)
        return () => clearInterval(timer)
      }, 10_000)
      assert.ok(res.ms < 10_000, 'the connection was never closed')
      assert.match(res.first, /^HTTP\/1\.1 413/)
      await new Promise((r) => setTimeout(r, 200))
      for (const u of uploads.slice(before)) {
        assert.equal(u.complete, false, 'the upstream received a complete body')
        assert.ok(u.bytes <= 1024, `the upstream received ${u.bytes} bytes`)
      }
    })

    test('slow-loris: a client trickling its request head is closed after headerTimeout; so is a silent one', { skip: !expected(HEADER_TIMEOUT_WINDOW_MS, variant) && NO_TIMEOUTS }, async () => {
      const [min, max] = expected(HEADER_TIMEOUT_WINDOW_MS, variant)!
      const trickle = watch((write) => {
        write('GET / HTTP/1.1\r\nHost: app.test\r\n')
        const timer = setInterval(() => write('X-Slow: 1\r\n'), 200)
        return () => clearInterval(timer)
      }, max + 5_000)
      const silent = watch(() => () => {}, max + 5_000)
      for (const [what, res] of [['trickling', await trickle], ['silent', await silent]] as const) {
        console.log(`# ${runtime}: ${what} client closed after ${res.ms} ms ${res.first ? `(${res.first})` : '(no answer)'}`)
        assert.ok(res.ms >= min && res.ms <= max, `${what} client closed after ${res.ms} ms, expected ${min}–${max}`)
      }
    })

    test('an idle keep-alive connection is closed after idleTimeout', { skip: !expected(IDLE_WINDOW_MS, variant) && NO_TIMEOUTS }, async () => {
      const [min, max] = expected(IDLE_WINDOW_MS, variant)!
      const idle = await watch((write) => (write(`GET /idle HTTP/1.1\r\n${H}\r\n`), () => {}), max + 5_000)
      console.log(`# ${runtime}: idle keep-alive connection closed after ${idle.ms} ms`)
      assert.match(idle.first, /^HTTP\/1\.1 200/)
      assert.ok(idle.ms >= min && idle.ms <= max, `closed after ${idle.ms} ms, expected ${min}–${max}`)
    })

    test('a response slower than headerTimeout and idleTimeout is not cut', async () => {
      const slow = await rawRequest(gw.port, `GET /slow HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, 6_000)
      assert.equal(slow.status, 200, 'a response taking 2.5 s was cut')
    })
  })
}
