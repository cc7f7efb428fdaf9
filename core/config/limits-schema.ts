/**
 * `limits`: what a client may send before the gateway gives up on it, the same on every listener
 * (HTTPS, the HTTP redirect, plain HTTP). Per-route body sizes are a route field (`maxBodySize`).
 */
import { z } from 'zod'
import { byteSize } from './byte-size.ts'
import { duration } from './duration.ts'

export const limitsSchema = z
  .strictObject({
    /**
     * Request line plus headers. Default 16kb (Node's and Bun's own); more → 431.
     * Bun never accepts more than its --max-http-header-size (16kb unless raised); Deno answers 400 itself above ~64kb.
     */
    maxHeaderBytes: byteSize()
      .default(16 * 1024)
      .refine((n) => n >= 1024 && n <= 1024 * 1024, { error: 'expected between 1kb and 1mb' }),
    /** Header lines. Default 100 (as Apache); more → 431. Deno answers 400 itself above 128 lines. */
    maxHeaderCount: z
      .number()
      .int({ error: 'expected a whole number from 1 to 1000' })
      .min(1)
      .max(1000)
      .default(100),
    /**
     * A new connection must send a complete request head (and finish the TLS handshake) within this; a slow
     * client (slow-loris) is closed. Default 30s. Bun: fixed by Bun at ~10s, this setting is not applied.
     */
    headerTimeout: duration()
      .default(30_000)
      .refine((ms) => ms >= 100, { error: 'expected at least 100ms' }),
    /** A keep-alive connection with no request in flight is closed after this. Default 30s. Bun counts whole seconds, at most 255. */
    idleTimeout: duration()
      .default(30_000)
      .refine((ms) => ms >= 1_000, { error: 'expected at least 1s' }),
  })
  .prefault({})

export type LimitsConfig = z.output<typeof limitsSchema>
