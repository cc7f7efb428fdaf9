/**
 * The upstream's response body on its way to the client, in a thin stream that adds what fetch
 * lacks: an idle timeout between chunks (armed only while the client is waiting for the next
 * one) and one report when the exchange ends: delivered, failed, or cancelled by the client.
 * An error mid-body errors the stream, so the client sees a cut response, never a short one.
 */
import type { FailureKind, UpstreamFailure } from '../types.ts'

/** Why our own timers aborted a fetch. */
export class TimeoutAbort extends Error {
  constructor(readonly kind: FailureKind) {
    super(kind)
  }
}

export interface RelayHooks {
  abort(reason: unknown): void
  classify(err: unknown): UpstreamFailure
  finish(failure?: UpstreamFailure): void
  /** The client stopped reading (it left). */
  cancelled(): void
  /** Body bytes handed to the client so far. */
  sent(bytes: number): void
}

export function relayBody(src: ReadableStream<Uint8Array>, idleMs: number, hooks: RelayHooks): ReadableStream<Uint8Array> {
  const reader = src.getReader()
  let idle: ReturnType<typeof setTimeout> | undefined
  let stalled: TimeoutAbort | undefined
  return new ReadableStream<Uint8Array>(
    {
      async pull(ctrl) {
        idle = setTimeout(() => {
          stalled = new TimeoutAbort('idle-timeout')
          hooks.abort(stalled)
          void reader.cancel(stalled).catch(() => {})
        }, idleMs)
        let chunk: ReadableStreamReadResult<Uint8Array>
        try {
          chunk = await reader.read()
        } catch (err) {
          clearTimeout(idle)
          ctrl.error(err)
          return hooks.finish(hooks.classify(stalled ?? err))
        }
        clearTimeout(idle)
        if (stalled) {
          ctrl.error(stalled)
          return hooks.finish(hooks.classify(stalled))
        }
        if (chunk.done) {
          ctrl.close()
          return hooks.finish()
        }
        hooks.sent(chunk.value.byteLength)
        ctrl.enqueue(chunk.value)
      },
      cancel(reason) {
        clearTimeout(idle)
        hooks.cancelled()
        hooks.abort(reason ?? new Error('client closed the connection'))
        void reader.cancel(reason).catch(() => {})
        hooks.finish()
      },
    },
    { highWaterMark: 0 },
  )
}

export function nullBodyStatus(status: number): boolean {
  return status === 101 || status === 103 || status === 204 || status === 205 || status === 304
}

export function pairs(flat: readonly string[]): [string, string][] {
  const out: [string, string][] = []
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!])
  return out
}
