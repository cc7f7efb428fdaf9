/**
 * What the portable core needs from a runtime (Node, Bun, Deno). Everything outside
 * core/runtime/ talks to the runtime only through these interfaces.
 */
import type { Context } from 'hono'
import type { PluginIO } from '../plugin/io.ts'

/** The request as received, before any normalization. */
export interface Inbound {
  readonly method: string
  /** Raw request-target: origin-form (`/a?b`) or absolute-form (`http://h/a?b`). */
  readonly target: string
  /** Flat [name, value, name, value…] as received: case, order and duplicates kept. */
  readonly rawHeaders: readonly string[]
  /** First value of a header; `name` must be lower case. */
  header(name: string): string | undefined
  /** Peer address of the TCP connection (IPv4-mapped IPv6 unwrapped). */
  readonly remoteAddress: string
  readonly secure: boolean
  /** Whether the request carries a body (Content-Length > 0 or Transfer-Encoding). */
  readonly hasBody: boolean
  /** True for a WebSocket upgrade request (`Upgrade: websocket`) the runtime can hand over. */
  readonly websocket: boolean
  /**
   * True once the client went away or its request body broke off (cut short, bad framing): a
   * failed exchange is then the client's doing, whatever error the upstream side saw. Read after
   * a failure, not on the request path.
   */
  clientGone(): boolean
  /**
   * Why the request is malformed in a way only the runtime can see (HTTP/2: a Host header that
   * disagrees with `:authority`), for a 400 before routing; undefined when it is not.
   */
  readonly malformed?: string
}

export type { FailureKind } from './failure-kind.ts'
import type { FailureKind } from './failure-kind.ts'

export interface UpstreamFailure {
  kind: FailureKind
  message: string
  /** The status the upstream answered, when it answered but its answer could not be passed through (a refused WebSocket handshake on Bun and Deno). */
  status?: number
}

/**
 * What a transport gets of the client's request, without Hono's Context: the request as
 * received, and whatever the runtime's own transport reads from it (made by the same runtime's
 * `Runtime.request()`): the body source, the client-gone signal, on Node the raw response sink.
 */
export interface TransportRequest {
  readonly inbound: Inbound
  /**
   * At most `maxBytes` of a body of undeclared length (chunked) may pass; the runtime counts them
   * where they arrive. Past the limit the upload stops: the transport sees a client that went
   * away, and the client gets 413 if no response has started (else its connection is closed).
   * Returns that 413 when the runtime answers through the handler's result (Bun, Deno), for the
   * caller to race against its own answer; undefined when the runtime writes it itself (Node).
   */
  limitBody(maxBytes: number): Promise<Response> | undefined
  /** How this request's answer is compressed, where not as the runtime's (an HTTP/2 listener on Bun's node:http2 layer). */
  readonly compression?: RuntimeCompression
  /**
   * Whether the answer can end with trailers, where gRPC keeps its status: an HTTP/2 client of a
   * node:http2 listener (Node, Bun). Not HTTP/1.1 clients, not a Web Response (Bun.serve, Deno.serve).
   */
  readonly trailers?: boolean
}

/** The upstream a transport sends to: its id (stable across snapshots) and its current address. */
export interface UpstreamTarget {
  readonly id: string
  readonly url: URL
  /** HTTP/2 to it (`h2c` cleartext, `h2` over TLS); absent: HTTP/1.1. */
  readonly protocol?: 'h2c' | 'h2'
}

/** One try of a request on one upstream, fully prepared by the core (core/proxy/attempt.ts). */
export interface OutboundRequest {
  method: string
  /** Origin-form path and query to send. */
  path: string
  /** Flat [name, value…], hop-by-hop stripped, forwarding headers set. */
  headers: string[]
  hasBody: boolean
  timeouts: { connect: number; firstByte: number; idle: number; total?: number }
  /**
   * Edit the response head in place before it is sent to the client (response-side plugins). An
   * encoding it returns is applied to the body by the Node transport (node:zlib); Web runtimes
   * ignore it, since the core encodes the Web Response they return (core/runtime/web/compression.ts).
   */
  onResponseHead?: (status: number, headers: string[]) => ContentEncoding | void
  /**
   * Called exactly once, when the exchange has fully ended: with the upstream's status when it
   * answered, with a failure when the upstream failed (a client that went away is neither), and
   * the response body bytes sent to the client when known.
   */
  onDone(failure?: UpstreamFailure, status?: number, bytes?: number): void
  /** Statuses to treat as a failure worth another upstream (opt-in `retryOn`), checked before the head is sent. */
  retryStatus?: (status: number) => boolean
  /**
   * A gRPC call. An HTTP/2 transport holds its response head until body bytes or the end come
   * (a trailers-only answer must stay one HEADERS frame), and when its deadline (`timeouts.total`,
   * from `grpc-timeout`) expires after the head went out, ends the stream with `grpc-status: 4`
   * trailers instead of a reset.
   */
  grpc?: true
  /** A gRPC call's `grpc-status` as the transport saw it go to the client (head or trailers), for the record. */
  grpcStatus?(code: number): void
}

