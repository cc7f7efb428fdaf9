// HTTP/2's yardstick, NOT the gateway: a bare node:http2 h2c proxy (bench/http2.ts), to say how far
// gatehouse-node's h2c→h2c path is from what node:http2 itself allows. One h2c listener (stream
// API, no compat objects), one ClientHttp2Session per upstream (round robin), each request a
// stream piped both ways, the upstream's head and trailers passed on (a trailers-only answer
// stays one). Nagle off on both sides, as the gateway does. No routing, no header rules, no
// retries, no timeouts, no reconnect. Env: BENCH_PORT, BENCH_UPSTREAMS (comma-separated h2c://
// or http:// URLs). Prints "ready" once listening.
import http2 from 'node:http2'
import net from 'node:net'

const port = Number(process.env.BENCH_PORT ?? 18013)
const sessions = (process.env.BENCH_UPSTREAMS ?? 'h2c://127.0.0.1:18001').split(',').map((u) => {
  const url = new URL(u.replace(/^h2c:/, 'http:'))
  const session = http2.connect(url.origin, { createConnection: () => net.connect({ host: url.hostname, port: Number(url.port), noDelay: true }) })
  session.on('error', (err) => console.error(`upstream ${u}: ${err.message}`))
  return session
})
let next = 0

const server = http2.createServer()
server.on('connection', (socket) => socket.setNoDelay(true))
server.on('stream', (stream, headers) => {
  const out = {}
  for (const name in headers) if (name !== ':scheme' && name !== ':authority') out[name] = headers[name]
  const up = sessions[next++ % sessions.length].request(out, { endStream: stream.endAfterHeaders })
  if (!stream.endAfterHeaders) stream.pipe(up)
  up.on('response', (head, flags) => {
    if (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) return stream.respond(head, { endStream: true })
    let trailers = {}
    up.once('trailers', (t) => (trailers = t))
    stream.respond(head, { waitForTrailers: true })
    stream.once('wantTrailers', () => stream.sendTrailers(trailers))
    up.pipe(stream)
  })
  up.on('error', () => (stream.headersSent ? stream.destroy() : stream.respond({ ':status': 502 }, { endStream: true })))
  stream.on('error', () => up.destroy())
})
server.listen(port, '127.0.0.1', () => console.log('ready'))
process.on('SIGINT', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))
