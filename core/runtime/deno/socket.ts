/**
 * The HTTP/1.1 client's socket on Deno: `Deno.connect` (TCP_NODELAY: a request head must not wait
 * for Nagle) or `Deno.connectTls` for https upstreams, with Deno's errors read as failure kinds.
 */
import { Http1Error } from '../http1/errors.ts'
import type { Connector, Http1Socket } from '../http1/pool.ts'
import type { FailureKind } from '../types.ts'

interface DenoConn {
  read(p: Uint8Array): Promise<number | null>
  write(p: Uint8Array): Promise<number>
  close(): void
  setNoDelay?(on: boolean): void
}

interface DenoNet {
  connect(opts: { hostname: string; port: number; transport: 'tcp' }): Promise<DenoConn>
  connectTls(opts: { hostname: string; port: number; alpnProtocols?: string[] }): Promise<DenoConn>
}

const KIND_BY_NAME: Record<string, FailureKind> = {
  ConnectionRefused: 'refused',
  NotFound: 'refused', // DNS: no such host
  AddrNotAvailable: 'refused',
  HostUnreachable: 'refused',
  NetworkUnreachable: 'refused',
  ConnectionReset: 'reset',
  ConnectionAborted: 'reset',
  BrokenPipe: 'reset',
  UnexpectedEof: 'reset',
  NotConnected: 'reset',
  BadResource: 'reset', // closed under a pending read or write
  Interrupted: 'reset',
}

function classify(err: unknown): Http1Error {
  const e = err as { name?: string; message?: string }
  return new Http1Error(KIND_BY_NAME[e?.name ?? ''] ?? 'error', e?.message ?? String(err))
}

/** Reads land in one reused buffer; small reads are copied out, large ones keep the buffer (a new one is made). */
const READ_SIZE = 64 * 1024

class DenoSocket implements Http1Socket {
  #buf = new Uint8Array(READ_SIZE)
  #closed = false
  constructor(readonly conn: DenoConn) {}

  async read(): Promise<Uint8Array | null> {
    let n: number | null
    try {
      n = await this.conn.read(this.#buf)
    } catch (err) {
      if (this.#closed) return null
      throw classify(err)
    }
    if (n === null) return null
    if (n > READ_SIZE / 4) {
      const out = this.#buf.subarray(0, n)
      this.#buf = new Uint8Array(READ_SIZE)
      return out
    }
    return this.#buf.slice(0, n)
  }

  async write(bytes: Uint8Array): Promise<void> {
    try {
      for (let at = 0; at < bytes.length; ) at += await this.conn.write(at === 0 ? bytes : bytes.subarray(at))
    } catch (err) {
      throw classify(err)
    }
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    try {
      this.conn.close()
    } catch {} // already closed
  }
}

export function denoConnector(url: URL): Connector {
  const deno = (globalThis as unknown as { Deno: DenoNet }).Deno
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  const tls = url.protocol === 'https:'
  const port = Number(url.port) || (tls ? 443 : 80)
  return async () => {
    try {
      if (tls) return new DenoSocket(await deno.connectTls({ hostname, port, alpnProtocols: ['http/1.1'] }))
      const conn = await deno.connect({ hostname, port, transport: 'tcp' })
      conn.setNoDelay?.(true)
      return new DenoSocket(conn)
    } catch (err) {
      throw classify(err)
    }
  }
}
