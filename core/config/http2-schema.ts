/** `listen.http2`: HTTP/2 towards clients (README "HTTP/2 and gRPC"). */
import { z } from 'zod'

export const http2Schema = z
  .strictObject({
    /** Offer `h2` by ALPN on the HTTPS listener. Default true (where the runtime can: not Bun). */
    enabled: z.boolean().default(true),
    /** Also accept cleartext HTTP/2 with prior knowledge (h2c) on a plain listener, beside HTTP/1.1. Default false. */
    h2c: z.boolean().default(false),
    /** Streams one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). Default 100. */
    maxConcurrentStreams: z.number().int({ error: 'expected a whole number from 1 to 1000' }).min(1).max(1000).default(100),
  })
  .prefault({})

export type Http2Config = z.output<typeof http2Schema>
