// Hostile HTTP/2 requests against the gateway CLI's h2c listener under Node, Bun (its node:http2 layer)
// and Deno (Deno.serve, hyper underneath), with the config of test/security/hostile-requests.test.ts (an
// admin path and an admin host behind a key). Each request is exactly the header block given (raw-h2.ts
// swaps it into a node:http2 client's HEADERS frame, so shapes the client refuses go out too). For each:
// what the client gets — a status, or a stream error (RST_STREAM; Deno.serve answers some malformed
// requests with GOAWAY, a connection error, where nghttp2 and Bun reset the stream) — and exactly what the upstream received:
// nothing, or the normalized request. Where a runtime's HTTP/2 layer differs, the row says how and why.
// E2E_ONLY=node,deno runs some runtimes only, for debugging.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import http2 from 'node:http2'
import { connect } from 'node:net'
import { recordingUpstream, type Received, type RecordingUpstream } from '../security/recording-upstream.ts'
import { RUNTIMES, spawnGatewayUnder, type RuntimeGateway, type RuntimeName } from '../support/runtimes.ts'
import { FLAG, FRAME, PREFACE, frame, headerBlock, rawH2Request, type Answer } from './raw-h2.ts'

let upstream: RecordingUpstream
before(async () => {
  upstream = await recordingUpstream()
})
after(() => upstream?.close())

const config = (url: string) => (port: number) => `import { defineConfig } from 'gatehouse'
const auth = async (c, next) => (c.req.header('x-key') === 'secret' ? next() : c.text('auth required', 401))
export default defineConfig({
  listen: { port: ${port}, host: '127.0.0.1', http2: { h2c: true } },
  limits: { maxHeaderCount: 20 },
  pools: { web: { upstreams: ['${url}'] } },
  routes: [
    { host: 'app.test', path: '/admin/*', pool: 'web', use: [auth] },
    { host: 'app.test', path: '/small/*', pool: 'web', maxBodySize: '1kb' },
    { host: 'admin.example.com', pool: 'web', use: [auth] },
    { host: 'public.example.com', pool: 'web' },
    { host: 'app.test', pool: 'web' },
  ],
})
`

type Fields = [string, string][]
const req = (path = '/x', extra: Fields = [], method = 'GET', authority = 'app.test'): Fields => [[':method', method], [':scheme', 'http'], [':authority', authority], [':path', path], ...extra]
const headers = (n: number): Fields => Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v'])

/** What the client must get: a status, or a stream/connection error ('reset'). */
type Got = number | 'reset'
/** What the upstream must have received: nothing, or this request line (its head must not contain `absent`). */
interface Expect {
  got: Got
  upstream: null | string
  absent?: RegExp
  /** The upstream may have seen the request begin (its body streams), but never a complete one. */
  cut?: true
}
type Row = [name: string, fields: Fields, body: string | undefined, expect: Expect, differs?: Partial<Record<RuntimeName, Expect & { why: string }>>]

const refused = (got: Got): Expect => ({ got, upstream: null })
const forwarded = (line: string, absent?: RegExp): Expect => ({ got: 200, upstream: line, absent })
/** Refused after the request began upstream (a streamed body): the upstream request is aborted, never complete. */
const cut = (got: Got): Expect => ({ got, upstream: null, cut: true })
const DENO_ENDS_CONNECTION = { ...refused('reset'), why: "Deno.serve's HTTP/2 (hyper) answers an invalid field with GOAWAY PROTOCOL_ERROR, ending the connection" }
const DENO_ABSOLUTE = "Deno.serve does not tell HTTP/2 from HTTP/1.1: a Host that disagrees with :authority looks like HTTP/1.1's absolute form, which is routed by the target's authority (RFC 9112 §3.2.2) and forwarded with it as Host"
const BUN_DROPS_NOTHING = { ...refused('reset'), why: "Bun's layer resets a stream with an invalid field (PROTOCOL_ERROR); nghttp2 (Node) and Deno drop the field and serve the rest" }