/** A `Content-Encoding` the gateway can produce (RFC 9110 names). */
export type ContentEncoding = 'zstd' | 'br' | 'gzip' | 'deflate'

/** What a runtime can compress with. */
export interface RuntimeCompression {
  /** The encodings it has (Node 22.12: no zstd; Deno: no zstd in CompressionStream). */
  readonly encodings: readonly ContentEncoding[]
  /** Whether each body chunk is flushed to the client as it is compressed (needed for event streams). */
  readonly flushes: boolean
  /** Node: its transport encodes the body it writes; else the core encodes the returned Web Response. */
  readonly inTransport: boolean
}

export type SendResult = { ok: true; response: Response } | { ok: false; failure: UpstreamFailure }

/**
 * A runtime's upstream client. `R` is the runtime's own TransportRequest (its `Runtime.request()`
 * makes them), so a transport reads its native handles typed, without casts.
 */
export interface Transport<R extends TransportRequest = TransportRequest> {
  /**
   * Sends the request (its body read from the runtime's request) and resolves once the response
   * head is on its way to the client. A failure before that resolves `ok: false` so the core can
   * retry; a failure after it is handled by the transport (the client connection is cut).
   */
  send(req: R, upstream: UpstreamTarget, out: OutboundRequest): Promise<SendResult>
  /**
   * Opens a WebSocket to the upstream and joins it to the client's (after the upstream accepted
   * the upgrade). Same failure contract as `send`; `onDone` fires when the socket pair closes.
   */
  upgrade(req: R, upstream: UpstreamTarget, out: OutboundRequest): Promise<SendResult>
  /**
   * The core sends no more to this upstream at this address (it left its pool, moved to another
   * address, or the gateway stops): close the transport's client for it once the requests on it
   * have ended. The next request to the upstream's new address gets a new client.
   */
  release(upstream: UpstreamTarget): void
}

export interface ServeOptions {
  port: number
  hostname: string
  /** Serve HTTPS with these certificates instead of plain HTTP. */
  tls?: ServeTls
  /** Limits on what a client may send; absent fields keep the runtime's defaults. */
  limits?: ServeLimits
  /** HTTP/2 on this listener (absent: HTTP/1.1 only). */
  http2?: ServeHttp2
  /**
   * A request refused before the gateway's handler saw it: by the runtime's own parser where the
   * runtime tells (Node: malformed, bad framing, head too large or too slow), or by the listener's
   * header limits (all runtimes). `detail` is the parser's error code, for the log.
   */
  onRefused?(reason: ListenerRefusal, detail?: string): void
  /** Share the port with other processes (SO_REUSEPORT: the kernel spreads connections); for `workers`. */
  reusePort?: boolean
}

