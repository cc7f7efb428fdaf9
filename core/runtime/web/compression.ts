/**
 * Compression on runtimes that return Web Responses (Bun, Deno): the body is piped through a
 * CompressionStream. `gzip` and `deflate` are Web-standard; `brotli` and `zstd` are formats some
 * runtimes add (Bun both, Deno brotli), so what this runtime has is probed once.
 */
import type { ContentEncoding, RuntimeCompression } from '../types.ts'

const FORMAT: Record<ContentEncoding, string> = { zstd: 'zstd', br: 'brotli', gzip: 'gzip', deflate: 'deflate' }

function has(format: string): boolean {
  try {
    new CompressionStream(format as CompressionFormat)
    return true
  } catch {
    return false
  }
}

export const webCompression: RuntimeCompression = {
  encodings: (Object.keys(FORMAT) as ContentEncoding[]).filter((e) => has(FORMAT[e])),
  // A CompressionStream holds output back until its buffer fills: no event-by-event streams.
  flushes: false,
  inTransport: false,
}

/** The same response with its body encoded (the head was already edited by the encoder). */
export function encodeWebBody(res: Response, encoding: ContentEncoding): Response {
  if (!res.body) return res
  return new Response(res.body.pipeThrough(new CompressionStream(FORMAT[encoding] as CompressionFormat)), res)
}
