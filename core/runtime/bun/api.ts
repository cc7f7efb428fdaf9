/**
 * The few Bun APIs the adapter uses, typed here so the repository type-checks without Bun's
 * type package. `bun` is only read when the adapter runs under Bun.
 */
export interface BunServer {
  readonly port: number
  readonly pendingRequests: number
  readonly pendingWebSockets: number
  requestIP(req: Request): { address: string; family: string; port: number } | null
  /** Per-request idle timeout in seconds; 0 disables it. */
  timeout(req: Request, seconds: number): void
  /** Stops listening; resolves when in-flight requests are done (or at once with `true`). */
  stop(closeActiveConnections?: boolean): Promise<void>
  /** Upgrades the request's connection to a WebSocket (Bun then answers the handshake). */
  upgrade(req: Request, opts: { data: unknown; headers?: Record<string, string> }): boolean
}

export interface BunServerWebSocket<T> {
  readonly data: T
  send(data: string | ArrayBuffer | Uint8Array): number
  close(code?: number, reason?: string): void
}

export interface BunWebSocketHandler<T> {
  open(ws: BunServerWebSocket<T>): void
  message(ws: BunServerWebSocket<T>, message: string | Uint8Array): void
  close(ws: BunServerWebSocket<T>, code: number, reason: string): void
}

export interface BunServeOptions {
  port: number
  hostname: string
  fetch(req: Request, server: BunServer): Response | Promise<Response>
  error?(err: Error): Response
  websocket?: BunWebSocketHandler<never>
  maxRequestBodySize?: number
  idleTimeout?: number
  development?: boolean
  reusePort?: boolean
}

/** A socket from `Bun.connect`; `data` is what was passed to connect. */
export interface BunSocket<T = unknown> {
  readonly data: T
  /** Bytes the kernel took (the rest is not kept: write it again on `drain`); -1 once closed. */
  write(bytes: Uint8Array, byteOffset?: number, byteLength?: number): number
  /** Sends FIN and closes the socket. */
  end(): void
  pause(): void
  resume(): void
  setNoDelay(on?: boolean): boolean
  /** Seconds without activity before the `timeout` handler runs; 0 disables. */
  timeout(seconds: number): void
}

/** Handlers shared by all sockets of one `connect` call (Bun's model: no closure per socket). */
export interface BunSocketHandler<T = unknown> {
  binaryType?: 'uint8array' | 'buffer' | 'arraybuffer'
  open?(socket: BunSocket<T>): void
  handshake?(socket: BunSocket<T>, success: boolean, authorizationError: Error | null): void
  data?(socket: BunSocket<T>, bytes: Uint8Array): void
  drain?(socket: BunSocket<T>): void
  end?(socket: BunSocket<T>): void
  close?(socket: BunSocket<T>, error?: Error): void
  error?(socket: BunSocket<T>, error: Error): void
  timeout?(socket: BunSocket<T>): void
  connectError?(socket: BunSocket<T>, err: Error): void
}

export interface BunConnectOptions<T> {
  hostname: string
  port: number
  /** `true`: TLS with the hostname as SNI, verified against the system's and NODE_EXTRA_CA_CERTS' roots. */
  tls?: boolean
  data?: T
  socket: BunSocketHandler<T>
}

export interface BunApi {
  serve(opts: BunServeOptions): BunServer
  connect<T>(opts: BunConnectOptions<T>): Promise<BunSocket<T>>
  readonly argv: string[]
}

export const bun = (globalThis as unknown as { Bun: BunApi }).Bun
