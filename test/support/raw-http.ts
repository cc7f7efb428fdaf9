// Raw HTTP/1.1 over a socket: for requests a client library would clean up (absolute-form, odd framing).
import { connect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import type { Duplex } from 'node:stream'

export interface RawResponse {
  status: number
  head: string
  body: string
  raw: string
}

/** TLS for a raw connection: the CA that signed the listener's certificate, and the SNI name (default localhost). No ALPN: HTTP/1.1. */
export interface RawTls {
  ca: string
  servername?: string
}

/** A plain TCP connection to 127.0.0.1:port, or a TLS one when `tls` is given (writes before the handshake are queued). */
export function rawConnect(port: number, tls?: RawTls): Duplex {
  if (!tls) return connect({ host: '127.0.0.1', port })
  return tlsConnect({ host: '127.0.0.1', port, ca: tls.ca, servername: tls.servername ?? 'localhost' })
}

/** Sends bytes as given, reads until the server closes or `timeoutMs`, parses the first response. */
export function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 3000, opts: { tls?: RawTls } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = rawConnect(port, opts.tls)
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
    // Connected, then reset without an answer: status 0, as a close without one (over TLS a reset is common).
    let connected = false
    sock.once(opts.tls ? 'secureConnect' : 'connect', () => (connected = true))
    sock.on('end', done)
    sock.on('error', (e) => (chunks.length || connected ? done() : reject(e)))
    sock.write(bytes)
  })
}
