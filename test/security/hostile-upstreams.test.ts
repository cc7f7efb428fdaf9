// Hostile and broken upstreams, on every runtime (the gateway CLI under Node, Bun and Deno): a raw
// node:net server answers each path with exactly the bytes of one row. For each row: what the
// client gets (status, body, whether the body ended cleanly or was cut), and that the next
// request on the same client connection gets its own correct answer (no desync on either leg).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Agent, request } from 'node:http'
import { createServer, type Server, type Socket } from 'node:net'
import { startUpstream, echo, type Upstream } from '../support/http-upstream.ts'
import { RUNTIMES, spawnGatewayUnder, type RuntimeGateway, type RuntimeName } from '../support/runtimes.ts'

interface Outcome {
  status: number
  body?: string
  /** The body ended as framed (false: the client saw the connection cut mid-body). */
  complete?: boolean
}

interface Row {
  name: string
  path: string
  /** Raw response bytes (or what to do instead). */
  answer: string | 'close' | 'never'
  method?: string
  /** Request body sent in two parts 300 ms apart (the upstream answers after the first). */
  slowBody?: boolean
  expect: Outcome
  /** Where a runtime legitimately differs (lenient but still safe), and why. */
  differs?: Partial<Record<RuntimeName, Outcome>>
  /** Runtimes whose next request must use a new client connection, and why. */
  nextOnNewConnection?: Partial<Record<RuntimeName, string>>
}

/** The client connection closed before any response head (the client never sees a complete response). */
const CUT_BEFORE_HEAD: Outcome = { status: 0 }

const SMUGGLED = 'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled'
const chunked = (body: string) => `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`

