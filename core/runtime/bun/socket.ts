/**
 * The HTTP/1.1 client's socket on Bun: `Bun.connect` (TCP_NODELAY: a request head must not wait
 * for Nagle), TLS for https upstreams (ready once the handshake verified the certificate; Bun
 * drops what is written before it). Bun pushes what arrives to a handler: it is queued for
 * read(), and the socket is paused while more than HIGH_WATER bytes wait (the client takes the
 * body slower than the upstream sends it). Bun's write() takes what the kernel accepts and
 * returns the count, keeping nothing: the rest is written again on `drain`.
 */
import { Http1Error } from '../http1/errors.ts'
import type { Connector, Http1Socket } from '../http1/pool.ts'
import type { FailureKind } from '../types.ts'
import { bun, type BunSocket, type BunSocketHandler } from './api.ts'

const HIGH_WATER = 256 * 1024
/** A TLS handshake that has not finished by then will not: the socket is closed (no connect timeout reaches here). */
const HANDSHAKE_S = 30

const CONNECT_KIND: Record<string, FailureKind> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'refused', // DNS: no such host
  EAI_NONAME: 'refused',
  EHOSTUNREACH: 'refused',
  ENETUNREACH: 'refused',
  EADDRNOTAVAIL: 'refused',
}

function classify(err: unknown, connecting: boolean): Http1Error {
  const e = err as { code?: string; message?: string } | undefined
  const kind = connecting ? (CONNECT_KIND[e?.code ?? ''] ?? 'error') : 'reset'
  return new Http1Error(kind, e?.message ?? String(err))
}

class BunConnection implements Http1Socket {
  socket: BunSocket<BunConnection> | undefined
  readonly #queue: Uint8Array[] = []
  #queued = 0
  #paused = false
  #eof = false
  #closed = false
  #error: Http1Error | undefined
  #reader: { resolve(b: Uint8Array | null): void; reject(e: Http1Error): void } | undefined
  /** The rest of a write the kernel did not take yet, written on `drain`. */
  #writing: { bytes: Uint8Array; at: number; resolve(): void; reject(e: Http1Error): void } | undefined

  constructor(
    readonly tls: boolean,
    /** Settles the connector's promise (once). */
    public opened: ((err?: Http1Error) => void) | undefined,
  ) {}

  read(): Promise<Uint8Array | null> {
    const next = this.#queue.shift()
    if (next) {
      this.#queued -= next.length
      if (this.#paused && this.#queued <= HIGH_WATER / 2) {
        this.#paused = false
        this.socket?.resume()
      }
      return Promise.resolve(next)
    }
    if (this.#error) return Promise.reject(this.#error)
    if (this.#eof || this.#closed) return Promise.resolve(null)
    return new Promise((resolve, reject) => (this.#reader = { resolve, reject }))
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#error) return Promise.reject(this.#error)
    if (this.#eof || this.#closed || !this.socket) return Promise.reject(new Http1Error('reset', 'the connection is closed'))
    const n = this.socket.write(bytes)
    if (n === bytes.length) return Promise.resolve()
    if (n < 0) return Promise.reject(new Http1Error('reset', 'the connection is closed'))
    return new Promise((resolve, reject) => (this.#writing = { bytes, at: n, resolve, reject }))
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.socket?.end()
    this.#settle()
  }

  // Bun's handlers, below.

  received(bytes: Uint8Array): void {
    const reader = this.#reader
    if (reader) {
      this.#reader = undefined
      return reader.resolve(bytes)
    }
    this.#queue.push(bytes)
    this.#queued += bytes.length
    if (!this.#paused && this.#queued > HIGH_WATER) {
      this.#paused = true
      this.socket?.pause()
    }
  }

  drained(): void {
    const w = this.#writing
    if (!w || !this.socket) return
    const n = this.socket.write(w.bytes, w.at, w.bytes.length - w.at)
    if (n < 0) return this.ended(new Http1Error('reset', 'the upstream closed the connection'))
    w.at += n
    if (w.at < w.bytes.length) return
    this.#writing = undefined
    w.resolve()
  }

  /** The peer closed (EOF), or the socket failed. */
  ended(err?: Http1Error): void {
    if (err && !this.#closed) this.#error ??= err
    this.#eof = true
    this.opened?.(err ?? new Http1Error('reset', 'the connection closed before it was ready'))
    this.#settle()
  }

  /** Pending read and write end: a read with the error or EOF, a write with the error. */
  #settle(): void {
    const reader = this.#reader
    this.#reader = undefined
    if (reader) {
      if (this.#error) reader.reject(this.#error)
      else reader.resolve(null)
    }
    const w = this.#writing
    this.#writing = undefined
    w?.reject(this.#error ?? new Http1Error('reset', 'the connection closed while the request was sent'))
  }
}

const handlers: BunSocketHandler<BunConnection> = {
  binaryType: 'uint8array', // each call gets its own buffer (Bun does not reuse it), kept as is
  open(s) {
    s.setNoDelay(true)
    s.data.socket = s
    if (s.data.tls) s.timeout(HANDSHAKE_S)
    else s.data.opened?.()
  },
  handshake(s, ok, err) {
    if (ok) {
      s.timeout(0)
      return s.data.opened?.()
    }
    s.data.opened?.(new Http1Error('error', `TLS handshake with the upstream failed: ${(err as { code?: string })?.code ?? err?.message}`))
    s.end()
  },
  timeout(s) {
    s.data.opened?.(new Http1Error('error', 'TLS handshake with the upstream did not finish'))
    s.end()
  },
  data: (s, bytes) => s.data.received(bytes),
  drain: (s) => s.data.drained(),
  end: (s) => s.data.ended(),
  close: (s, err) => s.data.ended(err && classify(err, false)),
  error: (s, err) => s.data.ended(classify(err, false)),
  connectError: (s, err) => s.data.opened?.(classify(err, true)),
}

export function bunConnector(url: URL): Connector {
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  const tls = url.protocol === 'https:'
  const port = Number(url.port) || (tls ? 443 : 80)
  return () =>
    new Promise<Http1Socket>((resolve, reject) => {
      const conn = new BunConnection(tls, (err) => {
        conn.opened = undefined
        if (err) reject(err)
        else resolve(conn)
      })
      bun.connect({ hostname, port, tls, data: conn, socket: handlers }).catch((err) => conn.opened?.(classify(err, true)))
    })
}
