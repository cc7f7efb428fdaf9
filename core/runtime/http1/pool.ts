/**
 * Keep-alive connections to one upstream, over an abstract socket (the runtime supplies it).
 *
 * An idle connection keeps a read pending: if the upstream closes it (or sends anything, which
 * no request asked for), the read settles and the connection is dropped before anyone reuses it.
 * The next exchange on a live one takes that pending read over as its first read. Idle ones are
 * closed after `idleMs`, or the upstream's own `Keep-Alive: timeout` minus a second (a server
 * closing at the same moment we send is the classic keep-alive race). Most recently used first,
 * so surplus connections age out.
 */
export interface Http1Socket {
  /** The next bytes, or null once the peer closed. One read at a time. Rejects with an Http1Error. */
  read(): Promise<Uint8Array | null>
  /** Resolves once the bytes were handed to the kernel (back-pressure). Rejects with an Http1Error. */
  write(bytes: Uint8Array): Promise<void>
  close(): void
}

/** Opens a connection; rejects with an Http1Error ('refused', or 'error'). */
export type Connector = () => Promise<Http1Socket>

export interface PoolOptions {
  maxIdle: number
  idleMs: number
}

export class Conn {
  /** A read started while idle; the next exchange on this connection takes it over. */
  pending: Promise<Uint8Array | null> | undefined
  idle = false
  dead = false
  expires = 0
  /** Exchanges this connection carried before the current one. */
  uses = 0
  constructor(readonly socket: Http1Socket) {}
  close(): void {
    if (this.dead) return
    this.dead = true
    this.idle = false
    this.socket.close()
  }
}

export class Pool {
  readonly #idle: Conn[] = []
  #closed = false
  #sweeper: ReturnType<typeof setInterval> | undefined

  constructor(
    readonly connect: Connector,
    readonly options: PoolOptions = { maxIdle: 256, idleMs: 30_000 },
  ) {}

  /** A live idle connection, most recently used first. */
  take(): Conn | undefined {
    const now = Date.now()
    for (let c = this.#idle.pop(); c; c = this.#idle.pop()) {
      if (c.dead) continue
      if (c.expires <= now) {
        c.close()
        continue
      }
      c.idle = false
      c.uses++
      return c
    }
    return undefined
  }

  /** A connection whose exchange ended cleanly: kept for the next one, or closed. */
  put(conn: Conn, keepAliveMs?: number): void {
    const ms = Math.min(this.options.idleMs, keepAliveMs !== undefined ? keepAliveMs - 1000 : Infinity)
    if (this.#closed || conn.dead || ms <= 0 || this.#idle.length >= this.options.maxIdle) return conn.close()
    conn.idle = true
    conn.expires = Date.now() + ms
    const pending = conn.socket.read()
    conn.pending = pending
    const lost = () => {
      if (!conn.idle) return // taken meanwhile: the exchange reads what arrived
      conn.close()
      const i = this.#idle.indexOf(conn)
      if (i >= 0) this.#idle.splice(i, 1)
    }
    pending.then(lost, lost)
    this.#idle.push(conn)
    this.#sweeper ??= setInterval(() => this.#sweep(), 1000)
  }

  #sweep(): void {
    const now = Date.now()
    for (let i = this.#idle.length - 1; i >= 0; i--) {
      const c = this.#idle[i]!
      if (c.dead || c.expires <= now) {
        c.close()
        this.#idle.splice(i, 1)
      }
    }
    if (this.#idle.length === 0) {
      clearInterval(this.#sweeper)
      this.#sweeper = undefined
    }
  }

  /** The upstream left: close idle connections now, busy ones when their exchange ends. */
  close(): void {
    this.#closed = true
    for (const c of this.#idle.splice(0)) c.close()
    clearInterval(this.#sweeper)
    this.#sweeper = undefined
  }

  get idleCount(): number {
    return this.#idle.length
  }
}