const rows: Row[] = [
  {
    name: 'Content-Length and Transfer-Encoding together',
    path: '/cl-te',
    answer: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    expect: { status: 502 },
  },
  { name: 'two different Content-Lengths', path: '/two-cl', answer: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello!!', expect: { status: 502 } },
  // A body error right after a valid head: the own client (Deno, Bun) parses what came with the
  // head before answering (502); on Node the head is handed on first, the error follows before it
  // is flushed, and the client connection is cut with no response at all (status 0 here).
  { name: 'chunk size overflow', path: '/chunk-overflow', answer: chunked('FFFFFFFFFFFFFFFFFFFF\r\nx\r\n'), expect: { status: 502 }, differs: { node: CUT_BEFORE_HEAD } },
  { name: 'negative chunk size', path: '/chunk-negative', answer: chunked('-5\r\nhello\r\n0\r\n\r\n'), expect: { status: 502 }, differs: { node: CUT_BEFORE_HEAD } },
  { name: 'garbage chunk size', path: '/chunk-garbage', answer: chunked('zz\r\nhello\r\n0\r\n\r\n'), expect: { status: 502 }, differs: { node: CUT_BEFORE_HEAD } },
  {
    name: 'chunked body without its final CRLF, then close',
    path: '/no-final-crlf',
    answer: chunked('5\r\nhello\r\n0\r\n') + '<close>',
    expect: { status: 200, complete: false },
  },
  { name: 'body longer than Content-Length (a second response hidden in it)', path: '/longer', answer: `HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello${SMUGGLED}`, expect: { status: 200, body: 'hello', complete: true } },
  {
    name: 'body shorter than Content-Length, then close',
    path: '/shorter',
    answer: 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort<close>',
    expect: { status: 200, complete: false },
  },
  { name: 'NUL in a header value', path: '/nul', answer: 'HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 2\r\n\r\nok', expect: { status: 502 } },
  { name: 'bare CR in a header value', path: '/bare-cr', answer: 'HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: evil=1\r\nContent-Length: 2\r\n\r\nok', expect: { status: 502 } },
  { name: 'obs-fold', path: '/obs-fold', answer: 'HTTP/1.1 200 OK\r\nX-A: a\r\n Set-Cookie: evil=1\r\nContent-Length: 2\r\n\r\nok', expect: { status: 502 } },
  {
    name: 'a 100 KB header block',
    path: '/huge-head',
    answer: `HTTP/1.1 200 OK\r\n${Array.from({ length: 100 }, (_, i) => `X-${i}: ${'a'.repeat(1000)}\r\n`).join('')}Content-Length: 2\r\n\r\nok`,
    expect: { status: 502 },
  },
  {
    name: 'response splitting: bare LF in a header value',
    path: '/bare-lf',
    answer: 'HTTP/1.1 200 OK\r\nX-A: a\nSet-Cookie: evil=1\r\nContent-Length: 2\r\n\r\nok',
    expect: { status: 502 },
  },
  { name: 'response splitting: a head ended early, a second response in the body', path: '/split', answer: `HTTP/1.1 200 OK\r\nX-A: a\r\nContent-Length: 0\r\n\r\n${SMUGGLED}`, expect: { status: 200, body: '', complete: true } },
  { name: 'a second response after the last chunk', path: '/after-chunks', answer: chunked(`2\r\nok\r\n0\r\n\r\n${SMUGGLED}`), expect: { status: 200, body: 'ok', complete: true } },
  {
    name: '100 Continue, then 200',
    path: '/continue',
    answer: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    expect: { status: 200, body: 'ok', complete: true },
    // undici refuses a 100 Continue to a request that sent no Expect (the gateway strips it): stricter, safe.
    differs: { node: { status: 502 } },
  },
  { name: '204 with a body (a second response in it)', path: '/204', answer: `HTTP/1.1 204 No Content\r\n\r\n${SMUGGLED}`, expect: { status: 204, body: '' } },
  { name: 'HEAD: Content-Length without a body', path: '/head', method: 'HEAD', answer: 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n', expect: { status: 200, body: '' } },
  { name: 'close-delimited body', path: '/close-delimited', answer: 'HTTP/1.1 200 OK\r\n\r\nuntil the end<close>', expect: { status: 200, body: 'until the end', complete: true } },
  {
    name: 'a response before the request body is finished',
    path: '/early',
    method: 'POST',
    slowBody: true,
    answer: 'HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbig!<close>',
    expect: { status: 413, body: 'big!' },
    // Node answers with `Connection: close` (it does not read the rest of the body to discard it):
    // the client's next request goes on a new connection by itself. (Found by this row: the Node
    // gateway used to leave that connection stalled.)
  },
  { name: 'connection closed with no bytes (one upstream: 502)', path: '/empty', answer: 'close', expect: { status: 502 } },
  { name: 'a never-answering upstream: 504 on the first-byte timeout', path: '/never', answer: 'never', expect: { status: 504 } },
]

// On Deno and Bun this suite gates the gateway's own HTTP/1.1 client (core/runtime/http1).

let hostile: Server
let hostileUrl: string
let good: Upstream
const sockets = new Set<Socket>()

/** Reads requests off a connection (head, then a Content-Length or chunked body) and answers each by its path. */
function serve(sock: Socket): void {
  sockets.add(sock)
  sock.on('close', () => sockets.delete(sock))
  sock.on('error', () => {})
  let buf = Buffer.alloc(0)
  let answered = false // for the row that answers before the body: ignore the rest of it
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d])
    for (;;) {
      if (answered) return
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      const head = buf.subarray(0, end).toString('latin1')
      const path = head.split(' ')[1] ?? '/'
      const row = rows.find((r) => r.path === path)
      if (row?.slowBody) {
        answered = true
        return void answer(sock, row.answer)
      }
      const cl = /\r\ncontent-length: *(\d+)/i.exec(head)
      let total = end + 4
      if (cl) total += Number(cl[1])
      else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
        const last = buf.indexOf('0\r\n\r\n', end + 4)
        if (last < 0) return
        total = last + 5
      }
      if (buf.length < total) return
      buf = buf.subarray(total)
      answer(sock, row ? row.answer : `HTTP/1.1 200 OK\r\nContent-Length: ${3 + path.length}\r\n\r\nok ${path}`)
    }
  })
}

function answer(sock: Socket, what: string): void {
  if (what === 'never') return
  if (what === 'close') return void sock.destroy()
  const close = what.endsWith('<close>')
  sock.write(Buffer.from(close ? what.slice(0, -7) : what, 'latin1'))
  if (close) sock.end()
}

before(async () => {
  hostile = createServer(serve)
  await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r))
  hostileUrl = `http://127.0.0.1:${(hostile.address() as { port: number }).port}`
  good = await startUpstream(echo('good'))
})

after(async () => {
  for (const s of sockets) s.destroy()
  await new Promise((r) => hostile.close(r))
  await good.close()
})

