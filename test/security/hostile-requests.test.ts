// Hostile requests over raw sockets (a client library would clean them up). For each: the status
// the client gets, and exactly what the upstream received — nothing, or the normalized request.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import { rawRequest } from '../support/raw-http.ts'

/** An upstream that records the raw request head of every request it gets. */
let heads: string[] = []
let upstream: Server
let gw: TestGateway

before(async () => {
  upstream = createServer((sock) => {
    let buf = ''
    sock.on('data', (d) => {
      buf += d.toString('latin1')
      let end
      while ((end = buf.indexOf('\r\n\r\n')) !== -1) {
        heads.push(buf.slice(0, end))
        buf = buf.slice(end + 4)
        sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
      }
    })
  })
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`
  const auth = async (c: { req: { header(n: string): string | undefined }; text(t: string, s: number): Response }, next: () => Promise<void>) =>
    c.req.header('x-key') === 'secret' ? next() : c.text('auth required', 401)
  gw = await startGateway({
    pools: { web: { upstreams: [url] } },
    routes: [
      // The admin rule sits on the same host as the catch-all: within one host, the longer path wins.
      { host: 'localhost', path: '/admin/*', pool: 'web', use: [auth as never] },
      { host: 'admin.example.com', pool: 'web', use: [auth as never] },
      { host: 'public.example.com', pool: 'web' },
      { host: 'localhost', pool: 'web' },
    ],
  })
})
after(async () => {
  await gw.stop()
  await new Promise((r) => upstream.close(r))
})

const H = 'Host: localhost\r\n'
const req = (line: string, headers = H, body = '') => `${line}\r\n${headers}Connection: close\r\n\r\n${body}`

/** [name, raw bytes, status, what the upstream must have received: null = nothing, or its request line] */
const rows: [string, string, number, string | null][] = [
  // Request smuggling shapes: rejected before any upstream sees a byte.
  ['Content-Length and Transfer-Encoding', req('POST /x HTTP/1.1', H + 'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'), 400, null],
  ['two different Content-Lengths', req('POST /x HTTP/1.1', H + 'Content-Length: 4\r\nContent-Length: 5\r\n', 'abcd'), 400, null],
  ['two identical Content-Lengths', req('POST /x HTTP/1.1', H + 'Content-Length: 4\r\nContent-Length: 4\r\n', 'abcd'), 400, null],
  ['Content-Length with a sign', req('POST /x HTTP/1.1', H + 'Content-Length: +4\r\n', 'abcd'), 400, null],
  ['Transfer-Encoding: chunked, identity', req('POST /x HTTP/1.1', H + 'Transfer-Encoding: chunked, identity\r\n', '0\r\n\r\n'), 400, null],
  ['Transfer-Encoding: xchunked', req('POST /x HTTP/1.1', H + 'Transfer-Encoding: xchunked\r\n', '0\r\n\r\n'), 400, null],
  ['space before the colon', req('POST /x HTTP/1.1', H + 'Transfer-Encoding : chunked\r\n', '0\r\n\r\n'), 400, null],
  ['obs-fold continuation line', req('GET /x HTTP/1.1', H + 'X-A: a\r\n b\r\n'), 400, null],
  ['bare LF line endings', 'GET /x HTTP/1.1\nHost: localhost\nConnection: close\n\n', 400, null],
  ['bare CR in a header value', req('GET /x HTTP/1.1', H + 'X-A: a\rb\r\n'), 400, null],
  ['NUL in a header value', req('GET /x HTTP/1.1', H + 'X-A: a\0b\r\n'), 400, null],
  ['space inside a header name', req('GET /x HTTP/1.1', H + 'X A: 1\r\n'), 400, null],
  ['lower-case method', req('get /x HTTP/1.1'), 400, null],
  ['HTTP/0.9 request line (no Host, so no route)', 'GET /x\r\n\r\n', 404, null],
  ['space inside the target', req('GET /a b HTTP/1.1'), 400, null],
  ['headers over 16 KB', req('GET /x HTTP/1.1', H + `X-Big: ${'a'.repeat(20_000)}\r\n`), 431, null],
  ['OPTIONS *', req('OPTIONS * HTTP/1.1'), 400, null],
  ['fragment in the target', req('GET /a#b HTTP/1.1'), 400, null],
  ['encoded NUL', req('GET /a%00b HTTP/1.1'), 400, null],
  ['encoded CR LF', req('GET /a%0d%0aX-Injected:%201 HTTP/1.1'), 400, null],
  ['bad percent escape', req('GET /%zz HTTP/1.1'), 400, null],
  ['overlong UTF-8 dot', req('GET /%c0%ae%c0%ae/admin/x HTTP/1.1'), 400, null],
  ['backslash in the path', req('GET /admin\\x HTTP/1.1'), 400, null],
  // Path tricks against the /admin rule: normalized one way, so the rule always applies.
  ['/public/../admin', req('GET /public/../admin/x HTTP/1.1'), 401, null],
  ['/%2e%2e/admin', req('GET /%2e%2e/admin/x HTTP/1.1'), 401, null],
  ['/public/%2E%2e/admin', req('GET /public/%2E%2e/admin/x HTTP/1.1'), 401, null],
  ['//admin', req('GET //admin/x HTTP/1.1'), 401, null],
  ['/%61dmin', req('GET /%61dmin/x HTTP/1.1'), 401, null],
  ['/./admin', req('GET /./admin/x HTTP/1.1'), 401, null],
  ['/a/b/../../admin', req('GET /a/b/../../admin/x HTTP/1.1'), 401, null],
  ['/admin%2Fx (encoded slash)', req('GET /admin%2Fx HTTP/1.1'), 401, null],
  ['/public/..%2Fadmin', req('GET /public/..%2Fadmin/x HTTP/1.1'), 401, null],
  ['/admin%5Cx (encoded backslash)', req('GET /admin%5Cx HTTP/1.1'), 401, null],
  ['/admin/ with the key: forwarded as normalized', req('GET /x/../admin/./y?q=%2F HTTP/1.1', H + 'X-Key: secret\r\n'), 200, 'GET /admin/y?q=%2F HTTP/1.1'],
  // Host tricks against the admin host.
  ['mixed-case host', req('GET /x HTTP/1.1', 'Host: ADMIN.Example.COM\r\n'), 401, null],
  ['host with a trailing dot and a port', req('GET /x HTTP/1.1', 'Host: admin.example.com.:8080\r\n'), 401, null],
  ['absolute-form names the admin host, Host names the public one', req('GET http://admin.example.com/x HTTP/1.1', 'Host: public.example.com\r\n'), 401, null],
  ['absolute-form to a host no route names', req('GET http://169.254.169.254/latest HTTP/1.1', 'Host: localhost\r\n'), 404, null],
  ['absolute-form with userinfo', req('GET http://user@localhost/x HTTP/1.1'), 400, null],
  ['CONNECT tunnel', 'CONNECT localhost:22 HTTP/1.1\r\nHost: localhost:22\r\n\r\n', 400, null],
  ['unknown Expect', req('GET /x HTTP/1.1', H + 'Expect: bananas\r\n'), 417, null],
  // Accepted, and forwarded exactly as normalized.
  ['duplicate slashes merged, query kept byte for byte', req('GET //a///b?x=1&&y=%20 HTTP/1.1'), 200, 'GET /a/b?x=1&&y=%20 HTTP/1.1'],
  ['unreserved escapes decoded, reserved kept', req('GET /%7Euser/%41%2f HTTP/1.1'), 200, 'GET /~user/A%2F HTTP/1.1'],
]

test(`${rows.length} hostile requests: each gets the right status; the upstream sees nothing or exactly the normalized request`, async (t) => {
  for (const [name, bytes, status, upstreamLine] of rows) {
    await t.test(name, async () => {
      heads = []
      const res = await rawRequest(gw.port, bytes, 2000)
      if (status === 400 && res.status === 0) assert.ok(res.raw === '', `connection closed with ${JSON.stringify(res.raw.slice(0, 40))}`)
      else assert.equal(res.status, status, `got: ${res.head.split('\r\n')[0]}`)
      await new Promise((r) => setTimeout(r, 20))
      if (upstreamLine === null) assert.deepEqual(heads, [], 'the upstream received bytes')
      else {
        assert.equal(heads.length, 1)
        assert.equal(heads[0]!.split('\r\n')[0], upstreamLine)
        assert.ok(!/\r\nx-key:/i.test(heads[0]!) || name.includes('with the key'))
      }
    })
  }
})

test('CR/LF never reaches an upstream header value, and Connection cannot strip gateway headers', async () => {
  heads = []
  const res = await rawRequest(gw.port, req('GET /x HTTP/1.1', H + 'Connection: X-Forwarded-For, X-Real-IP\r\nX-Forwarded-For: 6.6.6.6\r\nAuthorization: Basic eA==\r\nConnection: Authorization\r\n'))
  assert.equal(res.status, 200)
  assert.match(heads[0]!, /\r\nx-forwarded-for: 127\.0\.0\.1\r\n/i)
  assert.match(heads[0]!, /\r\nx-real-ip: 127\.0\.0\.1/i)
  assert.doesNotMatch(heads[0]!, /6\.6\.6\.6/)
  assert.doesNotMatch(heads[0]!, /authorization/i, 'a header named in Connection was forwarded')
})
