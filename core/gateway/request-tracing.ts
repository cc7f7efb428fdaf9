/**
 * The tracer in force (core/plugin/tracer.ts), read once per request: a request costs one field
 * read when no tracing observer runs. An observer that stops (reload, shutdown) closes its tracer;
 * the gateway's stop awaits those closes after the drain, so the last spans are exported before
 * the process exits.
 */
import type { RequestTracer } from '../plugin/tracer.ts'

/** How long a stopping gateway waits for its tracers to export (the drain is already over). */
const CLOSE_WAIT_MS = 10_000

export class RequestTracing {
  tracer: RequestTracer | undefined
  private readonly closing = new Set<Promise<void>>()

  /** Traces requests with `tracer` (replacing another); returns its stop, which closes it. */
  use(tracer: RequestTracer): () => void {
    if (this.tracer && this.tracer !== tracer) this.retire(this.tracer)
    this.tracer = tracer
    return () => {
      if (this.tracer === tracer) this.tracer = undefined
      this.retire(tracer)
    }
  }

  /** Resolves once every stopped tracer exported what it held (bounded: a collector that hangs does not hold the exit). */
  async closed(): Promise<void> {
    if (this.tracer) this.retire(this.tracer)
    this.tracer = undefined
    if (!this.closing.size) return
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))
    await Promise.race([Promise.all(this.closing), late])
    clearTimeout(timer)
  }

  private retire(tracer: RequestTracer): void {
    const p: Promise<void> = tracer.close().catch(() => {}).finally(() => this.closing.delete(p))
    this.closing.add(p)
  }
}