/** HTTP/2 on a listener: by ALPN (`h2`) over TLS; on a plain listener only with `h2c`. */
export interface ServeHttp2 {
  /** Plain listener: also accept cleartext HTTP/2 with prior knowledge (h2c), beside HTTP/1.1. */
  readonly h2c: boolean
  /** Streams a client may have open at once on one connection (SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly maxConcurrentStreams: number
}

/** Why a listener refused a request before the handler (bounded: a metric label). */
export type ListenerRefusal = 'malformed' | 'bad-framing' | 'header-too-large' | 'too-many-headers' | 'header-timeout'

/** One certificate chain and its key (PEM), and the SNI names it answers (`a.example.com`, `*.example.com`). */
export interface TlsCertificate {
  readonly cert: string
  readonly key: string
  /** Lower case; exact names or `*.` wildcards (exactly one more label). */
  readonly hosts: readonly string[]
}

/**
 * Live certificates for an HTTPS listener. The server reads `current()` at start and again after
 * each change it is told about; connections already open keep the certificate they shook hands with.
 */
export interface ServeTls {
  /** Never empty; the first is the default (clients without SNI, or naming no listed host). */
  current(): readonly TlsCertificate[]
  /** Calls `listener` after each change; returns the unsubscribe. */
  subscribe(listener: () => void): () => void
  /** `Strict-Transport-Security` value added to every response that has none. */
  hsts?: string
  /**
   * ACME TLS-ALPN-01 (RFC 8737): the challenge certificate for `servername` while one is pending.
   * Runtimes with `tlsAlpnChallenges` present it to handshakes that offer `acme-tls/1`.
   */
  alpnChallenge?(servername: string): { cert: string; key: string } | undefined
}

export interface ServeLimits {
  /** Request line plus headers, in bytes; more → 431. */
  maxHeaderBytes: number
  /** Header lines; more → 431. */
  maxHeaderCount: number
  /** A connection must deliver a complete request head within this (slow-loris); else it is closed. */
  headerTimeoutMs: number
  /** A keep-alive connection with no request in flight is closed after this. */
  idleTimeoutMs: number
}

export interface RunningServer {
  readonly port: number
  /**
   * Client connections open now, as far as the runtime can see them: Node counts every TCP (or
   * TLS) connection, idle keep-alive and WebSockets included; Bun.serve has no connection events,
   * so Bun counts connections with a request in flight or a WebSocket open (idle keep-alive ones
   * are not seen); Deno.serve tells nothing (undefined).
   */
  openConnections?(): number
  /** Stops accepting, waits up to `graceMs` for in-flight requests, then closes everything. */
  close(graceMs?: number): Promise<void>
}

export type ProcessSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP'

/** A message channel between the primary and one worker process (JSON-able messages, in order). */
export interface ProcessChannel {
  send(message: unknown): void
  onMessage(fn: (message: unknown) => void): void
  /** The other side went away (it exited, or closed the channel). */
  onClose(fn: () => void): void
}

/** A worker process as the primary sees it. */
export interface WorkerProcess extends ProcessChannel {
  readonly pid: number
  /** Once, when it has exited (by itself, by a signal, or killed). */
  onExit(fn: (code: number | null, signal: string | null) => void): void
  kill(signal: 'SIGTERM' | 'SIGKILL'): void
}

/** Starting this same program again as worker processes (core/workers/). */
export interface WorkerSpawner {
  /** Runs this program's entry point again with `args`, with a channel to it. */
  spawn(args: readonly string[]): WorkerProcess
  /** In a worker: the channel to the primary that spawned it; undefined in a primary or single process. */
  parent(): ProcessChannel | undefined
  /** CPU cores this process may use: the affinity mask, capped by a cgroup CPU quota (containers). */
  cores(): number
}

export interface Runtime {
  readonly name: 'node' | 'bun' | 'deno'
  /** Can its HTTPS listener answer ACME TLS-ALPN-01 (ServeTls.alpnChallenge)? */
  readonly tlsAlpnChallenges?: boolean
  /** What its listeners can do of HTTP/2 (absent: nothing); `trailers: false`: no gRPC to clients; `why` names what is missing. */
  readonly http2?: { readonly tls: boolean; readonly h2c: boolean; readonly trailers?: boolean; readonly why?: string }
  /** The request a route handler received, as the core and this runtime's transport see it. */
  request(c: Context): TransportRequest
  readonly transport: Transport
  /** The I/O plugins get as `ctx.io` (serve, health-check client, files, DNS, unix-socket HTTP …). */
  readonly io: PluginIO
  serve(fetch: (req: Request, env?: unknown) => Response | Promise<Response>, opts: ServeOptions): Promise<RunningServer>
  readonly args: readonly string[]
  cwd(): string
  env(name: string): string | undefined
  exit(code: number): never
  /** SIGHUP: reload the config (`gatehouse reload`). */
  onSignal(signal: ProcessSignal, fn: () => void): void
  /** This process's id (written to `--pid-file`). */
  readonly pid: number
  /** Sends a signal to another process (`gatehouse reload`; Deno needs --allow-run). */
  kill(pid: number, signal: ProcessSignal): void
  /** Writes and removes a small file (the pid file; Deno needs --allow-write for it). */
  writeTextFile(path: string, text: string): Promise<void>
  removeFile(path: string): Promise<void>
  /** Loads a TypeScript or JavaScript module (a config file) by path, relative to cwd; each call evaluates it afresh (a reload). */
  importModule(path: string): Promise<Record<string, unknown>>
  readonly compression: RuntimeCompression
  /** Worker processes sharing the listening port (`workers`); undefined where the runtime cannot (Deno, see README). */
  readonly workers?: WorkerSpawner
  /** Whether the process `pid` exists (`gatehouse register --check-pid`). */
  processAlive(pid: number): boolean
  /** A secret from stdin: prompted without echo on a terminal, else all of stdin; undefined if aborted. */
  readSecret(prompt: string): Promise<{ value: string; fromTerminal: boolean } | undefined>
}
