// The end-to-end proxy suite on every runtime (DESIGN.md §7): the gateway CLI runs as a real
// process under Node, Bun and Deno, with the same config, in front of real node:http upstreams.
// A missing bun/deno binary fails the suite (CI installs them from devDependencies).
// E2E_ONLY=bun,deno runs some runtimes only, for debugging.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Agent, request, type IncomingHttpHeaders } from 'node:http'
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net'
import { gzipSync } from 'node:zlib'
import { writeFileSync } from 'node:fs'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { WebSocket, WebSocketServer } from 'ws'
import { blackhole } from '../support/blackhole.ts'
import { deadPort, echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { rawRequest } from '../support/raw-http.ts'
import { ROOT, RUNTIMES, runtimeBinary, spawnGatewayUnder, type RuntimeGateway, type RuntimeName } from '../support/runtimes.ts'
import { run } from '../support/process.ts'

/**
 * Peak RSS (VmHWM) of the gateway process after the whole suite, a 1 GB upload included.
 * Measured: Node 26 170–190 MB (Node 20 was 120–155 MB with the same code: newer V8 lets more
 * young garbage build up; ~14 MB of it is Node's TypeScript stripper, loaded for the config),
 * Bun 75–90 MB, Deno 165–205 MB. Deno's is not buffering: it starts
 * at ~68 MB, and reading a request body in JavaScript at all lets V8 garbage reach ~130 MB more
 * before it is collected; it plateaus (a 6 GB upload peaks at ~180 MB, like a 1 GB one).
 */
const UPLOAD_RSS_BOUND_MB: Record<RuntimeName, number> = { node: 230, bun: 150, deno: 250 }

/**
 * Bun builds `request.url` from the Host header: an absolute-form target's own authority is lost,
 * so such a request is routed by its Host header (Node and Deno route it by the target's host).
 * Either way the host the target names is never contacted.
 */
const ROUTES_ABSOLUTE_FORM_BY_TARGET: Record<RuntimeName, boolean> = { node: true, bun: false, deno: true }

const GZIPPED = gzipSync(Buffer.from('compressed hello '.repeat(100)))
const closers: (() => unknown)[] = []
let a: Upstream, b: Upstream, sink: Upstream, victim: Upstream, ka: Upstream
let hang: string, stall: string, bigStall: string, headDies: string, hole: string, dead: number
let ticker: { url: string; closed: () => number }
let busy: Upstream
let wsEcho: { url: string; closes: { code: number; reason: string }[] }
const firstChunkAt: number[] = []

function named(name: string) {
  return (req: Parameters<Parameters<typeof startUpstream>[0]>[0], res: Parameters<Parameters<typeof startUpstream>[0]>[1], body: Buffer) => {
    if (req.url === '/cookies') {
      res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; HttpOnly', 'c=3, with comma; Secure'])
      return res.end('ok')
    }
    if (req.url === '/gzip') {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/plain', 'content-length': GZIPPED.length })
      return res.end(GZIPPED)
    }
    if (req.url === '/hop') {
      res.writeHead(200, { connection: 'X-Internal', 'x-internal': 'secret', 'keep-alive': 'timeout=5', 'x-kept': 'yes' })
      return res.end('hop')
    }
    echo(name)(req, res, body)
  }
}

/** A TCP server that reads the request and then does `behaviour` (never answer, answer half). */
async function rawServer(behaviour: (s: Socket) => void): Promise<string> {
  const sockets = new Set<Socket>()
  const server: TcpServer = createTcpServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    s.once('data', () => behaviour(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  closers.push(() => (sockets.forEach((s) => s.destroy()), new Promise((r) => server.close(r))))
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`
}

before(async () => {
  a = await startUpstream(named('a'))
  b = await startUpstream(named('b'))
  victim = await startUpstream(echo('victim'))
  ka = await startUpstream(echo('ka'))
  sink = await startUpstream(() => {}, {
    streamBody(req, res) {
      if (req.url === '/sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
        res.write('data: one\n\n')
        setTimeout(() => res.write('data: two\n\n'), 400)
        setTimeout(() => res.end('data: three\n\n'), 800)
        return
      }
      if (req.url === '/head') return void res.writeHead(200, { 'content-length': '1234' }).end()
      let bytes = 0
      req.on('data', (c: Buffer) => {
        if (bytes === 0) firstChunkAt.push(Date.now())
        bytes += c.length
      })
      req.on('end', () => res.setHeader('content-type', 'application/json').end(JSON.stringify({ bytes, expect: req.headers.expect ?? null })))
    },
  })
  closers.push(() => a.close(), () => b.close(), () => victim.close(), () => ka.close(), () => sink.close())
  hang = await rawServer(() => {})
  stall = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial'))
  // A body too large to be answered as bytes (core/runtime/http1/transport.ts): streamed on every runtime.
  bigStall = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\npartial'))
  // A container killed between writing its head and its body (busybox httpd writes them apart).
  headDies = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', () => setTimeout(() => s.destroy(), 30)))
  dead = await deadPort()
  const bh = await blackhole()
  closers.push(() => bh.close())
  hole = bh.url
  ticker = await tickingUpstream()
  wsEcho = await websocketEcho()
  busy = await startUpstream((_req, res) => res.writeHead(503).end('busy'))
  closers.push(() => busy.close())
})

/** A WebSocket echo server (`ws`) that greets with the forwarded client address and closes on "close-with <code>". */
async function websocketEcho(): Promise<{ url: string; closes: { code: number; reason: string }[] }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (p) => (p.has('chat') ? 'chat' : false) })
  await new Promise((r) => server.once('listening', r))
  closers.push(() => new Promise<void>((r) => (server.clients.forEach((c) => c.terminate()), server.close(() => r()))))
  const closes: { code: number; reason: string }[] = []
  server.on('connection', (ws, req) => {
    ws.send(`hello ${req.headers['x-forwarded-for']}`)
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString()
      if (text.startsWith('close-with ')) return ws.close(Number(text.slice(11)), 'as asked')
      ws.send(data, { binary: isBinary })
    })
    ws.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }))
  })
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, closes }
}

/** A WebSocket client that records messages; `next(n)` waits for the n-th. */
function openSocket(url: string, opts: { protocols?: string[]; headers?: Record<string, string> } = {}) {
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

/** An event stream that ticks every 50 ms until its client leaves; counts the streams that closed. */
async function tickingUpstream(): Promise<{ url: string; closed: () => number }> {
  let closed = 0
  const up = await startUpstream(() => {}, {
    streamBody(_req, res) {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      const timer = setInterval(() => res.write('data: tick\n\n'), 50)
      res.on('close', () => {
        clearInterval(timer)
        closed++
      })
    },
  })
  closers.push(() => up.close())
  return { url: up.url, closed: () => closed }
}
after(async () => {
  for (const close of closers.reverse()) await close()
})

const config = (port: number) => `import { defineConfig } from 'gatehouse'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  pools: {
    rr: { upstreams: ['${a.url}', '${b.url}'] },
    one: { upstreams: ['${a.url}'] },
    stream: { upstreams: ['${sink.url}'] },
    retry: { upstreams: ['http://127.0.0.1:${dead}', '${b.url}'], retries: 1 },
    dead: { upstreams: ['http://127.0.0.1:${dead}'], retries: 0 },
    headdies: { upstreams: ['${headDies}', '${b.url}'], retries: 1 },
    headdiesalone: { upstreams: ['${headDies}'], retries: 0 },
    slow: { upstreams: ['${hang}'], retries: 0, timeouts: { firstByte: '300ms' } },
    stall: { upstreams: ['${stall}'], retries: 0, timeouts: { idle: '300ms' } },
    bigstall: { upstreams: ['${bigStall}'], retries: 0, timeouts: { idle: '300ms' } },
    hole: { upstreams: ['${hole}'], retries: 0, timeouts: { connect: '300ms' } },
    ticker: { upstreams: ['${ticker.url}'] },
    ws: { upstreams: ['${wsEcho.url}'] },
    flaky: { upstreams: ['${busy.url}', '${b.url}'], retryOn: [503] },
    drip: { upstreams: ['${ticker.url}'], timeouts: { total: '400ms' } },
    ka: { upstreams: ['${ka.url}'] },
  },
  routes: [
    { host: 'rr.test', pool: 'rr' },
    { host: 'app.test', pool: 'one' },
    { host: 'stream.test', pool: 'stream' },
    { host: 'retry.test', pool: 'retry' },
    { host: 'dead.test', pool: 'dead' },
    { host: 'headdies.test', pool: 'headdies' },
    { host: 'headdiesalone.test', pool: 'headdiesalone' },
    { host: 'slow.test', pool: 'slow' },
    { host: 'stall.test', pool: 'stall' },
    { host: 'bigstall.test', pool: 'bigstall' },
    { host: 'hole.test', pool: 'hole' },
    { host: 'ticker.test', pool: 'ticker' },
    { host: 'flaky.test', pool: 'flaky' },
    { host: 'drip.test', pool: 'drip' },
    { path: '/ws', pool: 'ws' },
    { path: '/ws-dead', pool: 'dead' },
    { host: 'ka.test', pool: 'ka' },
  ],
})
`

interface Reply {
  status: number
  headers: IncomingHttpHeaders
  rawHeaders: string[]
  body: Buffer
  ms: number
  error?: string
}

const agent = new Agent({ keepAlive: true, maxSockets: 32 })
closers.push(() => agent.destroy())

function send(gw: RuntimeGateway, path: string, opts: { host: string; method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer }): Promise<Reply> {
  return new Promise((resolve) => {
    const t0 = Date.now()
    let reply: Reply | undefined
    const chunks: Buffer[] = []
    const done = (error?: string) => resolve({ ...(reply ?? { status: 0, headers: {}, rawHeaders: [] }), body: Buffer.concat(chunks), ms: Date.now() - t0, error })
    const req = request(`${gw.url}${path}`, { agent, method: opts.method ?? 'GET', headers: { host: opts.host, ...opts.headers } }, (res) => {
      reply = { status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.alloc(0), ms: 0 }
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => done())
      res.on('error', (e) => done(e.message))
      res.on('aborted', () => done('aborted'))
    })
    // A reset may reach the request before the response sees it: the head, if any, is kept.
    req.on('error', (e) => done(`${(e as { code?: string }).code}: ${e.message}`))
    req.end(opts.body)
  })
}

const json = (r: Reply) => JSON.parse(r.body.toString()) as { name: string; url: string; headers: IncomingHttpHeaders; bodyLength: number; bytes: number }

for (const runtime of RUNTIMES.filter((r) => !process.env.E2E_ONLY || process.env.E2E_ONLY.split(',').includes(r))) {
  describe(`on ${runtime}`, { timeout: 240_000 }, () => {
    let gw: RuntimeGateway
    before(async () => {
      gw = await spawnGatewayUnder(runtime, config)
    })
    after(async () => {
      await gw?.stop()
    })

    test('round robin alternates over the two upstreams', async () => {
      const names: string[] = []
      for (let i = 0; i < 10; i++) names.push(json(await send(gw, '/rr', { host: 'rr.test' })).name)
      assert.deepEqual(names.filter((n) => n === 'a').length, 5, names.join(' '))
      for (let i = 1; i < names.length; i++) assert.notEqual(names[i], names[i - 1], `not alternating: ${names.join(' ')}`)
    })

    test('X-Forwarded-For/Host/Proto are set; hop-by-hop headers are stripped both ways', async () => {
      const seen = json(
        await send(gw, '/xff', {
          host: 'app.test:8080',
          headers: { 'x-forwarded-for': '6.6.6.6', 'x-real-ip': '6.6.6.6', connection: 'keep-alive, X-Secret', 'x-secret': '1', te: 'trailers', 'proxy-authorization': 'Basic eA==', 'x-normal': 'kept' },
        }),
      ).headers
      assert.equal(seen['x-forwarded-for'], '127.0.0.1')
      assert.equal(seen['x-real-ip'], '127.0.0.1')
      assert.equal(seen['x-forwarded-proto'], 'http')
      assert.equal(seen['x-forwarded-host'], 'app.test:8080')
      assert.equal(seen.host, 'app.test:8080')
      assert.equal(seen['x-normal'], 'kept')
      for (const name of ['x-secret', 'te', 'proxy-authorization']) assert.equal(seen[name], undefined, `${name} reached the upstream`)
      const hop = await send(gw, '/hop', { host: 'app.test' })
      assert.equal(hop.headers['x-internal'], undefined)
      assert.equal(hop.headers['x-kept'], 'yes')
      assert.notEqual(hop.headers['keep-alive'], 'timeout=5')
    })

    test('every Set-Cookie stays a separate header', async () => {
      const res = await send(gw, '/cookies', { host: 'app.test' })
      assert.deepEqual(res.headers['set-cookie'], ['a=1; Path=/', 'b=2; HttpOnly', 'c=3, with comma; Secure'])
    })

    test('raw query bytes (and encoded slashes) reach the upstream as sent', async () => {
      const target = '/files/a%2Fb/c%20d?x=%2F&y=a+b&z=%E2%9C%93&empty=&flag&q=%zz'
      const res = await rawRequest(gw.port, `GET ${target} HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n`)
      assert.equal(res.status, 200)
      assert.equal(a.seen.at(-1)!.url, target)
    })

    test('a gzip response passes through: same bytes, same Content-Encoding', async () => {
      const res = await send(gw, '/gzip', { host: 'app.test', headers: { 'accept-encoding': 'gzip' } })
      assert.equal(res.headers['content-encoding'], 'gzip')
      assert.deepEqual(res.body, GZIPPED)
      console.log(`# ${runtime}: gzip response framing: ${res.headers['content-length'] ? `content-length ${res.headers['content-length']}` : `transfer-encoding ${res.headers['transfer-encoding']}`}`)
    })

    test('server-sent events arrive event by event', async () => {
      const arrivals: { at: number; text: string }[] = []
      await new Promise<void>((resolve, reject) => {
        request(`${gw.url}/sse`, { headers: { host: 'stream.test' } }, (res) => {
          res.setEncoding('utf8')
          res.on('data', (text: string) => arrivals.push({ at: Date.now(), text }))
          res.on('end', resolve)
        })
          .on('error', reject)
          .end()
      })
      assert.deepEqual(arrivals.map((x) => x.text.trim()), ['data: one', 'data: two', 'data: three'])
      assert.ok(arrivals[1]!.at - arrivals[0]!.at >= 300, 'event one was held back until event two')
    })

    test('a chunked upload reaches the upstream while the client is still sending', async () => {
      firstChunkAt.length = 0
      let lastSentAt = 0
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(`${gw.url}/upload`, { method: 'POST', headers: { host: 'stream.test', 'transfer-encoding': 'chunked' } }, (res) => {
          let text = ''
          res.on('data', (c) => (text += c))
          res.on('end', () => resolve(text))
        })
        req.on('error', reject)
        req.write('first chunk;')
        setTimeout(() => {
          lastSentAt = Date.now()
          req.end('second chunk')
        }, 500)
      })
      assert.equal(JSON.parse(body).bytes, 'first chunk;second chunk'.length)
      assert.ok(firstChunkAt[0]! < lastSentAt - 200, 'the upload was buffered until the client finished')
    })

    test('a refused upstream is retried on the other (GET, and POST with its body); alone it answers 502', async () => {
      for (let i = 0; i < 4; i++) {
        const get = await send(gw, '/r', { host: 'retry.test' })
        assert.equal(get.status, 200)
        const post = await send(gw, '/r', { host: 'retry.test', method: 'POST', body: 'x'.repeat(5000), headers: { 'content-type': 'text/plain' } })
        assert.equal(post.status, 200)
        assert.equal(json(post).bodyLength, 5000, 'the POST body survived the failed first try')
      }
      const alone = await send(gw, '/', { host: 'dead.test' })
      assert.equal(alone.status, 502)
      assert.equal(alone.headers['x-gatehouse-error'], 'refused')
      assert.match(alone.body.toString(), /pool "dead": connection refused/)
    })

    test('an upstream that dies between its head and its body is retried on the other; alone it answers 502', async () => {
      for (let i = 0; i < 4; i++) {
        const get = await send(gw, '/h', { host: 'headdies.test' })
        assert.equal(get.status, 200, get.error)
        assert.equal(get.error, undefined)
        assert.equal(json(get).name, 'b')
      }
      const alone = await send(gw, '/', { host: 'headdiesalone.test' })
      assert.equal(alone.status, 502, alone.error)
      assert.equal(alone.headers['x-gatehouse-error'], 'reset')
    })

    test('first-byte timeout answers 504 in time', async () => {
      const res = await send(gw, '/', { host: 'slow.test' })
      assert.equal(res.status, 504)
      assert.match(res.body.toString(), /first-byte timeout/)
      assert.ok(res.ms < 2000, `took ${res.ms} ms`)
    })

    test('idle timeout cuts a stalled response body instead of hanging', async () => {
      const res = await send(gw, '/', { host: 'bigstall.test' })
      assert.equal(res.status, 200, `${res.error} after ${res.ms} ms`)
      assert.ok(res.error, 'the client must see an aborted body, not a complete short one')
      assert.ok(res.ms < 2000, `took ${res.ms} ms`)
    })

    test('a small body that stalls is cut, never short, never a hang', async () => {
      const res = await send(gw, '/', { host: 'stall.test' })
      assert.equal(res.status, 200, `${res.error} after ${res.ms} ms`)
      assert.ok(res.error, 'the client must see an aborted body, not a complete short one')
      assert.ok(res.ms < 2000, `took ${res.ms} ms`)
    })

    test('connect timeout answers 504', async () => {
      const res = await send(gw, '/', { host: 'hole.test' })
      assert.equal(res.status, 504)
      assert.match(res.body.toString(), /connect timeout/)
      assert.ok(res.ms < 2500, `took ${res.ms} ms`)
    })

    test('a client that leaves mid-stream closes the upstream request', async () => {
      const before = ticker.closed()
      await new Promise<void>((resolve) => {
        const req = request(`${gw.url}/events`, { headers: { host: 'ticker.test' } }, (res) => res.once('data', () => (req.destroy(), resolve())))
        req.on('error', () => {})
        req.end()
      })
      const deadline = Date.now() + 3000
      while (ticker.closed() === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      assert.equal(ticker.closed(), before + 1, 'the upstream kept streaming to nobody')
    })

    test('HEAD passes Content-Length without a body', async () => {
      const res = await send(gw, '/head', { host: 'stream.test', method: 'HEAD' })
      assert.equal(res.status, 200)
      assert.equal(res.headers['content-length'], '1234')
      assert.equal(res.body.length, 0)
    })

    test('Expect: 100-continue works with curl and is not forwarded', async () => {
      const file = `/tmp/gatehouse-expect-${runtime}.bin`
      writeFileSync(file, Buffer.alloc(300_000, 7))
      const { stdout } = await promisify(execFile)('curl', ['-sS', '-H', 'Host: stream.test', '-H', 'Expect: 100-continue', '--data-binary', `@${file}`, `${gw.url}/expect`])
      assert.deepEqual(JSON.parse(stdout), { bytes: 300_000, expect: null })
    })

    test('WebSocket: subprotocol, text and binary both ways, close codes each way; a dead upstream fails the handshake', async () => {
      const url = gw.url.replace('http', 'ws')
      const c = openSocket(`${url}/ws`, { protocols: ['chat'] })
      await c.opened
      assert.equal(c.ws.protocol, 'chat')
      assert.equal((await c.next(1))?.data.toString(), 'hello 127.0.0.1')
      c.ws.send('ping')
      assert.equal((await c.next(2))?.data.toString(), 'ping')
      const big = Buffer.alloc(1024 * 1024)
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251 // 1 MB, not uniform: a reordering would show
      c.ws.send(big)
      const echoed = await c.next(3)
      assert.equal(echoed?.binary, true)
      assert.ok(echoed?.data.equals(big), 'the binary message came back changed')
      c.ws.close(4001, 'client done')
      assert.deepEqual(await c.closed, { code: 4001, reason: 'client done' })
      const deadline = Date.now() + 2000
      while (wsEcho.closes.at(-1)?.code !== 4001 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      assert.deepEqual(wsEcho.closes.at(-1), { code: 4001, reason: 'client done' }, 'the upstream saw another close')

      const d = openSocket(`${url}/ws`)
      await d.opened
      d.ws.send('close-with 4002')
      assert.deepEqual(await d.closed, { code: 4002, reason: 'as asked' })

      await assert.rejects(openSocket(`${url}/ws-dead`).opened, /HTTP 502/)
    })

    test('retryOn: a GET answered 503 is answered by the other upstream', async () => {
      for (let i = 0; i < 4; i++) {
        const res = await send(gw, '/', { host: 'flaky.test' })
        assert.equal(res.status, 200)
        assert.equal(json(res).name, 'b')
      }
    })

    test('total timeout cuts a response that keeps streaming', async () => {
      const res = await send(gw, '/', { host: 'drip.test' })
      assert.equal(res.status, 200)
      assert.ok(res.error, 'the client must see an aborted body')
      assert.ok(res.ms < 2500, `took ${res.ms} ms`)
    })

    test('no route → 404', async () => {
      const res = await send(gw, '/x', { host: 'unknown.test' })
      assert.equal(res.status, 404)
      assert.match(res.body.toString(), /no route/)
    })

    test('an absolute-form target never reaches the host it names', async () => {
      const before = victim.seen.length
      const miss = await rawRequest(gw.port, `GET http://127.0.0.1:${victim.port}/steal HTTP/1.1\r\nHost: unknown.test\r\nConnection: close\r\n\r\n`)
      assert.equal(miss.status, 404)
      const hit = await rawRequest(gw.port, `GET http://app.test/abs?q=1 HTTP/1.1\r\nHost: 127.0.0.1:${victim.port}\r\nConnection: close\r\n\r\n`)
      if (ROUTES_ABSOLUTE_FORM_BY_TARGET[runtime]) {
        assert.equal(hit.status, 200)
        assert.equal(a.seen.at(-1)!.url, '/abs?q=1')
        assert.equal(a.seen.at(-1)!.headers.host, 'app.test')
      } else {
        assert.equal(hit.status, 404, 'routed by the Host header, which names no route')
      }
      assert.equal(victim.seen.length, before, 'the named host received a request')
    })

    test('upstream connections are kept alive and reused (100 requests, 10 at a time)', async () => {
      const before = ka.connections()
      for (let round = 0; round < 10; round++) {
        const replies = await Promise.all(Array.from({ length: 10 }, () => send(gw, '/ka', { host: 'ka.test' })))
        assert.ok(replies.every((r) => r.status === 200))
      }
      const opened = ka.connections() - before
      console.log(`# ${runtime}: 100 requests opened ${opened} upstream connections`)
      assert.ok(opened <= 12, `opened ${opened} upstream connections for 100 requests`)
    })

    test('a 1 GB upload streams through with bounded gateway memory', { timeout: 180_000 }, async () => {
      const total = 1024 * 1024 * 1024
      const chunk = Buffer.alloc(1024 * 1024, 1)
      const t0 = Date.now()
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(`${gw.url}/big`, { method: 'POST', headers: { host: 'stream.test', 'content-length': String(total) } }, (res) => {
          let text = ''
          res.on('data', (c) => (text += c))
          res.on('end', () => resolve(text))
        })
        req.on('error', reject)
        let sent = 0
        const pump = () => {
          while (sent < total) {
            sent += chunk.length
            if (!req.write(chunk)) return void req.once('drain', pump)
          }
          req.end()
        }
        pump()
      })
      assert.equal(JSON.parse(body).bytes, total)
      const peak = gw.peakRssMb()
      console.log(`# ${runtime}: 1 GB upload in ${((Date.now() - t0) / 1000).toFixed(1)} s, gateway (PID ${gw.pid}) peak RSS ${peak.toFixed(0)} MB`)
      assert.ok(peak < UPLOAD_RSS_BOUND_MB[runtime], `${runtime} gateway peak RSS ${peak.toFixed(0)} MB (bound ${UPLOAD_RSS_BOUND_MB[runtime]} MB)`)
    })

    test('SIGTERM drains an in-flight response, then the process exits 0', async () => {
      const events: string[] = []
      const streamed = new Promise<void>((resolve, reject) => {
        request(`${gw.url}/sse`, { headers: { host: 'stream.test' } }, (res) => {
          res.setEncoding('utf8')
          res.on('data', (text: string) => {
            events.push(text.trim())
            if (events.length === 1) process.kill(gw.pid, 'SIGTERM')
          })
          res.on('end', resolve)
          res.on('error', reject)
        })
          .on('error', reject)
          .end()
      })
      await streamed
      assert.deepEqual(events, ['data: one', 'data: two', 'data: three'])
      const exit = await Promise.race([gw.proc.exited, new Promise((r) => setTimeout(() => r('still running'), 5000))])
      assert.deepEqual(exit, { code: 0, signal: null }, gw.proc.tail())
    })
  })
}

test('entry points: `bun bin/gatehouse.js check` and `deno task check` validate the repository config', { timeout: 60_000 }, async () => {
  const bun = await run(runtimeBinary('bun'), [`${ROOT}/bin/gatehouse.js`, 'check', '--config', `${ROOT}/gateway.config.ts`])
  assert.equal(bun.code, 0, bun.stderr)
  assert.match(bun.stdout, /is valid/)
  const deno = await run('sh', ['-c', `cd '${ROOT}' && '${runtimeBinary('deno')}' task check`])
  assert.equal(deno.code, 0, deno.stderr)
  assert.match(deno.stdout, /is valid/)
})
