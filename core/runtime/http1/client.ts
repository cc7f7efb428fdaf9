/**
 * One request/response exchange over a pooled HTTP/1.1 connection, with the gateway's timeouts:
 * connect (opening a connection), first byte (from the request sent to the response head:
 * restarted by each request-body chunk sent, paused while the client is slow to send), idle
 * (between response-body reads, counted only while the caller waits for one) and whatever the
 * caller aborts with (total timeout, client gone). Failures are Http1Errors with the core's kinds;
 * those the request caused (a header that cannot be sent, a client body that broke off) say so.
 *
 * Reuse: a connection goes back to the pool only when the response was read to its exact end
 * (no byte past it), the request body was sent in full, and neither side said Connection: close.
 *
 * A reused connection that fails before any response byte (the upstream closed it as we sent)
 * is retried once on a new connection when the request is idempotent and its body, if any, can
 * be replayed; otherwise the failure is a 'reset' and the core decides (another upstream for
 * idempotent requests, else 502). Non-idempotent requests are not resent: the upstream may have
 * acted on them (RFC 9110 §9.2.2); the pool's pending idle read catches most closed sockets first.
 */
import { arm, Deadline, disarm } from './deadlines.ts'
import { Http1Error, requestError } from './errors.ts'
import { ResponseParser, type ResponseHead } from './parser.ts'
import { Conn, type Http1Socket, type Pool } from './pool.ts'
import { encodeChunk, encodeHead, framing, LAST_CHUNK, type RequestFraming } from './serialize.ts'
import type { FailureKind } from '../types.ts'

export interface Http1Request {
  method: string
  /** Origin-form target. */
  path: string
  /** Flat [name, value…], sent as given. */
  headers: readonly string[]
  hasBody: boolean
  /** A fresh stream of the request body for one attempt; undefined once it can no longer be replayed. */
  body?: () => ReadableStream<Uint8Array> | undefined
  timeouts: { connect: number; firstByte: number; idle: number }
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])
const TIMEOUT_MESSAGE: Partial<Record<FailureKind, string>> = {
  'connect-timeout': 'connect timeout',
  'first-byte-timeout': 'first-byte timeout',
  'idle-timeout': 'idle timeout',
}

export class Exchange {
  head: ResponseHead | undefined
  /** Body bytes that came with the head, not yet returned by read(). */
  buffered: Uint8Array[] = []

  #parser: ResponseParser
  #conn: Conn | undefined
  #failure: Http1Error | undefined
  #ended = false
  #phase: FailureKind = 'connect-timeout'
  readonly #deadline = new Deadline(() => this.abort(this.#phase, TIMEOUT_MESSAGE[this.#phase] ?? this.#phase))
  #interrupt: ((err: Http1Error) => void) | undefined
  #bodySent = true
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined

  constructor(
    readonly pool: Pool,
    readonly req: Http1Request,
  ) {
    this.#parser = new ResponseParser(req.method)
  }

  /** The whole response has been read (buffered holds the rest of its body). */
  get complete(): boolean {
    return this.#parser.done
  }

  /** Sends the request; resolves with the final response head. Rejects with an Http1Error. */
  async start(): Promise<ResponseHead> {
    const { method, path, headers, hasBody } = this.req
    let frame: RequestFraming
    let head: Uint8Array
    try {
      // Before any connection is taken: a request that cannot be sent costs the upstream nothing.
      frame = framing(headers, hasBody)
      head = encodeHead(method, path, headers, frame.chunked)
    } catch (err) {
      throw this.#fail(this.#asError(err))
    }
    let stream = hasBody ? this.req.body?.() : undefined
    if (hasBody && !stream) throw this.#fail(new Http1Error('error', 'the request body was already sent to a failed upstream'))
    for (let attempt = 0; ; attempt++) {
      const reused = await this.#open()
      try {
        return await this.#send(this.#conn!, head, frame, stream)
      } catch (err) {
        const e = this.#asError(err)
        this.#drop()
        const retry = reused && attempt === 0 && e.kind === 'reset' && !this.#failure && this.#parser.received === 0 && IDEMPOTENT.has(this.req.method)
        stream = retry && this.req.hasBody ? this.req.body?.() : undefined
        if (!retry || (this.req.hasBody && !stream)) throw this.#fail(e)
        this.#parser = new ResponseParser(this.req.method)
      }
    }
  }

