// Raw HTTP/1.1 over a socket: for requests a client library would clean up (absolute-form, odd framing).
import { connect } from 'node:net'

export interface RawResponse {
  status: number
  head: string
  body: string
  raw: string
}

/** Sends bytes as given, reads until the server closes or `timeoutMs`, parses the first response. */
export function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 3000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port })
    const chunks: Buffer[] = []
    const done = () => {
      clearTimeout(timer)
      sock.destroy()
      const raw = Buffer.concat(chunks).toString('latin1')
      const split = raw.indexOf('\r\n\r\n')
      const head = split === -1 ? raw : raw.slice(0, split)
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)
      resolve({ status, head, body: split === -1 ? '' : raw.slice(split + 4), raw })
    }
    const timer = setTimeout(done, timeoutMs)
    sock.on('data', (c: Buffer) => {
      chunks.push(c)
      // A complete response with Content-Length: stop early.
      const text = Buffer.concat(chunks).toString('latin1')
      const split = text.indexOf('\r\n\r\n')
      const len = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, split))
      if (split !== -1 && len && text.length - split - 4 >= Number(len[1])) done()
    })
    sock.on('end', done)
    sock.on('error', (e) => (chunks.length ? done() : reject(e)))
    sock.write(bytes)
  })
}
