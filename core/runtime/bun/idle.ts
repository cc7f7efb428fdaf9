/**
 * Keep-alive idle timeout on Bun. Bun's `idleTimeout` counts any quiet time on a connection,
 * including a request waiting on a slow upstream or a quiet event stream, so serve.ts turns it
 * off per request (`server.timeout(req, 0)`). That setting outlives the request: without more,
 * the connection would then idle forever. So the timeout is set back once the response has been
 * sent, which Bun reports no other way than by the end of the body stream: a thin pass-through
 * (one extra read per chunk).
 */
import { isInMemory } from '../web/memory-body.ts'

export function whenSent(res: Response, sent: () => void): Response {
  if (res.status === 101) return res
  if (isInMemory(res) || !res.body) {
    sent()
    return res
  }
  const reader = res.body.getReader()
  let done = false
  const finish = () => {
    if (!done) (done = true), sent()
  }
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(ctrl) {
        let chunk: ReadableStreamReadResult<Uint8Array>
        try {
          chunk = await reader.read()
        } catch (err) {
          finish()
          return ctrl.error(err)
        }
        if (!chunk.done) return ctrl.enqueue(chunk.value)
        ctrl.close()
        finish()
      },
      cancel(reason) {
        finish()
        return reader.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers })
}