const rows: Row[] = [
  // Authority (RFC 9113 §8.3.1): :authority or Host, never two that disagree.
  ['neither :authority nor Host', [[':method', 'GET'], [':scheme', 'http'], [':path', '/x']], undefined, refused('reset'), { deno: { ...refused(400), why: 'hyper passes it on; the core refuses a request without a host (400)' } }],
  ['Host without :authority', [[':method', 'GET'], [':scheme', 'http'], [':path', '/x'], ['host', 'app.test']], undefined, forwarded('GET /x HTTP/1.1')],
  [':authority names the admin host, Host the public one', req('/x', [['host', 'public.example.com']], 'GET', 'admin.example.com'), undefined, refused(400), { deno: { ...refused(401), why: DENO_ABSOLUTE } }],
  [':authority names the public host, Host the admin one', req('/x', [['host', 'admin.example.com']], 'GET', 'public.example.com'), undefined, refused(400), { deno: { ...forwarded('GET /x HTTP/1.1', /\r\nhost: *admin/i), why: DENO_ABSOLUTE } }],
  [':authority and Host agree (case aside)', req('/x', [['host', 'App.Test']]), undefined, forwarded('GET /x HTTP/1.1')],
  [':authority names the admin host', req('/x', [], 'GET', 'admin.example.com'), undefined, refused(401)],
  [':authority with userinfo', req('/x', [], 'GET', 'user@app.test'), undefined, refused('reset'), { deno: { ...refused(400), why: 'hyper passes it on; the core refuses userinfo in the authority (400)' } }],
  [':authority listing two hosts', req('/x', [], 'GET', 'admin.example.com, public.example.com'), undefined, refused('reset')],
  // Connection-specific fields (RFC 9113 §8.2.2): malformed, never forwarded.
  ['connection: keep-alive', req('/x', [['connection', 'keep-alive']]), undefined, refused('reset')],
  ['transfer-encoding: chunked', req('/x', [['transfer-encoding', 'chunked']], 'POST'), 'hello', refused('reset')],
  ['upgrade: websocket', req('/x', [['upgrade', 'websocket']]), undefined, refused('reset')],
  ['keep-alive', req('/x', [['keep-alive', 'timeout=5']]), undefined, refused('reset')],
  ['proxy-connection', req('/x', [['proxy-connection', 'keep-alive']]), undefined, refused('reset')],
  ['te: gzip', req('/x', [['te', 'gzip']]), undefined, refused('reset')],
  ['te: trailers (allowed; not forwarded to an HTTP/1.1 upstream)', req('/x', [['te', 'trailers']]), undefined, forwarded('GET /x HTTP/1.1', /\r\nte:/i)],
  // :path.
  [':path * with OPTIONS', req('*', [], 'OPTIONS'), undefined, refused(400), { deno: { ...forwarded('OPTIONS /* HTTP/1.1'), why: 'Deno.serve hands `*` over as the path /* (as for HTTP/1.1: test/security/hostile-requests.test.ts)' } }],
  [':path * with GET', req('*'), undefined, refused('reset'), { deno: { ...refused(404), why: 'hyper passes it on; no route matches it' } }],
  [':path in absolute form', req('http://admin.example.com/x'), undefined, refused('reset'), { deno: { ...forwarded('GET /http:/admin.example.com/x HTTP/1.1'), why: 'Deno.serve takes an absolute :path as a path under :authority: the route of app.test applies, and the path is normalized' } }],
  [':path empty', req(''), undefined, refused('reset')],
  [':path without a leading slash', req('admin/x'), undefined, refused('reset'), { deno: { ...refused(401), why: 'Deno.serve reads it as /admin/x: the /admin rule applies' } }],
  ['two :path fields', req('/x', [[':path', '/admin/x']]), undefined, refused('reset')],
  ['a pseudo-header after a regular one', [[':method', 'GET'], ['x-a', '1'], [':scheme', 'http'], [':authority', 'app.test'], [':path', '/x']], undefined, refused('reset')],
  // Path tricks against the /admin rule: normalized as for HTTP/1.1, so the rule always applies.
  ['/public/../admin', req('/public/../admin/x'), undefined, refused(401)],
  ['/%2e%2e/admin', req('/%2e%2e/admin/x'), undefined, refused(401)],
  ['/public/%2E%2e/admin', req('/public/%2E%2e/admin/x'), undefined, refused(401)],
  ['//admin', req('//admin/x'), undefined, refused(401)],
  ['/%61dmin', req('/%61dmin/x'), undefined, refused(401)],
  ['/admin%2Fx (encoded slash)', req('/admin%2Fx'), undefined, refused(401)],
  ['/public/..%2Fadmin', req('/public/..%2Fadmin/x'), undefined, refused(401)],
  ['encoded NUL', req('/a%00b'), undefined, refused(400)],
  ['/admin/ with the key: forwarded as normalized', req('/x/../admin/./y?q=%2F', [['x-key', 'secret']]), undefined, forwarded('GET /admin/y?q=%2F HTTP/1.1')],
  // Bodies and their framing. Content-Length against DATA is judged by the HTTP/2 layer once the DATA
  // is read, at times after the one turn the gateway waits before forwarding (Node and Bun 1 run in 6;
  // Deno.serve always hands the request over first): the upstream request may begin, and is aborted.
  ['content-length 10, 5 bytes of DATA', req('/x', [['content-length', '10']], 'POST'), 'hello', cut('reset')],
  ['content-length 2, 5 bytes of DATA', req('/x', [['content-length', '2']], 'POST'), 'hello', cut('reset')],
  ['two content-length fields', req('/x', [['content-length', '5'], ['content-length', '5']], 'POST'), 'hello', refused('reset'), { deno: { ...refused(400), why: 'hyper passes them on; the core refuses two Content-Length fields (400)' } }],
  ['content-length matching DATA', req('/x', [['content-length', '5']], 'POST'), 'hello', forwarded('POST /x HTTP/1.1')],
  ['content-length over the route limit', req('/small/x', [['content-length', '2048']], 'POST'), 'a'.repeat(2048), refused(413)],
  ['DATA over the route limit, no content-length', req('/small/x', [], 'POST'), 'a'.repeat(2048), refused(413), { deno: { ...cut(413), why: 'the body streams: the upstream request begins, and is aborted at the limit' } }],
  ['GET with a body', req('/x'), 'hello', refused(400), { deno: { ...forwarded('GET /x HTTP/1.1'), why: 'Deno.serve hides a GET body from the handler: forwarded without it' } }],
  ['CONNECT', [[':method', 'CONNECT'], [':authority', 'app.test:22']], undefined, refused(405)],
  // Field names and values.
  ['an upper-case field name', req('/x', [['X-Upper', 'v']]), undefined, refused('reset')],
  ['an upper-case Host', [[':method', 'GET'], [':scheme', 'http'], [':path', '/x'], ['Host', 'app.test']], undefined, refused('reset')],
  ['CR LF in a value', req('/x', [['x-a', 'a\r\nx-injected: 1']]), undefined, forwarded('GET /x HTTP/1.1', /\r\n(x-a|x-injected):/i), { bun: BUN_DROPS_NOTHING, deno: DENO_ENDS_CONNECTION }],
  ['NUL in a value', req('/x', [['x-a', 'a\0b']]), undefined, forwarded('GET /x HTTP/1.1', /\r\nx-a:/i), { bun: BUN_DROPS_NOTHING, deno: DENO_ENDS_CONNECTION }],
  ['a space in a name', req('/x', [['x a', '1']]), undefined, forwarded('GET /x HTTP/1.1', /\r\nx a:/i), { bun: BUN_DROPS_NOTHING, deno: DENO_ENDS_CONNECTION }],
  // Header list limits (limits.maxHeaderCount 20, maxHeaderBytes 16 KB): 431, or a refused stream.
  ['30 header fields', req('/x', headers(30)), undefined, refused('reset'), { deno: { ...refused(431), why: 'hyper passes them on; the core counts them (limits.maxHeaderCount: 431)' } }],
  ['21 header fields', req('/x', headers(21)), undefined, refused(431)],
  ['20 KB of header fields', req('/x', [['x-big', 'a'.repeat(20 * 1024)]]), undefined, refused(431), { bun: { ...refused('reset'), why: "Bun's layer refuses a header list this large itself (RST_STREAM ENHANCE_YOUR_CALM)" } }],
  ['64 KB of header fields', req('/x', [['x-big', 'a'.repeat(64 * 1024)]]), undefined, refused(431), { bun: { ...refused('reset'), why: "Bun's layer ends the connection itself (GOAWAY COMPRESSION_ERROR)" } }],
]

