/**
 * A pool's `release`: its upstreams are grouped into versions by a label, and this policy turns
 * the gateway's own per-version measurements into traffic weights (core/release/).
 *
 * ```ts
 * release: { by: 'version', strategy: 'canary', steps: [5, 25, 50, 100], interval: '1m',
 *            analysis: { minRequests: 200, maxErrorRate: '1%', maxLatencyRatio: 1.5 },
 *            sticky: { cookie: 'gh-release' } }
 * ```
 */
import { z } from 'zod'
import { duration } from './duration.ts'

/** "1%", "0.5 %" or a fraction (0.01). */
const rate = z
  .union([z.number().min(0).max(1), z.string().regex(/^\s*\d+(\.\d+)?\s*%\s*$/, { error: 'expected a percentage like "1%" or a fraction like 0.01' })])
  .transform((v) => (typeof v === 'number' ? v : Number(v.replace('%', '').trim()) / 100))
  .refine((v) => v <= 1, { error: 'expected at most 100%' })

const versionName = z.string().min(1).max(100)

export const releaseSchema = z
  .strictObject({
    /** The upstream label that names a version (Docker `gatehouse.version=v2`, etcd/file `labels.version`). Default "version". */
    by: z.string().min(1).default('version'),
    /**
     * - `canary`: a new version's weight walks through `steps` while its analysis holds; rolled back to 0 % when it fails.
     * - `blue-green`: all traffic moves to a new version once its upstreams are available.
     * - `manual`: weights only through the admin API (`PUT /api/pools/<pool>/release {"weights": {...}}`).
     * Default "canary".
     */
    strategy: z.enum(['canary', 'blue-green', 'manual']).default('canary'),
    /** The stable version, when several are present at start. Default: the one with most upstreams (ties: lowest name). */
    stable: versionName.optional(),
    /** A canary's weights in percent, rising, the last one 100. Default [5, 25, 50, 100]. */
    steps: z
      .array(z.number().min(0.01).max(100))
      .min(1)
      .default([5, 25, 50, 100])
      .refine((s) => s.every((v, i) => i === 0 || v > s[i - 1]!), { error: 'expected rising percentages' })
      .refine((s) => s[s.length - 1] === 100, { error: 'expected the last step to be 100' }),
    /** How long each step lasts at least before the next (with enough requests on both sides). Default "1m". */
    interval: duration().default(60_000),
    /** What a canary step must hold, canary against stable over the step's window. */
    analysis: z
      .strictObject({
        /** Requests each side needs in the window before a verdict. Default 100. */
        minRequests: z.number().int().min(1).max(10_000_000).default(100),
        /** The canary's share of 5xx answers and transport failures at most. Default "1%". */
        maxErrorRate: rate.default(0.01),
        /** The canary's p99 latency (to the response head) at most this many times the stable's. Default 1.5. */
        maxLatencyRatio: z.number().min(1).max(1000).default(1.5),
        /** p99 differences smaller than this never fail a canary (loopback and idle apps are noisy at the millisecond scale). Default "5ms". */
        latencySlack: duration().default(5),
      })
      .prefault({}),
    /**
     * A client keeps the version it was given while that version takes traffic: by a cookie set on
     * its first answer (`{ cookie: 'gh-release' }`), or by a hash of its address, of who auth
     * middleware says it is (`consumer`: jwt()'s subject, an API key's name) or of a header
     * (`{ hash: 'ip' }`, `{ hash: 'consumer' }`, `{ hash: 'header:x-user' }`; without one, its
     * address). Default none: each request is weighed alone.
     */
    sticky: z
      .union([
        z.strictObject({ cookie: z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, { error: 'expected a cookie name' }) }),
        z.strictObject({
          hash: z.union([z.literal('ip'), z.literal('consumer'), z.string().regex(/^header:[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, { error: 'expected "ip", "consumer" or "header:<name>"' })]),
        }),
      ])
      .optional(),
    /**
     * Testers pin a request to a version by the header `x-gatehouse-version: v2`. It reaches only a
     * version the policy publishes (stable, or a canary with weight), never a failed or drained one.
     * Default true; false turns it off.
     */
    overrides: z.boolean().default(true),
    /**
     * `{version}--{host}` (Knative's tag URLs: `v2--app.example.com`) reaches that version of the
     * pool the route for `{host}` sends to; the upstream sees `{host}`. Published versions only, like
     * the header. Needs the tag hosts to resolve to the gateway (a wildcard DNS record). Default false.
     */
    tagHost: z.boolean().default(false),
    /**
     * Shadow traffic: a copy of this share of the stable version's requests goes to the new
     * version before it takes any (a canary's first step, a blue-green switch wait until the
     * copies' analysis passed for an `interval`). Copies are fire-and-forget, sent once the
     * original ended, with the marker header and Host `<host>-shadow` (Istio's convention); their
     * answers are discarded and their outcomes feed the analysis. Requests with a body are not
     * copied. Default none.
     */
    mirror: z
      .strictObject({
        /** Share of the stable version's requests copied, in percent; never more (a counter, not a coin). */
        percent: z.number().min(0).max(100),
        /** A copy that has not answered by then counts as an error. Default "5s". */
        timeout: duration().default(5_000),
        /** Copies in flight at most; more are skipped (a hanging target holds no more than this). Default 100. */
        maxInflight: z.number().int().min(1).max(100_000).default(100),
        /** The header that marks a copy. Default "x-gatehouse-mirror". */
        header: z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/).default('x-gatehouse-mirror'),
      })
      .optional(),
    /** After blue-green moved traffic, how long the old version may take it back (admin API `abort`). Default "10m". */
    keepWarm: duration().default(600_000),
  })

export type ReleaseInput = z.input<typeof releaseSchema>
export type ReleaseConfig = z.output<typeof releaseSchema>
