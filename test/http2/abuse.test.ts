// HTTP/2 abuse against the gateway's h2c listener (Node): the rapid-reset shape (CVE-2023-44487:
// open a stream, cancel it at once, thousands of times) and a CONTINUATION flood (CVE-2024-27983:
// a header block that never ends). Each must be refused — its connection closed — while another
// client's requests keep being answered. Bun has no HTTP/2 listener; Deno's (hyper/h2) is not sent
// these shapes here (only what the gateway configures is under test: on Deno it configures nothing).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import http2 from 'node:http2'
import { connect } from 'node:net'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'

for (const [runtime, why] of Object.entries({ bun: 'Bun.serve has no HTTP/2 listener', deno: "Deno.serve's HTTP/2 limits are hyper's own, not set by the gateway" })) {
  test(`HTTP/2 abuse on ${runtime}: not run — ${why}`, { skip: why }, () => {})
}

let up: Upstream
let gw: TestGateway
before(async () => {
  up = await startUpstream(echo('app'))
  gw = await startGateway({ listen: { http2: { h2c: true } }, limits: { maxHeaderCount: 20 }, pools: { app: { upstreams: [up.url] } }, routes: [{ path: '/small/*', pool: 'app', maxBodySize: '1kb' }, { pool: 'app' }] })
})
after(async () => {
  await gw?.stop()
  await up?.close()
})

/** A well-behaved client's GET over its own HTTP/2 connection. */
async function innocentGet(): Promise<number> {
  const session = http2.connect(`http://127.0.0.1:${gw.port}`)
  session.on('error', () => {})
  try {
    const stream = session.request({ ':path': '/ok' })
    stream.resume()
    return await new Promise<number>((resolve, reject) => {
      stream.on('response', (h) => resolve(Number(h[':status'])))
      stream.on('error', reject)
    })
  } finally {
    session.close()
  }
}

describe('HTTP/2 abuse (node)', () => {
  test('limits.maxHeaderCount counts headers, not pseudo-headers: 20 pass, 21 get 431', async () => {
    const session = http2.connect(`http://127.0.0.1:${gw.port}`)
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
    const session = http2.connect(`http://127.0.0.1:${gw.port}`)
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
    const session = http2.connect(`http://127.0.0.1:${gw.port}`)
    let closedByServer = false
    session.on('error', () => {})
    session.on('goaway', () => (closedByServer = true))
    const closed = new Promise<void>((resolve) => session.on('close', () => resolve()))
    let sent = 0
    const flood = (async () => {
      while (!session.closed && !session.destroyed && sent < 20_000) {
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
    const statuses = await Promise.all([innocentGet(), innocentGet(), innocentGet()])
    await flood
    await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))])
    assert.deepEqual(statuses, [200, 200, 200])
    assert.ok(closedByServer || session.destroyed, `the flooding session is still open after ${sent} resets`)
    assert.ok(sent < 20_000, `the gateway let all ${sent} resets through`)
    console.log(`# rapid reset: connection closed after ${sent} cancelled streams`)
    assert.equal(await innocentGet(), 200)
  })

  test('CONTINUATION flood: a header block that never ends is cut off; another client is answered', async () => {
    const socket = connect(gw.port, '127.0.0.1')
    await new Promise((r) => socket.once('connect', r))
    let closed = false
    socket.on('close', () => (closed = true))
    socket.on('error', () => {})
    socket.resume()
    const frame = (type: number, flags: number, stream: number, payload: Buffer) => {
      const head = Buffer.alloc(9)
      head.writeUIntBE(payload.length, 0, 3)
      head[3] = type
      head[4] = flags
      head.writeUInt32BE(stream, 5)
      return Buffer.concat([head, payload])
    }
    // HPACK: :method GET (indexed 2), :path / (4), :scheme http (6), then literal "x-pad: <60 bytes>" pairs without indexing.
    const literal = Buffer.concat([Buffer.from([0x00, 5]), Buffer.from('x-pad'), Buffer.from([60]), Buffer.alloc(60, 0x61)])
    socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(4, 0, 0, Buffer.alloc(0)), frame(1, 0 /* no END_HEADERS: CONTINUATION frames follow */, 1, Buffer.from([0x82, 0x84, 0x86]))]))
    let sent = 0
    const block = frame(9, 0, 1, Buffer.concat(Array.from({ length: 100 }, () => literal)))
    while (!closed && sent < 10_000) {
      if (!socket.write(block)) await new Promise((r) => (socket.once('drain', r), setTimeout(r, 50)))
      sent++
      if (sent % 50 === 0) await new Promise((r) => setImmediate(r))
    }
    await new Promise((r) => setTimeout(r, 500))
    assert.ok(closed, `the connection is still open after ${sent} CONTINUATION frames (${sent * 6.8} KB of headers)`)
    console.log(`# CONTINUATION flood: connection closed after ${sent} frames`)
    assert.equal(await innocentGet(), 200)
  })
})