const outcome = (a: Answer): Got => (a.status === 0 && (a.resetCode !== undefined || a.goaway !== undefined) ? 'reset' : a.status)

/** Whether the upstream got a request complete by its own framing (Content-Length met, or the chunked terminator). */
function complete(r: Received): boolean {
  const cl = /\r\ncontent-length: *(\d+)/i.exec(r.head)
  if (cl) return r.body.length >= Number(cl[1])
  if (/\r\ntransfer-encoding: *chunked/i.test(r.head)) return r.body.toString('latin1').endsWith('0\r\n\r\n')
  return true
}

/** A POST whose stream the client resets after some DATA, raw (node:http2's client ends its side before a reset). */
async function resetMidBody(port: number, contentLength: string | undefined, gapMs: number): Promise<void> {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  socket.resume()
  const fields: Fields = req('/x', contentLength ? [['content-length', contentLength]] : [], 'POST')
  socket.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0), frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, headerBlock(fields)), frame(FRAME.DATA, 0, 1, Buffer.from('hello'))]))
  await new Promise((r) => setTimeout(r, gapMs))
  const cancel = Buffer.alloc(4)
  cancel.writeUInt32BE(http2.constants.NGHTTP2_CANCEL)
  socket.write(frame(FRAME.RST_STREAM, 0, 1, cancel))
  await new Promise((r) => setTimeout(r, 300))
  socket.destroy()
}

