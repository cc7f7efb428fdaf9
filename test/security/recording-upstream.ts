// An upstream on a raw socket that records every request exactly as it arrived (head and body, framed by
// Content-Length or chunked), for tests that judge a gateway by what reached the upstream.
import { createServer, type Server, type Socket } from 'node:net'

export interface Received {
  head: string
  body: Buffer
  /** The body arrived whole (as its Content-Length or chunked framing said); false: cut short so far. */
  complete: boolean
}

export interface RecordingUpstream {
  url: string
  /** Requests received since the last `clear()`, complete or not (a cut body is recorded as far as it came). */
  received: Received[]
  clear(): void
  close(): Promise<void>
}

export async function recordingUpstream(answer = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'): Promise<RecordingUpstream> {
  const rec: Received[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((sock) => {
    sockets.add(sock)
    sock.on('close', () => sockets.delete(sock))
    sock.on('error', () => {})
    let buf = Buffer.alloc(0)
    let current: Received | undefined
    let want = 0 // body bytes still expected for `current`; -1: chunked
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      for (;;) {
        if (!current) {
          const end = buf.indexOf('\r\n\r\n')
          if (end === -1) return
          current = { head: buf.subarray(0, end).toString('latin1'), body: Buffer.alloc(0), complete: false }
          rec.push(current)
          buf = buf.subarray(end + 4)
          const cl = /\r\ncontent-length: *(\d+)/i.exec(current.head)
          want = /\r\ntransfer-encoding: *chunked/i.test(current.head) ? -1 : cl ? Number(cl[1]) : 0
        }
        if (want === -1) {
          const last = buf.indexOf('0\r\n\r\n')
          current.body = Buffer.concat([current.body, buf.subarray(0, last === -1 ? buf.length : last + 5)])
          buf = last === -1 ? Buffer.alloc(0) : buf.subarray(last + 5)
          if (last === -1) return
        } else {
          const take = Math.min(want, buf.length)
          current.body = Buffer.concat([current.body, buf.subarray(0, take)])
          buf = buf.subarray(take)
          want -= take
          if (want > 0) return
        }
        current.complete = true
        current = undefined
        sock.write(answer)
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    received: rec,
    clear: () => void rec.splice(0),
    close: () => {
      for (const s of sockets) s.destroy()
      return new Promise((r) => server.close(() => r()))
    },
  }
}