const config = (port: number) => `import { defineConfig } from 'gatehouse'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  pools: {
    hostile: { upstreams: ['${hostileUrl}'], retries: 0, timeouts: { firstByte: '500ms', idle: '1s' } },
    spare: { upstreams: ['${hostileUrl}', '${good.url}'], retries: 1, timeouts: { firstByte: '500ms', idle: '1s' } },
  },
  routes: [{ host: 'spare.test', pool: 'spare' }, { pool: 'hostile' }],
})
`

function send(gw: RuntimeGateway, agent: Agent, path: string, opts: { method?: string; host?: string; slowBody?: boolean } = {}): Promise<Outcome & { error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let status = 0
    let settled = false
    const done = (complete: boolean, error?: string) => {
      if (settled) return
      settled = true
      resolve({ status, body: Buffer.concat(chunks).toString('latin1'), complete, error })
    }
    const method = opts.method ?? 'GET'
    const headers: Record<string, string> = { host: opts.host ?? 'hostile.test' }
    if (opts.slowBody) headers['content-length'] = '200000'
    const req = request(`${gw.url}${path}`, { agent, method, headers }, (res) => {
      status = res.statusCode!
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => done(res.complete))
      res.on('aborted', () => done(false, 'aborted'))
      res.on('error', (e) => done(false, e.message))
    })
    req.on('error', (e) => done(false, e.message))
    const timer = setTimeout(() => (req.destroy(), done(false, 'client timeout')), 5000)
    req.on('close', () => clearTimeout(timer))
    if (!opts.slowBody) return void req.end()
    req.write(Buffer.alloc(100_000, 1))
    setTimeout(() => req.end(Buffer.alloc(100_000, 2)), 300)
  })
}

for (const runtime of RUNTIMES.filter((r) => !process.env.E2E_ONLY || process.env.E2E_ONLY.split(',').includes(r))) {
  describe(`hostile upstreams, on ${runtime}`, { timeout: 60_000 }, () => {
    let gw: RuntimeGateway
    // One client connection at a time, kept alive: the "next request" goes on the same one when it survived.
    let agent = new Agent({ keepAlive: true, maxSockets: 1 })
    before(async () => {
      gw = await spawnGatewayUnder(runtime, config, 'hostile-upstreams')
    })
    after(async () => {
      agent.destroy()
      await gw?.stop()
    })

    for (const row of rows) {
      test(row.name, async () => {
        const want = row.differs?.[runtime] ?? row.expect
        const got = await send(gw, agent, row.path, { method: row.method, slowBody: row.slowBody })
        assert.equal(got.status, want.status, `status (${got.error ?? 'no error'}; body ${JSON.stringify(got.body?.slice(0, 80))})`)
        if (want.body !== undefined) assert.equal(got.body, want.body)
        if (want.complete !== undefined) assert.equal(got.complete, want.complete, want.complete ? `cut: ${got.error}` : 'a cut response reached the client as complete')
        assert.doesNotMatch(got.body ?? '', /smuggled/)
        // The next request, on the same client connection when it survived, gets its own answer.
        if (row.nextOnNewConnection?.[runtime]) {
          agent.destroy()
          agent = new Agent({ keepAlive: true, maxSockets: 1 })
        }
        const next = await send(gw, agent, `/next-after${row.path}`)
        assert.deepEqual({ status: next.status, body: next.body }, { status: 200, body: `ok /next-after${row.path}` }, `next request: ${next.error ?? ''}`)
      })
    }

    test('a malformed response head, with a spare upstream: a GET is retried there, a POST is not (it may have had effects)', async () => {
      for (const path of ['/cl-te', '/two-cl']) {
        for (let i = 0; i < 2; i++) {
          const got = await send(gw, agent, path, { host: 'spare.test' })
          assert.equal(got.status, 200, `${path}: ${got.body ?? got.error}`)
          assert.match(got.body!, /"name":"good"/)
        }
      }
      const seen = new Set<number>()
      for (let i = 0; i < 4; i++) seen.add((await send(gw, agent, '/two-cl', { host: 'spare.test', method: 'POST' })).status)
      assert.ok(seen.has(502), `a POST that reached the broken upstream is answered 502, not sent again: ${[...seen]}`)
    })

    test('connection closed with no bytes, with a spare upstream: retried there', async () => {
      for (let i = 0; i < 4; i++) {
        const got = await send(gw, agent, '/empty', { host: 'spare.test' })
        assert.equal(got.status, 200, got.body)
        assert.match(got.body!, /"name":"good"/)
      }
    })
  })
}
