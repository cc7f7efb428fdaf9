/**
 * The few Deno APIs the adapter uses, typed here so the repository type-checks without Deno's
 * declarations. `deno` is only read when the adapter runs under Deno.
 */
export interface DenoServeInfo {
  remoteAddr: { transport: string; hostname?: string; port?: number }
}

export interface DenoHttpServer {
  readonly addr: { hostname: string; port: number }
  readonly finished: Promise<void>
  /** Stops accepting; resolves once in-flight requests are done. */
  shutdown(): Promise<void>
}

export interface DenoApi {
  serve(
    opts: { port: number; hostname: string; onListen?(addr: unknown): void; onError?(err: unknown): Response },
    handler: (req: Request, info: DenoServeInfo) => Response | Promise<Response>,
  ): DenoHttpServer
  readonly args: string[]
  readonly version: { deno: string }
  cwd(): string
  exit(code: number): never
  env: { get(name: string): string | undefined }
  addSignalListener(signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP', fn: () => void): void
  readonly pid: number
  kill(pid: number, signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP'): void
  writeTextFile(path: string, text: string): Promise<void>
  remove(path: string): Promise<void>
  upgradeWebSocket(req: Request, opts?: { protocol?: string }): { socket: WebSocket; response: Response }
}

export const deno = (globalThis as unknown as { Deno: DenoApi }).Deno
