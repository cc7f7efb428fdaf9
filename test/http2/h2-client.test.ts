// The HTTP/2 upstream client (core/runtime/node-http2/h2-client.ts) in an in-process gateway
// against real node:http2 servers: one connection carries many requests, and a refused stream is
// tried on another upstream only when nothing of the request was used (a body already read into
// it cannot be sent again). Deno's client, which hands over DATA before the head, is covered by
// the HTTP/2 suites run under Deno (http2.test.ts, h2 upstreams behind its listeners).
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import http2 from 'node:http2'
import { startGateway, type TestGateway } from '../support/gateway.ts'

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void
const servers: http2.Http2Server[] = []
const open = new Set<http2.ServerHttp2Session>()
const sessions = new Map<string, number>()
async function h2Upstream(name: string, handler: Handler): Promise<{ url: string; received: string[]; broken: number }> {
  const received: string[] = []
  const up = { url: '', received, broken: 0 }
  const server = http2.createServer()
  server.on('session', (session) => {
    sessions.set(name, (sessions.get(name) ?? 0) + 1)
    open.add(session)
    session.on('close', () => open.delete(session))
  })
  server.on('stream', (stream, headers) => {
    let body = ''
    stream.on('data', (c: Buffer) => (body += c))
    stream.on('end', () => received.push(`${headers[':method']} ${headers[':path']} ${body}`))
    stream.on('error', () => up.broken++) // a request that came apart (a body shorter than its content-length)
    handler(stream, headers)
  })
  servers.push(server)
  const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)))
  up.url = `h2c://127.0.0.1:${port}`
  return up
}

const answer: Handler = (stream) => {
  stream.on('end', () => {
    stream.respond({ ':status': 200 })
    stream.end('ok')
  })
  stream.resume()
}
/** Refuses each stream: at once when it has no body, else once part of the body came (it was read from the client). */
const refuse: Handler = (stream, headers) => {
  stream.on('error', () => {}) // its own close with a code is an error to the server's stream
  if (headers[':method'] === 'GET') stream.close(http2.constants.NGHTTP2_REFUSED_STREAM)
  else stream.once('data', () => stream.close(http2.constants.NGHTTP2_REFUSED_STREAM))
}

let gw: TestGateway
let good: Awaited<ReturnType<typeof h2Upstream>>
let refusing: Awaited<ReturnType<typeof h2Upstream>>
before(async () => {
  good = await h2Upstream('good', answer)
  refusing = await h2Upstream('refusing', refuse)
  gw = await startGateway({
    pools: {
      // round robin from the refusing one first: its refusals are what the test watches
      mixed: { upstreams: [refusing.url, good.url], retries: 1 },
      one: { upstreams: [good.url] },
    },
    routes: [{ path: '/mixed/*', pool: 'mixed' }, { pool: 'one' }],
  })
})
after(async () => {
  await gw?.stop()
  for (const s of servers) s.close()
  for (const session of open) session.destroy()
})

test('one HTTP/2 connection per upstream carries every request to it', async () => {
  const before = sessions.get('good') ?? 0
  const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => fetch(`${gw.url}/x${i}`).then((r) => r.text())))
  assert.deepEqual(new Set(replies), new Set(['ok']))
  assert.ok((sessions.get('good') ?? 0) - before <= 1, `${(sessions.get('good') ?? 0) - before} new connections`)
})

test('a refused stream without a body is tried on the other upstream; with a body it is not sent again', async () => {
  const gets = await Promise.all(Array.from({ length: 6 }, (_, i) => fetch(`${gw.url}/mixed/get${i}`)))
  assert.deepEqual(gets.map((r) => r.status), [200, 200, 200, 200, 200, 200])
  good.received.length = 0
  // Bounded: a body half read into the refused stream and sent again would never end (it hung before the fix).
  const posts = await Promise.all(
    Array.from({ length: 6 }, (_, i) => fetch(`${gw.url}/mixed/post${i}`, { method: 'POST', body: 'x'.repeat(100_000), signal: AbortSignal.timeout(5000) }).catch(() => ({ status: 0 }))),
  )
  const statuses = posts.map((r) => r.status)
  assert.ok(!statuses.includes(0), `every POST was answered: ${statuses}`)
  assert.ok(statuses.includes(502), `a refused POST with a body is answered 502: ${statuses}`)
  for (const line of good.received) assert.match(line, /^POST \/mixed\/post\d x{100000}$/, 'the other upstream only ever got whole bodies')
  await new Promise((r) => setTimeout(r, 100))
  assert.equal(good.broken, 0, 'the other upstream got requests whose body came apart')
})

test("more requests at once than the upstream's SETTINGS_MAX_CONCURRENT_STREAMS wait their turn on the one connection", async () => {
  let open = 0
  let most = 0
  const server = http2.createServer({ settings: { maxConcurrentStreams: 4 } })
  server.on('stream', (stream) => {
    most = Math.max(most, ++open)
    stream.resume()
    setTimeout(() => {
      open--
      stream.respond({ ':status': 200 })
      stream.end('ok')
    }, 20)
  })
  servers.push(server)
  const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)))
  const limited = await startGateway({ pools: { app: { upstreams: [`h2c://127.0.0.1:${port}`] } }, routes: [{ pool: 'app' }] })
  try {
    const replies = await Promise.all(Array.from({ length: 40 }, () => fetch(limited.url, { signal: AbortSignal.timeout(10_000) }).then((r) => r.status)))
    assert.deepEqual(new Set(replies), new Set([200]))
    assert.ok(most <= 4, `${most} streams open at once`)
  } finally {
    await limited.stop()
  }
})
