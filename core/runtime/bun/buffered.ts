/**
 * Small upstream bodies are read whole before the response goes out (as nginx's proxy buffering
 * does): Bun then writes them from memory on its native path, where a JS stream around every body
 * costs it about 4× in throughput. Only bodies with a declared length up to BUFFER_MAX bytes: an
 * event stream, a download or a body of unknown length still streams chunk by chunk (relay-body.ts).
 * Since nothing has reached the client while such a body is read, an upstream that fails or stalls
 * meanwhile is answered 502/504 by the core (Node and Deno, which stream every body, cut instead).
 */
import { TimeoutAbort } from './relay-body.ts'

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

export type SmallBody = { ok: true; body: Uint8Array<ArrayBuffer> } | { ok: false; error: unknown }

/** Reads a small body whole; the idle timeout applies between chunks, as when streaming. */
export async function readSmallBody(src: ReadableStream<Uint8Array<ArrayBuffer>>, idleMs: number, abort: (reason: unknown) => void): Promise<SmallBody> {
  const reader = src.getReader()
  const chunks: Uint8Array<ArrayBuffer>[] = []
  let bytes = 0
  for (;;) {
    let stalled: TimeoutAbort | undefined
    const idle = setTimeout(() => {
      stalled = new TimeoutAbort('idle-timeout')
      abort(stalled)
      void reader.cancel(stalled).catch(() => {})
    }, idleMs)
    let chunk: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>
    try {
      chunk = await reader.read()
    } catch (err) {
      return { ok: false, error: stalled ?? err }
    } finally {
      clearTimeout(idle)
    }
    if (stalled) return { ok: false, error: stalled }
    if (chunk.done) return { ok: true, body: join(chunks, bytes) }
    chunks.push(chunk.value)
    bytes += chunk.value.byteLength
  }
}

function join(chunks: Uint8Array<ArrayBuffer>[], bytes: number): Uint8Array<ArrayBuffer> {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(bytes)
  let at = 0
  for (const c of chunks) (out.set(c, at), (at += c.byteLength))
  return out
}