  /** The next body bytes (one or more views), or null at the end. Rejects with an Http1Error. */
  async read(): Promise<Uint8Array[] | null> {
    if (this.buffered.length) {
      const out = this.buffered
      this.buffered = []
      if (this.#parser.done) this.#finish()
      return out
    }
    const out: Uint8Array[] = []
    const conn = this.#conn!
    while (!this.#parser.done) {
      if (this.#failure) throw this.#failure
      this.#phase = 'idle-timeout'
      arm(this.#deadline, this.req.timeouts.idle)
      let bytes: Uint8Array | null
      try {
        bytes = await conn.socket.read()
      } catch (err) {
        throw this.#fail(this.#asError(err))
      } finally {
        disarm(this.#deadline)
      }
      if (this.#failure) throw this.#failure
      if (bytes === null) {
        if (this.#parser.eof()) break
        throw this.#fail(new Http1Error('reset', 'upstream closed the connection mid-body'))
      }
      try {
        this.#parser.feedBody(bytes, out)
      } catch (err) {
        throw this.#fail(this.#asError(err))
      }
      if (out.length) break
    }
    if (this.#parser.done) this.#finish()
    return out.length ? out : null
  }

  /** Ends the exchange with a failure (timeouts, the caller's total timeout, a client gone). */
  abort(kind: FailureKind, message: string): void {
    if (this.#failure || this.#ended) return
    this.#fail(new Http1Error(kind, message))
  }

  /** Drops the exchange without a failure (a response the caller does not want). */
  cancel(): void {
    if (this.#ended) return
    this.#ended = true
    this.#drop()
  }

  async #open(): Promise<boolean> {
    const idle = this.pool.take()
    if (idle) {
      this.#conn = idle
      return true
    }
    this.#phase = 'connect-timeout'
    arm(this.#deadline, this.req.timeouts.connect)
    const connecting = this.pool.connect()
    try {
      const socket = await new Promise<Http1Socket>((resolve, reject) => {
        this.#interrupt = reject
        connecting.then(resolve, reject)
      })
      this.#conn = new Conn(socket)
      return false
    } catch (err) {
      throw this.#fail(this.#asError(err))
    } finally {
      this.#interrupt = undefined
      disarm(this.#deadline)
      // A connection that opened after we gave up on it.
      connecting.then((s) => this.#conn?.socket !== s && s.close(), () => {})
    }
  }

  async #send(conn: Conn, head: Uint8Array, frame: RequestFraming, stream: ReadableStream<Uint8Array> | undefined): Promise<ResponseHead> {
    const { timeouts } = this.req
    this.#phase = 'first-byte-timeout'
    let pending = conn.pending
    conn.pending = undefined
    if (stream) {
      this.#bodySent = false
      void this.#sendBody(conn, head, stream, frame)
    } else {
      await conn.socket.write(head)
      arm(this.#deadline, timeouts.firstByte)
    }
    try {
      for (;;) {
        const bytes = await (pending ?? conn.socket.read())
        pending = undefined
        if (this.#failure) throw this.#failure
        if (bytes === null) throw new Http1Error('reset', this.#parser.received ? 'upstream closed the connection mid-head' : 'upstream closed the connection before answering')
        const head = this.#parser.feedHead(bytes)
        if (!head) continue
        disarm(this.#deadline)
        this.head = head
        const rest = this.#parser.rest
        if (rest.length && !this.#parser.done) this.#parser.feedBody(rest, this.buffered)
        if (this.#parser.done) this.#finish()
        return head
      }
    } finally {
      disarm(this.#deadline)
    }
  }

  /** Streams the request body beside the response read: an upstream may answer before it ends. */
  async #sendBody(conn: Conn, head: Uint8Array, stream: ReadableStream<Uint8Array>, frame: RequestFraming): Promise<void> {
    const reader = (this.#reader = stream.getReader())
    const firstByte = () => !this.head && !this.#failure && arm(this.#deadline, this.req.timeouts.firstByte)
    let sent = 0
    try {
      await conn.socket.write(head)
      for (;;) {
        if (!this.head) disarm(this.#deadline) // waiting for the client is not the upstream's delay
        let chunk: ReadableStreamReadResult<Uint8Array>
        try {
          chunk = await reader.read()
        } catch {
          return void this.#fail(requestError("the client's request body broke off"))
        }
        if (this.#failure || conn.dead) return
        if (chunk.done) break
        const value = chunk.value
        if (value.length === 0) continue // an empty chunk would read as the last one
        sent += value.length
        if (frame.length !== undefined && sent > frame.length) return void this.#fail(requestError('request body longer than its Content-Length'))
        firstByte()
        await conn.socket.write(frame.chunked ? encodeChunk(value) : value)
        firstByte()
      }
      if (frame.chunked) await conn.socket.write(LAST_CHUNK)
      if (frame.length !== undefined && sent !== frame.length) return void this.#fail(requestError('request body shorter than its Content-Length'))
      this.#bodySent = true
      firstByte()
    } catch {
      // The upstream stopped reading (it may have answered already, say 413, and closed): the
      // response side decides; this connection is not reused.
      conn.close()
    } finally {
      if (this.#reader === reader) this.#reader = undefined
      reader.releaseLock()
    }
  }

  #finish(): void {
    if (this.#ended) return
    this.#ended = true
    disarm(this.#deadline)
    const conn = this.#conn
    if (!conn) return
    if (this.head?.keepAlive && this.#parser.extra === 0 && this.#bodySent && !this.#failure && !conn.dead) this.pool.put(conn, this.head.keepAliveMs)
    else this.#drop()
  }

  /** Closes the connection and stops sending the body. */
  #drop(): void {
    disarm(this.#deadline)
    this.#conn?.close()
    this.#conn = undefined
    const reader = this.#reader
    this.#reader = undefined
    reader?.cancel().catch(() => {})
  }

  #fail(err: Http1Error): Http1Error {
    if (!this.#failure && !this.#ended) {
      this.#failure = err
      this.#interrupt?.(err)
      this.#drop()
    }
    return this.#failure ?? err
  }

  #asError(err: unknown): Http1Error {
    if (this.#failure) return this.#failure
    if (err instanceof Http1Error) return err
    return new Http1Error('error', (err as Error)?.message ?? String(err))
  }
}
