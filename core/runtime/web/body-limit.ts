/**
 * The body limit of an upload of unknown length on Bun and Deno (TransportRequest.limitBody,
 * core/runtime/io/body-limit.ts): the `Request`'s `body` and `signal` are replaced by counting
 * ones, so the transports read them unchanged. Past the limit the signal aborts (the transport
 * sees a client that went away and aborts the upstream), the stream errors, and the returned
 * promise gives the 413 that the handler races against its own answer (so the client gets it
 * unless the response has already started).
 */
import { PAYLOAD_TOO_LARGE } from '../io/body-limit.ts'

export function limitWebBody(req: Request, max: number): Promise<Response> | undefined {
  if (!req.body || req.headers.has('content-length')) return undefined
  return new Promise<Response>((answer) =>
    limitBody(req, max, () =>
      answer(new Response(PAYLOAD_TOO_LARGE, { status: 413, headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' } })),
    ),
  )
}

function limitBody(req: Request, max: number, onExceeded: () => void): void {
  const reader = req.body!.getReader()
  const gone = new AbortController()
  let seen = 0
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(ctrl) {
        const { done, value } = await reader.read()
        if (done) return ctrl.close()
        seen += value.byteLength
        if (seen <= max) return ctrl.enqueue(value)
        gone.abort(new Error('request body over the route limit')) // first: the transport must see a client that left
        onExceeded()
        ctrl.error(new Error('request body over the route limit'))
        reader.cancel().catch(() => {})
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  )
  Object.defineProperty(req, 'body', { value: body, configurable: true })
  Object.defineProperty(req, 'signal', { value: AbortSignal.any([req.signal, gone.signal]), configurable: true })
}
