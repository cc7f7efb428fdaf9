/**
 * Small upstream bodies are read whole before the response goes out (as nginx's proxy buffering
 * does): Bun then writes them from memory on its native path, where a JS stream around every body
 * costs it about 4× in throughput. Only bodies with a declared length up to BUFFER_MAX bytes: an
 * event stream, a download or a body of unknown length still streams chunk by chunk (relay-body.ts).
 * Since nothing has reached the client while such a body is read, an upstream that fails or stalls
 * meanwhile is answered 502/504 by the core (Node and Deno, which stream every body, cut instead).
 */
export const BUFFER_MAX = 64 * 1024

const buffered = new WeakSet<Response>()

export function bufferable(res: Response): boolean {
  const length = res.headers.get('content-length')
  return length !== null && !res.headers.has('transfer-encoding') && Number(length) <= BUFFER_MAX
}

/** Marks a response whose body is already in memory, so serving needs no stream around it. */
export function markBuffered(res: Response): Response {
  buffered.add(res)
  return res
}

export function isBuffered(res: Response): boolean {
  return buffered.has(res)
}
