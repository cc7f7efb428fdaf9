/**
 * The I/O a runtime offers plugins (`ctx.io`): each runtime implements it under core/runtime/, so
 * plugins stay portable and import no runtime module. Everything here is used by a built-in plugin.
 */

/** A listener of the plugin's own (the admin API, a metrics endpoint, demo upstreams). */
export interface PluginServer {
  readonly port: number
  close(): Promise<void>
}

export type PluginServe = (fetch: (req: Request) => Response | Promise<Response>, opts: { port: number; hostname: string }) => Promise<PluginServer>

/** One file, watched (the `file` discovery plugin, certificate files). */
export interface FileIO {
  /** Absolute path, its directory and its file name. Relative paths resolve against the working directory. */
  locate(path: string): { path: string; dir: string; base: string }
  readText(path: string): Promise<string>
  /** Changes whenever the file is replaced or written (inode, size, mtime); undefined when it is missing. */
  version(path: string): Promise<string | undefined>
  /**
   * Watches a DIRECTORY and calls `onChange` for events on `base` (editors and deploy tools rename a
   * new file over the old one; a watch on the file itself would go quiet). Returns a close function;
   * when watching is impossible it calls `onError` and returns a no-op (callers keep a stat poll).
   */
  watchDirectory(dir: string, base: string, onChange: () => void, onError: (err: Error) => void): () => void
  /**
   * Replaces a file whole (written aside, renamed over: never half-written), creating missing
   * directories. Private: the file is 0600 and created directories 0700 (the ACME store keeps keys).
   */
  writePrivate(path: string, text: string): Promise<void>
  /** Creates a file only if none exists (a lock), private as above; false when it exists. */
  createExclusive(path: string, text: string): Promise<boolean>
  /** Removes a file; a missing one is fine. */
  remove(path: string): Promise<void>
  /** When the file was last written (ms since the epoch); undefined when it is missing. */
  modifiedAt(path: string): Promise<number | undefined>
}

export interface SrvRecord {
  name: string
  port: number
  priority: number
  weight: number
  /** Seconds, as served; absent when the answer came without it (the fallback for a truncated answer). */
  ttl?: number
}

export interface AddressRecord {
  address: string
  /** Seconds, as served. */
  ttl: number
}

export interface DnsClient {
  /** SRV records; [] when the name does not exist or has none (a real, empty answer). */
  srv(name: string): Promise<SrvRecord[]>
  /** A (4) or AAAA (6) records with TTLs; [] when there are none. */
  addresses(name: string, family: 4 | 6): Promise<AddressRecord[]>
  /** Cancels queries in flight; they reject. */
  cancel(): void
}

export interface PluginIO {
  serve: PluginServe
  /** One HTTP probe with the runtime's client (it may set a Host header, which fetch forbids). */
  healthCheck: HealthCheckRequest
  /** One HTTP/2 request on a connection of its own, h2c or h2 by ALPN (the gRPC health check); trailers included. */
  http2Check: Http2CheckRequest
  files: FileIO
  /** A resolver with its own servers (["127.0.0.1:8600"]); the system's resolvers when omitted. */
  dns(opts: { servers?: readonly string[]; timeoutMs: number }): DnsClient
  /**
   * A keep-alive `node:http` Agent for libraries that speak HTTP over a unix socket (dockerode and
   * the Docker socket); with `ca`, a `node:https` Agent that trusts that PEM CA (acme-client, for a
   * private CA's directory). Typed `unknown` so the contract stays Web-standard; pass it through as is.
   */
  httpAgent(opts?: { maxFreeSockets?: number; ca?: string }): unknown
  /** An environment variable (undefined when unset, or when the runtime may not read it). */
  env(name: string): string | undefined
  /** This machine's host name. */
  hostname(): string
  /** The process's resource use now (the metrics plugin's process and runtime gauges). */
  processStats(): ProcessStats
}

/** A process's saturation signals; a field is absent where the runtime does not expose it. */
export interface ProcessStats {
  runtime: { name: 'node' | 'bun' | 'deno'; version: string }
  /** CPU time used since the process started, in seconds. */
  cpuUserSeconds: number
  cpuSystemSeconds: number
  residentBytes: number
  heapUsedBytes: number
  heapTotalBytes: number
  /** When the process started, seconds since the epoch. */
  startTimeSeconds: number
  /** Open file descriptors (Linux /proc; not on Deno, whose permissions do not cover /proc). */
  openFds?: number
  /** The longest a timer fired late since the last read, in seconds: the event loop's saturation. */
  eventLoopLagSeconds: number
  /** Time spent in garbage collection since the process started, in seconds (Node only). */
  gcSeconds?: number
}

/** One health probe over HTTP; the runtime's client, so a Host header can be set (fetch forbids it). */
export type HealthCheckRequest = (
  url: URL,
  opts: { method: string; headers: Record<string, string>; timeoutMs: number; maxBodyBytes: number },
) => Promise<{ status: number; body: string }>

/** One HTTP/2 request with a body, on a fresh connection: `h2c` (prior knowledge) or `h2` (TLS, ALPN). */
export type Http2CheckRequest = (
  url: URL,
  opts: { protocol: 'h2c' | 'h2'; method: string; headers: Record<string, string>; body?: Uint8Array; timeoutMs: number; maxBodyBytes: number },
) => Promise<{ status: number; headers: Record<string, string>; trailers: Record<string, string>; body: Uint8Array }>
