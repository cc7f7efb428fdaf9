// HTTP/2 abuse against the gateway CLI's h2c listener under Node, Bun and Deno (Bun serves HTTP/2 on its
// node:http2 layer, core/runtime/node-http2/; Deno on Deno.serve, whose plain listener takes h2c prior
// knowledge): the rapid-reset shape (CVE-2023-44487: open a stream, cancel it at once, thousands of
// times), a CONTINUATION flood (CVE-2024-27983: a header block that never ends), header-count limits,
// and a body over a route's limit. Each flood must be refused — its connection closed — while another
// client's requests keep being answered. Every flood is bounded in count and time.
// E2E_ONLY=node,deno runs some runtimes only, for debugging.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import http2 from 'node:http2'
import { connect, type Socket } from 'node:net'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { RUNTIMES, spawnGatewayUnder, type RuntimeGateway } from '../support/runtimes.ts'
import { FRAME, PREFACE, frame } from './raw-h2.ts'

let up: Upstream
before(async () => {
  up = await startUpstream(echo('app'))
})
after(() => up?.close())

/**
 * A raw connection that has sent the preface, SETTINGS and the HEADERS frame of stream 1 without
 * END_HEADERS, so CONTINUATION frames follow (HPACK: :method GET, :path /, :scheme http, indexed).
 */
async function openHeaderBlock(port: number): Promise<{ socket: Socket; closed: () => boolean }> {
  const socket = connect(port, '127.0.0.1')
  await new Promise((r) => socket.once('connect', r))
  let closed = false
  socket.on('close', () => (closed = true))
  socket.on('error', () => {})
  socket.resume()
  socket.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0), frame(FRAME.HEADERS, 0, 1, Buffer.from([0x82, 0x84, 0x86]))]))
  return { socket, closed: () => closed }
}

