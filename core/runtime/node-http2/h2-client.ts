/**
 * An HTTP/2 upstream client on node:http2's client API, with undici's `dispatch(options, handler)`
 * shape, so the Node transport (../node/transport.ts) drives it as it drives undici. One session
 * (connection) per upstream address carries every request to it as a stream; a session that got
 * GOAWAY, broke or stayed idle for `idleMs` is left and the next request opens a new one.
 *
 * Why not undici's own HTTP/2 client (../undici.ts has the figures): it costs more CPU per request,
 * undici 7 sends a POST with a body only when no other request runs on the connection, and Deno's
 * node:http2 client (2.9.5) emits a response's first DATA before its 'response' event while undici
 * listens for data only from 'response' on, so bodies were lost. Here the data listener is
 * attached with the request, and bytes that come before the head wait for it.
 *
 * The request body (a client's Readable) is read only once the connection stands, so a refused
 * connection leaves it unread for another upstream, as undici does.
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2'
import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'

/** Request headers HTTP/2 forbids (RFC 9113 §8.2.2): they name the HTTP/1.1 connection. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings'])

/** An error with a code ../undici.ts `classify()` reads as the core's failure kind. */
function failure(code: string, message: string): Error {
  return Object.assign(new Error(message), { code })
}

export interface Http2UpstreamOptions {
  connectTimeout: number
  /** An idle session (no stream open) is closed after this. */
  idleMs: number
}

export class Http2Upstream {
  private session: ClientHttp2Session | undefined
  private ready: Promise<ClientHttp2Session> | undefined
  private active = 0
  private idle: ReturnType<typeof setTimeout> | undefined
  private closed = false

  constructor(
    private readonly url: URL,
    private readonly options: Http2UpstreamOptions,
  ) {}

  dispatch(o: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.closed) {
      handler.onError!(failure('UND_ERR_CLOSED', 'the upstream client is closed'))
      return false
    }
    this.active++
    clearTimeout(this.idle)
    let done = false
    const end = () => {
      if (done) return false
      done = true
      if (--this.active === 0 && this.session && !this.closed) {
        this.idle = setTimeout(() => this.session?.close(), this.options.idleMs)
        this.idle.unref?.() // an idle connection's timer keeps no process alive
      }
      return true
    }
    this.connected().then(
      (session) => this.stream(session, o, handler, end),
      (err: Error) => end() && handler.onError!(err),
    )
    return true
  }

  /** Stops taking requests; the open streams finish first (GOAWAY). */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.idle)
    this.session?.close()
  }

  destroy(): void {
    this.closed = true
    clearTimeout(this.idle)
    this.session?.destroy()
  }

  /** The current session, or a new one once its connection stands (bounded by the connect timeout). */
  private connected(): Promise<ClientHttp2Session> {
    const s = this.session
    if (s && !s.closed && !s.destroyed) return this.ready!
    const session = connect(this.url.origin, { createConnection: () => this.socket() })
    this.session = session
    session.on('error', () => {}) // each stream gets its own error; this one only ends the session
    const forget = () => {
      if (this.session === session) this.session = undefined
    }
    session.once('goaway', forget) // its open streams finish; new ones go to a new connection
    session.once('close', forget)
    this.ready = new Promise<ClientHttp2Session>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(failure('UND_ERR_CONNECT_TIMEOUT', `connect timeout (${this.options.connectTimeout} ms)`))
        session.destroy()
      }, this.options.connectTimeout)
      session.once('connect', () => {
        clearTimeout(timer)
        resolve(session)
      })
      session.once('error', (err: Error & { code?: string }) => {
        clearTimeout(timer)
        reject(err.code ? err : failure('ECONNRESET', err.message))
      })
      session.once('close', () => {
        clearTimeout(timer)
        reject(failure('ECONNRESET', 'the upstream closed the connection'))
      })
    })
    this.ready.catch(() => {})
    return this.ready
  }

  /** The connection, made here: Bun's and Deno's sessions allow no socket options once they hold it. */
  private socket(): Socket {
    const host = this.url.hostname.replace(/^\[|\]$/g, '')
    const port = Number(this.url.port) || (this.url.protocol === 'https:' ? 443 : 80)
    const socket = this.url.protocol === 'https:' ? tlsConnect({ host, port, servername: serverName(this.url), ALPNProtocols: ['h2'] }) : netConnect({ host, port })
    socket.setNoDelay(true) // small frames (gRPC messages) go at once
    return socket
  }

  private stream(session: ClientHttp2Session, o: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler, end: () => boolean): void {
    const body = o.body as Readable | null | undefined
    let stream: ClientHttp2Stream
    try {
      stream = session.request(requestHeaders(o, this.url), { endStream: !body })
    } catch (err) {
      // A header node:http2 will not send (an invalid name or value): the request's fault.
      if (end()) handler.onError!(failure('UND_ERR_INVALID_ARG', (err as Error).message))
      return
    }
    let headed = false
    let early: Buffer[] | undefined // DATA before the head (Deno): passed on after it
    let trailers: Record<string, string | string[]> | null = null
    let paused = false
    let timer: ReturnType<typeof setTimeout> | undefined
    let source: Readable | undefined // what the request body is read from, once it is
    const arm = (ms: number | null | undefined, code: string, what: string) => {
      clearTimeout(timer)
      if (ms) timer = setTimeout(() => fail(failure(code, `${what} timeout (${ms} ms)`)), ms)
    }
    const fail = (err: Error) => {
      clearTimeout(timer)
      if (!end()) return
      source?.unpipe(stream)
      if (!stream.destroyed) stream.close(constants.NGHTTP2_CANCEL)
      handler.onError!(err)
    }
    const resume = () => {
      if (!paused || done()) return
      paused = false
      arm(o.bodyTimeout, 'UND_ERR_BODY_TIMEOUT', 'idle')
      stream.resume()
    }
    const done = () => stream.destroyed && stream.readableEnded
    const deliver = (chunk: Buffer) => {
      if (handler.onData!(chunk)) return
      paused = true
      clearTimeout(timer) // a slow client is not an idle upstream
      stream.pause()
    }
    handler.onConnect!((err?: Error) => fail(err ?? failure('UND_ERR_ABORTED', 'request aborted')))
    arm(o.headersTimeout, 'UND_ERR_HEADERS_TIMEOUT', 'first byte')
    stream.on('response', (head: IncomingHttpHeaders) => {
      const status = Number(head[':status'])
      headed = true
      arm(o.bodyTimeout, 'UND_ERR_BODY_TIMEOUT', 'idle')
      if (!handler.onHeaders!(status, rawHeaders(head), resume, '')) {
        paused = true
        stream.pause()
      }
      for (const chunk of early ?? []) deliver(chunk)
      early = undefined
    })
    stream.on('data', (chunk: Buffer) => {
      if (!headed) return void (early ??= []).push(chunk)
      arm(o.bodyTimeout, 'UND_ERR_BODY_TIMEOUT', 'idle')
      deliver(chunk)
    })
    stream.on('trailers', (t: IncomingHttpHeaders) => void (trailers = trailerObject(t)))
    stream.on('end', () => {
      clearTimeout(timer)
      if (!headed) return fail(failure('UND_ERR_SOCKET', 'the upstream ended the stream without a response'))
      if (end()) handler.onComplete!(trailers as never)
    })
    stream.on('error', (err: Error & { code?: string }) => fail(streamFailure(err, stream, body != null)))
    stream.on('close', () => {
      // Reset before the end. REFUSED_STREAM (or GOAWAY) means the upstream did not process it: retried elsewhere
      // as a refused connection would be — unless a body was being read into it, which cannot be sent again.
      fail(streamFailure(undefined, stream, body != null))
    })
    if (body) {
      // A client's Readable (node:http2 listeners), or chunks of a Web body (Bun.serve, Deno.serve).
      source = typeof body.pipe === 'function' ? body : Readable.from(body as AsyncIterable<Uint8Array>)
      source.on('error', () => fail(failure('UND_ERR_ABORTED', 'the request body broke off')))
      source.pipe(stream)
    }
  }
}

