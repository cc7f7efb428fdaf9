/**
 * Per-route body limits for bodies of unknown length (chunked uploads). The route is known only
 * after matching, but counting must happen where the bytes arrive, in the runtime's server: so
 * each server registers a limiter for every request whose body length is not declared, and the
 * core calls `limitRequestBody(c.req.raw, bytes)` once it knows the route. Past the limit the
 * runtime stops the upload: the upstream's request is aborted, and the client gets 413 if no
 * response has started, else its connection is closed. (A declared Content-Length over the limit
 * never gets here: the core answers 413 before contacting an upstream.)
 */
type Limiter = (maxBytes: number) => void

const limiters = new WeakMap<object, Limiter>()

/** For a runtime's server: how to enforce a limit on this request's body, should one be set. */
export function onBodyLimit(req: object, limiter: Limiter): void {
  limiters.set(req, limiter)
}

/** For the core: this request's body may carry at most `maxBytes`. False when no limiter is registered (a declared length). */
export function limitRequestBody(req: object, maxBytes: number): boolean {
  const limiter = limiters.get(req)
  if (!limiter) return false
  limiters.delete(req)
  limiter(maxBytes)
  return true
}

export const PAYLOAD_TOO_LARGE = 'gatehouse: request body larger than this route accepts\n'