const only = process.env.E2E_ONLY?.split(',')
for (const runtime of RUNTIMES.filter((r) => !only || only.includes(r))) {
  describe(`HTTP/2 abuse on ${runtime}`, { timeout: 120_000 }, () => {
    let gw: RuntimeGateway
    const start = async () => {
      gw = await spawnGatewayUnder(
        runtime,
        (port) => `import { defineConfig } from 'gatehouse'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port}, http2: { h2c: true } },
  limits: { maxHeaderCount: 20 },
  pools: { app: { upstreams: ['${up.url}'] }, dead: { upstreams: ['http://127.0.0.1:9'], timeouts: { connect: '1s' } } },
  routes: [{ path: '/small/*', pool: 'app', maxBodySize: '1kb' }, { path: '/dead/*', pool: 'dead' }, { pool: 'app' }],
})
`,
        'h2abuse',
      )
    }
    before(start)
    after(() => gw?.stop())

    /** A well-behaved client's GET over its own HTTP/2 connection (bounded: 5 s). */
    async function innocentGet(): Promise<number> {
      const session = http2.connect(gw.url)
      session.on('error', () => {})
      try {
        const stream = session.request({ ':path': '/ok' })
        stream.resume()
        return await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000)
          stream.on('response', (h) => (clearTimeout(timer), resolve(Number(h[':status']))))
          stream.on('error', (e) => (clearTimeout(timer), reject(e)))
        })
      } finally {
        session.close()
      }
    }

    test('limits.maxHeaderCount counts headers, not pseudo-headers: 20 pass, 21 get 431', async () => {
      const session = http2.connect(gw.url)
      try {
        const get = (n: number) =>
          new Promise<number>((resolve, reject) => {
            const headers: Record<string, string> = { ':path': '/h' }
            for (let i = 0; i < n; i++) headers[`x-h${i}`] = 'v'
            const stream = session.request(headers)
            stream.on('response', (h) => resolve(Number(h[':status'])))
            stream.on('error', reject)
            stream.resume()
          })
        assert.equal(await get(20), 200)
        assert.equal(await get(21), 431)
      } finally {
        session.close()
      }
    })

    test('a body without length over maxBodySize: 413 on that stream, the connection goes on', async () => {
      const session = http2.connect(gw.url)
      try {
        const send = (path: string, bytes: number) =>
          new Promise<number>((resolve, reject) => {
            const stream = session.request({ ':method': 'POST', ':path': path })
            stream.on('response', (h) => resolve(Number(h[':status'])))
            stream.on('error', reject)
            stream.resume()
            stream.end(Buffer.alloc(bytes)) // DATA frames, no content-length
          })
        assert.equal(await send('/small/x', 64 * 1024), 413)
        assert.equal(await send('/small/y', 500), 200)
        assert.equal(await send('/other', 64 * 1024), 200)
      } finally {
        session.close()
      }
    })

    test('rapid reset: the flooding connection is closed; another client is answered meanwhile', async () => {
      const session = http2.connect(gw.url)
      let closedByServer = false
      session.on('error', () => {})
      session.on('goaway', () => (closedByServer = true))
      const closed = new Promise<void>((resolve) => session.on('close', () => resolve()))
      let sent = 0
      const started = Date.now()
      const flood = (async () => {
        while (!session.closed && !session.destroyed && sent < 20_000 && Date.now() - started < 20_000) {
          for (let i = 0; i < 100 && !session.destroyed; i++, sent++) {
            try {
              const s = session.request({ ':path': `/r${sent}` })
              s.on('error', () => {})
              s.close(http2.constants.NGHTTP2_CANCEL)
            } catch {
              break
            }
          }
          await new Promise((r) => setImmediate(r))
        }
      })()
      const statuses = await Promise.all([innocentGet(), innocentGet(), innocentGet()]).catch((err: Error) => err)
      await flood
      await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))])
      const afterwards = await innocentGet().catch((err: Error) => err)
      await new Promise((r) => setTimeout(r, 300))
      assert.deepEqual(statuses, [200, 200, 200])
      assert.ok(closedByServer || session.destroyed, `the flooding session is still open after ${sent} resets`)
      assert.ok(sent < 20_000, `the gateway let all ${sent} resets through`)
      console.log(`# ${runtime}: rapid reset: connection closed after ${sent} cancelled streams`)
      assert.equal(afterwards, 200)
    })

    // The gateway answers a failed gRPC call itself (UNAVAILABLE, trailers-only). A client that
    // cancels first (grpc-js at its deadline) left a stream that took no answer: writing it anyway
    // threw outside any handler and the gateway process exited (seen on Node under load).
    test('gRPC calls cancelled while the gateway answers them itself: the gateway stays up and answers the rest', async () => {
      const cancelling = http2.connect(gw.url)
      const calm = http2.connect(gw.url) // its own connection: the rapid-reset defence may close the cancelling one
      for (const s of [cancelling, calm]) s.on('error', () => {})
      const statuses: string[] = []
      const call = (session: http2.ClientHttp2Session, i: number, cancel?: (s: http2.ClientHttp2Stream) => void) =>
        new Promise<void>((resolve) => {
          let s: http2.ClientHttp2Stream
          try {
            s = session.request({ ':method': 'POST', ':path': `/dead/Echo/${i}`, 'content-type': 'application/grpc', te: 'trailers' })
          } catch {
            return resolve() // the cancelling session was closed
          }
          s.on('error', () => {})
          s.on('close', () => resolve())
          s.on('response', (h) => void (cancel || statuses.push(`${h[':status']}/${h['grpc-status']}`)))
          s.resume()
          s.end(Buffer.alloc(5))
          cancel?.(s)
        })
      const CANCEL = http2.constants.NGHTTP2_CANCEL
      try {
        await Promise.all([
          // Cancelled at once, after a turn, or a little later: each lands in another step of the answer.
          ...Array.from({ length: 240 }, (_, i) =>
            call(cancelling, i, (s) => (i % 3 === 0 ? s.close(CANCEL) : i % 3 === 1 ? setImmediate(() => s.close(CANCEL)) : setTimeout(() => s.close(CANCEL), i % 40))),
          ),
          ...Array.from({ length: 60 }, (_, i) => call(calm, i)),
        ])
      } finally {
        cancelling.close()
        calm.close()
      }
      await new Promise((r) => setTimeout(r, 200))
      assert.ok(gw.proc.running(), `the gateway exited:\n${gw.proc.tail()}`)
      // Deno.serve cannot send trailers: there every gRPC call is UNIMPLEMENTED, said in the head (README: HTTP/2 and gRPC).
      const want = runtime === 'deno' ? '200/12' : '200/14'
      assert.deepEqual(statuses, Array(60).fill(want), `each call not cancelled is answered ${want} (HTTP status/grpc-status)`)
      console.log(`# ${runtime}: 240 gRPC calls to a dead pool cancelled mid-answer, 60 answered ${want} beside them`)
      assert.equal(await innocentGet(), 200)
    })

    test('CONTINUATION flood: a header block that never ends is cut off; another client is answered', async () => {
      const { socket, closed } = await openHeaderBlock(gw.port)
      // HPACK: literal "x-pad: <60 bytes>" pairs without indexing.
      const literal = Buffer.concat([Buffer.from([0x00, 5]), Buffer.from('x-pad'), Buffer.from([60]), Buffer.alloc(60, 0x61)])
      let sent = 0
      const block = frame(FRAME.CONTINUATION, 0, 1, Buffer.concat(Array.from({ length: 100 }, () => literal)))
      const started = Date.now()
      const answered = innocentGet()
      while (!closed() && sent < 10_000 && Date.now() - started < 20_000) {
        if (!socket.write(block)) await new Promise((r) => (socket.once('drain', r), setTimeout(r, 50)))
        sent++
        if (sent % 50 === 0) await new Promise((r) => setImmediate(r))
      }
      await new Promise((r) => setTimeout(r, 500))
      socket.destroy()
      assert.equal(await answered, 200)
      assert.ok(closed(), `the connection is still open after ${sent} CONTINUATION frames (${sent * 6.8} KB of headers)`)
      console.log(`# ${runtime}: CONTINUATION flood: connection closed after ${sent} frames`)
      assert.equal(await innocentGet(), 200)
    })

    // The CVE-2024-27983 shape with nothing in the frames: no header bytes to count against a size
    // limit, only the frame count. nghttp2 (Node) ends such a block within a few thousand frames, and
    // Deno.serve's HTTP/2 (hyper) within about a thousand; Bun's node:http2 layer (1.4.5) takes them
    // without end, one core busy per attacking connection (about 70 million frames a second read,
    // memory flat). The gateway cannot count them: Bun's native frame parser reads the socket itself.
    // Other clients are answered meanwhile on all three; Bun is asserted as it is, so a Bun that
    // starts refusing them shows up here (README: Runtimes).
    test('empty CONTINUATION frames without end: cut off on Node and Deno, not on Bun (a gap named); another client is answered', async () => {
      const { socket, closed } = await openHeaderBlock(gw.port)
      const batch = Buffer.concat(Array.from({ length: 500 }, () => frame(FRAME.CONTINUATION, 0, 1)))
      let sent = 0
      const started = Date.now()
      const answered = innocentGet()
      while (!closed() && sent < 2_000_000 && Date.now() - started < 3000) {
        if (!socket.write(batch)) await new Promise((r) => (socket.once('drain', r), setTimeout(r, 50)))
        sent += 500
        await new Promise((r) => setImmediate(r))
      }
      await new Promise((r) => setTimeout(r, 300))
      socket.destroy()
      assert.equal(await answered, 200)
      console.log(`# ${runtime}: empty CONTINUATION flood: ${closed() ? 'closed' : 'still open'} after ${sent} frames`)
      if (runtime === 'bun') assert.ok(!closed(), `Bun now closes after ${sent} empty CONTINUATION frames: the gap is closed, make this row assert it`)
      else assert.ok(closed(), `the connection is still open after ${sent} empty CONTINUATION frames`)
      assert.equal(await innocentGet(), 200)
    })
  })
}