function requestHeaders(o: Dispatcher.DispatchOptions, url: URL): OutgoingHttpHeaders {
  const flat = o.headers as string[]
  const out: OutgoingHttpHeaders = { ':method': o.method, ':path': o.path, ':scheme': url.protocol.slice(0, -1) }
  let authority: string | undefined
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase()
    const value = flat[i + 1]!
    if (name === 'host') authority ??= value
    if (CONNECTION_SPECIFIC.has(name) || (name === 'te' && value.toLowerCase() !== 'trailers')) continue
    const had = out[name]
    out[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had as string, value]
  }
  out[':authority'] = authority ?? url.host
  return out
}

/** The head as undici hands it over: flat [name, value…] buffers, pseudo-headers left out. */
function rawHeaders(head: IncomingHttpHeaders): Buffer[] {
  const out: Buffer[] = []
  for (const [name, value] of Object.entries(head)) {
    if (name[0] === ':' || value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) out.push(Buffer.from(name, 'latin1'), Buffer.from(String(v), 'latin1'))
  }
  return out
}

function trailerObject(t: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(t)) if (name[0] !== ':' && value !== undefined) out[name] = value as string | string[]
  return out
}

/** A stream's failure as ../undici.ts classifies it: refused (retried on another upstream) only when nothing of it was used. */
function streamFailure(err: (Error & { code?: string }) | undefined, stream: ClientHttp2Stream, bodyRead: boolean): Error {
  if (stream.rstCode === constants.NGHTTP2_REFUSED_STREAM && !bodyRead) return failure('ECONNREFUSED', 'the upstream refused the stream')
  if (!err) return failure('ECONNRESET', `the upstream reset the stream (code ${stream.rstCode ?? '?'})`)
  return err.code && /^(E[A-Z]+|UND_ERR_\w+)$/.test(err.code) ? err : failure('ECONNRESET', err.message)
}

/** The TLS server name of an h2 upstream: its hostname, none for an IP address. */
function serverName(url: URL): string | undefined {
  return url.hostname.startsWith('[') || /^[\d.]+$/.test(url.hostname) ? undefined : url.hostname
}
