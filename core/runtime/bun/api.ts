/**
 * The few Bun APIs the adapter uses, typed here so the repository type-checks without Bun's
 * type package. `bun` is only read when the adapter runs under Bun.
 */
export interface BunServer {
  readonly port: number
  readonly pendingRequests: number
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

export interface BunSocketHandler {
  open?(socket: { end(): void }): void
  data?(): void
  close?(): void
  connectError?(socket: unknown, err: Error): void
}

export interface BunApi {
  serve(opts: BunServeOptions): BunServer
  connect(opts: { hostname: string; port: number; socket: BunSocketHandler }): Promise<{ end(): void }>
  readonly argv: string[]
}

export const bun = (globalThis as unknown as { Bun: BunApi }).Bun
