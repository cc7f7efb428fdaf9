// Hostile requests over raw sockets (a client library would clean them up), against the real gateway CLI on
// Node, Bun and Deno with one config, on each kind of listener (test/support/listener-variants.ts): plain,
// h2c and TLS — on Bun and Deno the last two run Node's serving code on their node:http layer, so an
// HTTP/1.1 client meets their node:http parser. For each: the status the client gets, and exactly what the
// upstream received — nothing, or the normalized request line and body. Where a runtime's own HTTP server
// answers before the gateway sees the request, the row names the variant and why (README: "Runtimes").
// E2E_ONLY=bun,bun:h2c runs some variants only.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { rawRequest } from '../support/raw-http.ts'
import { listenerVariants, spawnVariant, type VariantGateway } from '../support/listener-variants.ts'
import { recordingUpstream, type RecordingUpstream } from './recording-upstream.ts'

let upstream: RecordingUpstream
const variants = listenerVariants()
const gateways = new Map<string, VariantGateway>()

const config = (url: string) => (listen: string) => `
import { defineConfig } from 'gatehouse'
const auth = async (c, next) => (c.req.header('x-key') === 'secret' ? next() : c.text('auth required', 401))
export default defineConfig({
  listen: ${listen},
  pools: { web: { upstreams: ['${url}'] } },
  routes: [
    // The admin rule sits on the same host as the catch-all: within one host, the longer path wins.
    { host: 'localhost', path: '/admin/*', pool: 'web', use: [auth] },
    { host: 'localhost', path: '/small/*', pool: 'web', maxBodySize: '1kb' },
    { host: 'admin.example.com', pool: 'web', use: [auth] },
    { host: 'public.example.com', pool: 'web' },
    { host: 'localhost', pool: 'web' },
  ],
})
`

before(async () => {
  upstream = await recordingUpstream()
  // Two at a time: the machine may have few cores, and each CLI compiles its config at start.
  for (let i = 0; i < variants.length; i += 2) {
    await Promise.all(variants.slice(i, i + 2).map(async (v) => gateways.set(v.key, await spawnVariant(v, config(upstream.url), 'hostile'))))
  }
})
after(async () => {
  await Promise.all([...gateways.values()].map((g) => g.stop()))
  await upstream.close()
})

const H = 'Host: localhost\r\n'
const req = (line: string, headers = H, body = '') => `${line}\r\n${headers}Connection: close\r\n\r\n${body}`

/**
 * What the upstream must have received: nothing, or this request line (and body, when given), or
 * `CUT`: nothing whole. A body found bad part way is refused once read that far; Node's parser has
 * handed the head on by then (the upstream gets a request whose body never ends), Bun's may refuse
 * the whole request before any of it is handed on. `{ never }`: whatever else came, never this request line.
 */
type Seen = null | 'cut' | string | { line: string; body: string } | { never: string }
interface Expect {
  status: number
  upstream: Seen
}
/**
 * A row: its name, the bytes, what every listener must do, and where one differs (with why), by variant
 * key: `bun`, `deno` (their own servers, plain listener), `bun:h2c`, `bun:tls` (Bun's node:http layer).
 */
type Row = [name: string, bytes: string, expect: Expect, differs?: Partial<Record<string, Expect & { why: string }>>]

const refused = (status: number): Expect => ({ status, upstream: null })
const cut = (status: number): Expect => ({ status, upstream: 'cut' })
const forwarded = (status: number, upstream: Seen): Expect => ({ status, upstream })
const DENO_BAD_CHUNKS = { ...cut(0), why: "Deno's parser closes the connection without an answer on bad chunked framing; the upstream's request is aborted" }
const BUN_505 = { ...refused(505), why: "Bun's HTTP parser answers a malformed request line with 505 before the gateway sees it" }

