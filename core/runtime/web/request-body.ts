/**
 * The client's request body, readable once per upstream *attempt*. A connection that never
 * opened may be retried on another upstream with the same body (core/proxy/failure.ts), but a
 * fetch() client may pull chunks before it connects (Bun's does). So every chunk read from the
 * client goes into a log that each attempt reads with its own cursor: a new attempt replays the
 * log from the start, then continues with the client. Reads from the client are shared, so an
 * abandoned attempt that still waits for a chunk cannot swallow it.
 *
 * The log is kept until the response head arrives (`commit()`), and only up to `maxReplay` bytes;
 * past that it holds nothing but the chunk the live attempt has yet to take, and a later attempt
 * is refused (`attempt()` returns undefined) instead of sending a body with a hole in it.
 */
export interface BodyActivity {
  /** The attempt waits for the client to send more (not the upstream's fault: pause timers). */
  waiting?(): void
  /** A chunk went upstream. */
  chunk?(): void
}

interface Cursor {
  at: number
}

export class RequestBody {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>
  readonly #log: Uint8Array[] = []
  /** Absolute index of #log[0] (entries before it were dropped). */
  #base = 0
  #bytes = 0
  #keeping = true
  #replayable = true
  #ended = false
  #failed: { error: unknown } | undefined
  #reading: Promise<void> | undefined
  #live: Cursor | undefined

  constructor(
    stream: ReadableStream<Uint8Array>,
    readonly maxReplay = 1 << 20,
    /** The request's: aborted when the client left (Deno: run with --unstable-no-legacy-abort). */
    readonly signal?: AbortSignal,
  ) {
    this.#reader = stream.getReader()
  }

  /** Reading the client's body failed (it broke off, or its framing was bad). */
  get failed(): boolean {
    return this.#failed !== undefined
  }

  /** The response head arrived: no attempt will follow, stop keeping chunks. */
  commit(): void {
    this.#keeping = false
    this.#trim()
  }

  /** A fresh stream for one attempt, or undefined when earlier attempts consumed unkept bytes. */
  attempt(on: BodyActivity = {}): ReadableStream<Uint8Array> | undefined {
    if (!this.#replayable || this.#base > 0) return undefined
    const cursor: Cursor = { at: 0 }
    this.#live = cursor
    return new ReadableStream<Uint8Array>(
      {
        pull: async (ctrl) => {
          for (;;) {
            if (this.#live !== cursor) return // superseded by a newer attempt: take nothing
            const i = cursor.at - this.#base
            if (i < this.#log.length) {
              ctrl.enqueue(this.#log[i]!)
              cursor.at++
              this.#trim()
              on.chunk?.()
              return
            }
            if (this.#failed) return ctrl.error(this.#failed.error)
            if (this.#ended) return ctrl.close()
            on.waiting?.()
            await (this.#reading ??= this.#readOne())
          }
        },
        // The attempt was abandoned (upstream failed, client left): the client's stream stays
        // open for the next attempt; the runtime closes it with the request.
        cancel: () => {},
      },
      { highWaterMark: 0 },
    )
  }

  async #readOne(): Promise<void> {
    try {
      const { done, value } = await this.#reader.read()
      // Deno.serve ends an HTTP/2 request body cleanly when the client resets the stream (2.9.5,
      // with or without a Content-Length it falls short of): only the request's signal tells, and
      // it may abort just after the end is read, so the end is taken one macrotask later. Taken at
      // once, a chunked upstream request got its terminator and was complete, truncated.
      if (done && this.signal && !this.signal.aborted) await new Promise((r) => setTimeout(r, 0))
      if (done && this.signal?.aborted) this.#failed = { error: new Error('the client reset its stream before the request body ended') }
      else if (done) this.#ended = true
      else {
        this.#log.push(value)
        this.#bytes += value.byteLength
        if (this.#keeping && this.#bytes > this.maxReplay) this.commit()
      }
    } catch (error) {
      this.#failed = { error } // the client's body broke off: so does the upstream's
    } finally {
      this.#reading = undefined
    }
  }

  /** Once nothing may be replayed, drop what the live attempt has taken. */
  #trim(): void {
    if (this.#keeping) return
    const taken = (this.#live?.at ?? 0) - this.#base
    if (taken <= 0) return
    this.#log.splice(0, taken)
    this.#base += taken
    this.#replayable = false
  }
}

const bodies = new WeakMap<Request, RequestBody>()

/** Whether the request's body, as read so far for an upstream, broke off. */
export function bodyFailed(req: Request): boolean {
  return bodies.get(req)?.failed ?? false
}

/** The one RequestBody of an inbound request (created on first use). */
export function requestBody(req: Request): RequestBody | undefined {
  if (!req.body) return undefined
  let body = bodies.get(req)
  if (!body) bodies.set(req, (body = new RequestBody(req.body, undefined, req.signal)))
  return body
}