const only = process.env.E2E_ONLY?.split(',')
for (const runtime of RUNTIMES.filter((r) => !only || only.includes(r))) {
  describe(`hostile HTTP/2 requests on ${runtime}`, { timeout: 120_000 }, () => {
    let gw: RuntimeGateway
    before(async () => {
      gw = await spawnGatewayUnder(runtime, config(upstream.url), 'h2hostile')
    })
    after(() => gw?.stop())

    test(`${rows.length} rows: each gets the right answer; the upstream sees nothing or exactly the normalized request`, async (t) => {
      for (const [name, fields, body, all, differs] of rows) {
        const want = differs?.[runtime] ?? all
        await t.test(name, async () => {
          upstream.clear()
          const answer = await rawH2Request(gw.port, fields, body)
          assert.equal(outcome(answer), want.got, `got ${JSON.stringify(answer).slice(0, 200)}`)
          await new Promise((r) => setTimeout(r, 50))
          const lines = upstream.received.map((r) => r.head.split('\r\n')[0])
          if (want.cut) return assert.deepEqual(upstream.received.filter(complete).map((r) => r.head.split('\r\n')[0]), [], 'the upstream received a complete request')
          if (want.upstream === null) return assert.deepEqual(lines, [], 'the upstream received a request')
          assert.deepEqual(lines, [want.upstream])
          assert.ok(complete(upstream.received[0]!))
          if (want.absent) assert.doesNotMatch(upstream.received[0]!.head, want.absent)
        })
      }
    })

    test('a stream reset mid-body never completes a request upstream (chunked or with a Content-Length)', async () => {
      for (const contentLength of [undefined, '10']) {
        for (const gapMs of [0, 200]) {
          upstream.clear()
          await resetMidBody(gw.port, contentLength, gapMs)
          const whole = upstream.received.filter(complete).map((r) => `${r.head.split('\r\n')[0]} ${JSON.stringify(r.body.toString('latin1'))}`)
          assert.deepEqual(whole, [], `content-length ${contentLength ?? 'none'}, reset after ${gapMs} ms`)
        }
      }
    })
  })
}