const rows: Row[] = [
  // Request smuggling shapes: rejected before any upstream sees a byte.
  ['Content-Length and Transfer-Encoding', req('POST /x HTTP/1.1', H + 'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'), refused(400)],
  ['two different Content-Lengths', req('POST /x HTTP/1.1', H + 'Content-Length: 4\r\nContent-Length: 5\r\n', 'abcd'), refused(400)],
  ['two identical Content-Lengths', req('POST /x HTTP/1.1', H + 'Content-Length: 5\r\nContent-Length: 5\r\n', 'hello'), refused(400)],
  ['a listed Content-Length (5, 5)', req('POST /x HTTP/1.1', H + 'Content-Length: 5, 5\r\n', 'hello'), refused(400)],
  ['two identical Content-Lengths over the route limit', req('POST /small/x HTTP/1.1', H + 'Content-Length: 2048\r\nContent-Length: 2048\r\n', 'a'.repeat(2048)), refused(400)],
  ['Content-Length over the route limit', req('POST /small/x HTTP/1.1', H + 'Content-Length: 2048\r\n', 'a'.repeat(2048)), refused(413)],
  ['Content-Length with a sign', req('POST /x HTTP/1.1', H + 'Content-Length: +4\r\n', 'abcd'), refused(400)],
  ['Transfer-Encoding: chunked, identity', req('POST /x HTTP/1.1', H + 'Transfer-Encoding: chunked, identity\r\n', '0\r\n\r\n'), refused(400)],
  ['Transfer-Encoding: xchunked', req('POST /x HTTP/1.1', H + 'Transfer-Encoding: xchunked\r\n', '0\r\n\r\n'), refused(400)],
  ['space before the colon', req('POST /x HTTP/1.1', H + 'Transfer-Encoding : chunked\r\n', '0\r\n\r\n'), refused(400)],
  ['two Transfer-Encoding: chunked lines', req('POST /x HTTP/1.1', H + 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\n\r\n'), refused(400)],
  ['bare LF in the chunked framing', req('POST /x HTTP/1.1', H + 'Transfer-Encoding: chunked\r\n', '5\nhello\n0\n\n'), cut(400), { deno: DENO_BAD_CHUNKS }],
  ['chunk size past 64 bits', req('POST /x HTTP/1.1', H + 'Transfer-Encoding: chunked\r\n', 'fffffffffffffffff1\r\nhello\r\n0\r\n\r\n'), cut(400), { deno: DENO_BAD_CHUNKS }],
  ['chunk data longer than its size', req('POST /x HTTP/1.1', H + 'Transfer-Encoding: chunked\r\n', '5\r\nhelloX\r\n0\r\n\r\n'), cut(400), { deno: DENO_BAD_CHUNKS }],
  ['a trailer carrying Content-Length', req('POST /x HTTP/1.1', H + 'Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\nContent-Length: 5\r\n\r\n'), cut(400), {
    bun: { ...forwarded(400, { line: 'POST /x HTTP/1.1', body: 'hello' }), why: "Bun's parser refuses the trailer once the body, whole by its chunked framing, has gone on re-framed (the trailer is not forwarded)" },
    deno: { ...forwarded(200, { line: 'POST /x HTTP/1.1', body: 'hello' }), why: "Deno's parser takes trailer fields and drops them: the body was whole by its chunked framing and goes on re-framed" },
  }],
  ['a request smuggled after a Content-Length body: the /admin rule still applies to it',
    `POST /x HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhelloGET /admin/x HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, forwarded(200, { line: 'POST /x HTTP/1.1', body: 'hello' }), {
    bun: { status: 0, upstream: { never: 'GET /admin/x HTTP/1.1' }, why: 'Bun.serve closes a connection without an answer when a request is pipelined behind a pending one (README: Runtimes); the first may still go on, the second never' },
  }],
  ['whitespace before the first header line', req('GET /x HTTP/1.1', ' ' + H), refused(400)],
  ['obs-fold continuation line', req('GET /x HTTP/1.1', H + 'X-A: a\r\n b\r\n'), refused(400)],
  ['bare LF line endings', 'GET /x HTTP/1.1\nHost: localhost\nConnection: close\n\n', refused(400), {
    bun: BUN_505,
    deno: { ...forwarded(200, 'GET /x HTTP/1.1'), why: "Deno's parser accepts bare LF line ends (RFC 9112 §2.2 lets a recipient); the request goes on re-framed with CRLF" },
  }],
  ['bare CR in a header value', req('GET /x HTTP/1.1', H + 'X-A: a\rb\r\n'), refused(400)],
  ['NUL in a header value', req('GET /x HTTP/1.1', H + 'X-A: a\0b\r\n'), refused(400)],
  ['space inside a header name', req('GET /x HTTP/1.1', H + 'X A: 1\r\n'), refused(400)],
  // Request lines.
  ['lower-case method', req('get /x HTTP/1.1'), refused(400), { bun: { ...refused(0), why: "Bun's parser closes the connection without an answer" } }],
  ['unknown upper-case method', req('BREW /x HTTP/1.1'), refused(400), { bun: { ...refused(0), why: "Bun's parser closes the connection without an answer" } }],
  ['HTTP/0.9 request line', 'GET /x\r\n\r\n', refused(400), { bun: BUN_505 }],
  ['extra word after the version', req('GET /x HTTP/1.1 extra'), refused(400), { bun: BUN_505 }],
  ['unknown HTTP version', req('GET /x HTTP/2.5'), refused(400), { bun: BUN_505 }],
  ['space inside the target', req('GET /a b HTTP/1.1'), refused(400), { bun: BUN_505 }],
  ['headers over 16 KB', req('GET /x HTTP/1.1', H + `X-Big: ${'a'.repeat(20_000)}\r\n`), refused(431)],
  ['OPTIONS *', req('OPTIONS * HTTP/1.1'), refused(400), {
    deno: { ...forwarded(200, 'OPTIONS /* HTTP/1.1'), why: 'Deno.serve hands `OPTIONS *` over as the path /*, indistinguishable from a request for /*' },
  }],
  ['fragment in the target', req('GET /a#b HTTP/1.1'), refused(400)],
  ['encoded NUL', req('GET /a%00b HTTP/1.1'), refused(400)],
  ['encoded CR LF', req('GET /a%0d%0aX-Injected:%201 HTTP/1.1'), refused(400)],
  ['bad percent escape', req('GET /%zz HTTP/1.1'), refused(400)],
  ['overlong UTF-8 dot', req('GET /%c0%ae%c0%ae/admin/x HTTP/1.1'), refused(400)],
  ['backslash in the path', req('GET /admin\\x HTTP/1.1'), refused(400), { bun: { ...refused(401), why: 'Bun.serve turns \\ into / before the gateway sees the path: the /admin rule applies' } }],
  // Host (RFC 9112 §3.2): exactly one, valid, before routing.
  ['two Host lines', req('GET /x HTTP/1.1', 'Host: localhost\r\nHost: admin.example.com\r\n'), refused(400)],
  ['Host with a port that is not a number', req('GET /x HTTP/1.1', 'Host: localhost:abc\r\n'), refused(400)],
  ['Host with a port over 65535', req('GET /x HTTP/1.1', 'Host: localhost:70000\r\n'), refused(400)],
  ['Host with a comma', req('GET /x HTTP/1.1', 'Host: localhost, admin.example.com\r\n'), refused(400)],
  ['Host with userinfo', req('GET /x HTTP/1.1', 'Host: user@localhost\r\n'), refused(400)],
  ['empty Host', req('GET /x HTTP/1.1', 'Host: \r\n'), refused(400)],
  ['HTTP/1.1 without Host', req('GET /x HTTP/1.1', ''), refused(400)],
  ['HTTP/1.0 without Host', 'GET /x HTTP/1.0\r\n\r\n', refused(400)],
  // Methods the gateway does not forward, and bodies it cannot forward on every runtime.
  ['CONNECT tunnel', 'CONNECT localhost:22 HTTP/1.1\r\nHost: localhost:22\r\n\r\n', refused(405)],
  ['CONNECT with an origin-form target', req('CONNECT /x HTTP/1.1'), refused(405), { deno: { ...refused(400), why: "Deno's HTTP parser refuses a CONNECT target that is not host:port" } }],
  ['TRACE', req('TRACE /x HTTP/1.1'), refused(405)],
  ['GET with a body', req('GET /x HTTP/1.1', H + 'Content-Length: 5\r\n', 'hello'), refused(400)],
  ['HEAD with a body', req('HEAD /x HTTP/1.1', H + 'Content-Length: 5\r\n', 'hello'), refused(400)],
  ['GET with a chunked body', req('GET /x HTTP/1.1', H + 'Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\n\r\n'), refused(400)],
  ['unknown Expect', req('GET /x HTTP/1.1', H + 'Expect: bananas\r\n'), refused(417)],
  // Path tricks against the /admin rule: normalized one way, so the rule always applies.
  ['/public/../admin', req('GET /public/../admin/x HTTP/1.1'), refused(401)],
  ['/%2e%2e/admin', req('GET /%2e%2e/admin/x HTTP/1.1'), refused(401)],
  ['/public/%2E%2e/admin', req('GET /public/%2E%2e/admin/x HTTP/1.1'), refused(401)],
  ['//admin', req('GET //admin/x HTTP/1.1'), refused(401)],
  ['/%61dmin', req('GET /%61dmin/x HTTP/1.1'), refused(401)],
  ['/./admin', req('GET /./admin/x HTTP/1.1'), refused(401)],
  ['/a/b/../../admin', req('GET /a/b/../../admin/x HTTP/1.1'), refused(401)],
  ['/admin%2Fx (encoded slash)', req('GET /admin%2Fx HTTP/1.1'), refused(401)],
  ['/public/..%2Fadmin', req('GET /public/..%2Fadmin/x HTTP/1.1'), refused(401)],
  ['/admin%5Cx (encoded backslash)', req('GET /admin%5Cx HTTP/1.1'), refused(401)],
  ['/admin/ with the key: forwarded as normalized', req('GET /x/../admin/./y?q=%2F HTTP/1.1', H + 'X-Key: secret\r\n'), forwarded(200, 'GET /admin/y?q=%2F HTTP/1.1')],
  // Host tricks against the admin host.
  ['mixed-case host', req('GET /x HTTP/1.1', 'Host: ADMIN.Example.COM\r\n'), refused(401)],
  ['host with a trailing dot and a port', req('GET /x HTTP/1.1', 'Host: admin.example.com.:8080\r\n'), refused(401)],
  ['absolute-form names the admin host, Host names the public one', req('GET http://admin.example.com/x HTTP/1.1', 'Host: public.example.com\r\n'), refused(401), {
    bun: { ...forwarded(200, 'GET /x HTTP/1.1'), why: "Bun.serve drops an absolute-form target's authority: Bun routes by Host (the route that matched it applies)" },
  }],
  ['absolute-form to a host no route names', req('GET http://169.254.169.254/latest HTTP/1.1'), refused(404), {
    bun: { ...forwarded(200, 'GET /latest HTTP/1.1'), why: 'Bun routes absolute-form by Host (see above); the named host is never contacted' },
  }],
  ['absolute-form with userinfo', req('GET http://user@localhost/x HTTP/1.1'), refused(400), {
    bun: { ...forwarded(200, 'GET /x HTTP/1.1'), why: 'Bun routes absolute-form by Host (see above)' },
  }],
  // Accepted, and forwarded exactly as normalized, body included.
  ['duplicate slashes merged, query kept byte for byte', req('GET //a///b?x=1&&y=%20 HTTP/1.1'), forwarded(200, 'GET /a/b?x=1&&y=%20 HTTP/1.1')],
  ['unreserved escapes decoded, reserved kept', req('GET /%7Euser/%41%2f HTTP/1.1'), forwarded(200, 'GET /~user/A%2F HTTP/1.1')],
  ['POST with a body', req('POST /x HTTP/1.1', H + 'Content-Length: 5\r\n', 'hello'), forwarded(200, { line: 'POST /x HTTP/1.1', body: 'hello' })],
  ['DELETE with a chunked body', req('DELETE /x HTTP/1.1', H + 'Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\n\r\n'), forwarded(200, { line: 'DELETE /x HTTP/1.1', body: 'hello' })],
  ['POST within the route limit', req('POST /small/x HTTP/1.1', H + 'Content-Length: 1024\r\n', 'a'.repeat(1024)), forwarded(200, { line: 'POST /small/x HTTP/1.1', body: 'a'.repeat(1024) })],
]

/** The body as the upstream got it: chunked framing removed. */
function bodyOf(r: { head: string; body: Buffer }): string {
  const raw = r.body.toString('latin1')
  if (!/\r\ntransfer-encoding: *chunked/i.test(r.head)) return raw
  let out = ''
  for (let at = 0; ; ) {
    const eol = raw.indexOf('\r\n', at)
    const size = parseInt(raw.slice(at, eol), 16)
    if (!size) return out
    out += raw.slice(eol + 2, eol + 2 + size)
    at = eol + 4 + size
  }
}

for (const variant of variants) {
  describe(`hostile requests on ${variant.title}`, () => {
    const send = (bytes: string, timeoutMs?: number) => {
      const g = gateways.get(variant.key)!
      return rawRequest(g.port, bytes, timeoutMs, { tls: g.tls })
    }
    test(`${rows.length} rows: each gets the right status; the upstream sees nothing or exactly the normalized request`, async (t) => {
      for (const [name, bytes, all, differs] of rows) {
        const want = differs?.[variant.key] ?? all
        await t.test(name, async () => {
          upstream.clear()
          const res = await send(bytes, 2000)
          assert.equal(res.status, want.status, `got: ${JSON.stringify(res.head.split('\r\n')[0] ?? res.raw.slice(0, 40))}`)
          await new Promise((r) => setTimeout(r, 30))
          if (want.upstream === null) return assert.deepEqual(upstream.received.map((r) => r.head.split('\r\n')[0]), [], 'the upstream received a request')
          if (typeof want.upstream === 'object' && 'never' in want.upstream) {
            const never = want.upstream.never
            return assert.ok(!upstream.received.some((r) => r.head.startsWith(never + '\r\n')), `the upstream received ${never}`)
          }
          if (want.upstream === 'cut') return assert.deepEqual(upstream.received.filter((r) => r.complete).map((r) => r.head.split('\r\n')[0]), [], 'the upstream received a whole request')
          const expected = typeof want.upstream === 'string' ? { line: want.upstream } : want.upstream
          assert.equal(upstream.received.length, 1)
          const got = upstream.received[0]!
          assert.equal(got.head.split('\r\n')[0], expected.line)
          if ('body' in expected) assert.equal(bodyOf(got), expected.body)
          assert.ok(!/\r\nx-key:/i.test(got.head) || name.includes('with the key'))
        })
      }
    })

    test('a chunked body over the route limit: 413, and the upstream never gets more than the limit', async () => {
      upstream.clear()
      const chunk = 'a'.repeat(600)
      const res = await send(req('POST /small/x HTTP/1.1', H + 'Transfer-Encoding: chunked\r\n', `258\r\n${chunk}\r\n258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`), 3000)
      assert.equal(res.status, 413)
      await new Promise((r) => setTimeout(r, 50))
      for (const r of upstream.received) assert.ok(bodyOf(r).length <= 1024, `the upstream got ${bodyOf(r).length} body bytes`)
    })

    test('CR/LF never reaches an upstream header value, and Connection cannot strip gateway headers', async () => {
      upstream.clear()
      const res = await send(
        req('GET /x HTTP/1.1', H + 'Connection: X-Forwarded-For, X-Real-IP\r\nX-Forwarded-For: 6.6.6.6\r\nAuthorization: Basic eA==\r\nConnection: Authorization\r\n'),
      )
      assert.equal(res.status, 200)
      const head = upstream.received[0]!.head
      assert.match(head, /\r\nx-forwarded-for: 127\.0\.0\.1\r\n/i)
      assert.match(head, /\r\nx-real-ip: 127\.0\.0\.1/i)
      assert.doesNotMatch(head, /6\.6\.6\.6/)
      assert.doesNotMatch(head, /authorization/i, 'a header named in Connection was forwarded')
    })
  })
}
