// HTTP/2 requests node:http2's client will not send (connection-specific headers, upper-case names, no
// :authority, a Content-Length that disagrees with DATA …): the client session runs over a socket that
// swaps its first HEADERS frame for a header block of our own, so the server's answer is still read by
// nghttp2 ('response', RST_STREAM codes, GOAWAY). Plus the frame and HPACK helpers for raw-socket floods.
import http2 from 'node:http2'
import { connect, type Socket } from 'node:net'
import { Duplex } from 'node:stream'

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')
export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const
export const FLAG = { END_STREAM: 0x1, END_HEADERS: 0x4 } as const

export function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9)
  head.writeUIntBE(payload.length, 0, 3)
  head[3] = type
  head[4] = flags
  head.writeUInt32BE(stream, 5)
  return Buffer.concat([head, payload])
}

/** HPACK integer with an N-bit prefix (RFC 7541 §5.1), `first` holding the pattern bits. */
function hpackInt(value: number, prefix: number, first = 0): Buffer {
  const max = (1 << prefix) - 1
  if (value < max) return Buffer.from([first | value])
  const out = [first | max]
  value -= max
  while (value >= 128) {
    out.push((value % 128) + 128)
    value = Math.floor(value / 128)
  }
  out.push(value)
  return Buffer.from(out)
}

const str = (s: string) => Buffer.concat([hpackInt(Buffer.byteLength(s, 'latin1'), 7), Buffer.from(s, 'latin1')])

/** A header block of literal fields without indexing, names as given (upper case kept): no dynamic table involved. */
export function headerBlock(fields: readonly (readonly [string, string])[]): Buffer {
  return Buffer.concat(fields.flatMap(([name, value]) => [Buffer.from([0x00]), str(name), str(value)]))
}

/** A header block as HEADERS then CONTINUATION frames of at most 16 KB (the default SETTINGS_MAX_FRAME_SIZE). */
export function headersFrames(stream: number, block: Buffer, endStream: boolean): Buffer {
  const MAX = 16_384
  const frames: Buffer[] = []
  for (let at = 0; at === 0 || at < block.length; at += MAX) {
    const last = at + MAX >= block.length
    const flags = (last ? FLAG.END_HEADERS : 0) | (at === 0 && endStream ? FLAG.END_STREAM : 0)
    frames.push(frame(at === 0 ? FRAME.HEADERS : FRAME.CONTINUATION, flags, stream, block.subarray(at, at + MAX)))
  }
  return Buffer.concat(frames)
}

export interface Answer {
  /** :status, or 0 when the stream ended without a response. */
  status: number
  headers: http2.IncomingHttpHeaders
  body: string
  /** RST_STREAM code when the stream was reset (nghttp2's constants: 1 PROTOCOL_ERROR, 7 REFUSED_STREAM …). */
  resetCode?: number
  /** GOAWAY code when the server closed the connection. */
  goaway?: number
}

/** A socket to 127.0.0.1:port that passes bytes through, except that `rewrite` may replace any frame the client sends. */
function rewritingSocket(port: number, rewrite: (type: number, flags: number, stream: number, payload: Buffer) => Buffer | undefined): Duplex {
  let socket: Socket
  let pending = Buffer.alloc(0)
  let prefaceLeft = PREFACE.length
  const duplex = new Duplex({
    write(chunk: Buffer, _enc, done) {
      pending = Buffer.concat([pending, chunk])
      const out: Buffer[] = []
      if (prefaceLeft > 0) {
        const take = Math.min(prefaceLeft, pending.length)
        out.push(pending.subarray(0, take))
        pending = pending.subarray(take)
        prefaceLeft -= take
      }
      while (prefaceLeft === 0 && pending.length >= 9) {
        const length = pending.readUIntBE(0, 3)
        if (pending.length < 9 + length) break
        const type = pending[3]!
        const flags = pending[4]!
        const stream = pending.readUInt32BE(5) & 0x7fffffff
        const whole = pending.subarray(0, 9 + length)
        pending = pending.subarray(9 + length)
        out.push(rewrite(type, flags, stream, whole.subarray(9)) ?? whole)
      }
      if (out.length) socket.write(Buffer.concat(out), done)
      else done()
    },
    read() {
      socket?.resume()
    },
    final(done) {
      socket.end()
      done()
    },
    destroy(err, done) {
      socket?.destroy()
      done(err)
    },
  })
  socket = connect(port, '127.0.0.1')
  socket.on('data', (d) => {
    if (!duplex.push(d)) socket.pause()
  })
  socket.on('end', () => duplex.push(null))
  socket.on('error', (e) => duplex.destroy(e))
  socket.on('close', () => duplex.destroy())
  return duplex
}

/**
 * One request on a fresh h2c connection whose HEADERS frame is exactly `fields` (in order, names as
 * given), then `body` as DATA (END_STREAM on the last frame; no DATA when undefined). Resolves with what
 * the server did: a response, a stream reset or a GOAWAY. Bounded: `timeoutMs`, then status 0.
 */
export function rawH2Request(port: number, fields: readonly (readonly [string, string])[], body?: Buffer | string, timeoutMs = 3000): Promise<Answer> {
  const withBody = body !== undefined
  const block = headerBlock(fields)
  const session = http2.connect(`http://127.0.0.1:${port}`, {
    createConnection: () =>
      rewritingSocket(port, (type, _flags, stream) => (type === FRAME.HEADERS && stream === 1 ? headersFrames(1, block, !withBody) : undefined)) as unknown as Socket,
  })
  return new Promise<Answer>((resolve) => {
    const answer: Answer = { status: 0, headers: {}, body: '' }
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      session.destroy()
      resolve(answer)
    }
    const timer = setTimeout(finish, timeoutMs)
    session.on('error', () => finish())
    session.on('goaway', (code) => {
      answer.goaway = code
      setTimeout(finish, 50)
    })
    session.on('close', finish)
    // What node:http2 sends is replaced on the wire: these pseudo-headers only have to pass its own checks.
    const stream = session.request({ ':method': withBody ? 'POST' : 'GET', ':path': '/' }, { endStream: !withBody })
    stream.on('response', (h) => {
      answer.status = Number(h[':status'])
      answer.headers = h
    })
    stream.on('data', (c: Buffer) => (answer.body += c))
    stream.on('end', finish)
    stream.on('close', () => {
      if (stream.rstCode) answer.resetCode = stream.rstCode
      setTimeout(finish, 20)
    })
    stream.on('error', () => {})
    if (withBody) stream.end(body)
  })
}
