/**
 * A pool's `scale`: sleep when idle, wake on the first request, scale with load (core/scale/).
 * The same settings may come from the pool's replicas as labels (`gatehouse.scale.min=0`), read by
 * `scaleFromLabels` and checked by this schema, so a deploy needs no edit of gateway.config.ts.
 */
import { z } from 'zod'
import { duration, parseDuration } from './duration.ts'
import { formatIssues } from './errors.ts'

const pathPattern = z.string().regex(/^\/\S*$/, { error: 'expected a path starting with "/" ("*" at the end matches any rest)' })

export const scaleSchema = z
  .strictObject({
    /** Replicas kept running at least. 0 lets the pool sleep when idle. Default 0. */
    min: z.number().int({ error: 'expected a whole number' }).min(0).max(1000).default(0),
    /** Replicas at most when scaling with load. Default: `min`, at least 1 (no scaling out unless `target` and `max` say so). */
    max: z.number().int({ error: 'expected a whole number' }).min(1).max(1000).optional(),
    /**
     * No request and no open connection for this long: stop the replicas above `min` ("5m"), or
     * pause them first and stop them later (`{ pause: '1m', stop: '15m' }`). Default "5m".
     */
    idle: z
      .union([duration(), z.strictObject({ pause: duration().optional(), stop: duration() })])
      .default(300_000)
      .transform((i) => (typeof i === 'number' ? { pause: undefined, stop: i } : i))
      .refine((i) => i.pause === undefined || i.pause < i.stop, { error: 'idle.pause must come before idle.stop' }),
    /** The first request to an asleep pool wakes it and waits. */
    wake: z
      .strictObject({
        /** How long requests wait for a replica to be ready; then 503 with Retry-After. Default 30s. */
        timeout: duration().default(30_000),
        /** Requests waiting at most per pool; more get 503 at once. Default 1000. */
        queue: z.number().int().min(1).max(100_000).default(1000),
        /**
         * Requests each ready replica takes at once from the wake queue; the rest follow, in arrival
         * order, as those finish — a just-started app is not hit by the whole queue at once (as
         * Knative's activator throttles). Default 8.
         */
        burst: z.number().int().min(1).max(10_000).default(8),
        /** Browsers (GET, Accept: text/html) get a waiting page that continues to the app once it answers. Default false: every request simply waits. */
        page: z.boolean().default(false),
        /** Paths that never wake the pool (answered 503 while it sleeps): probes and health checkers. Default ["/health*", "/ready*", "/favicon.ico"]. */
        ignore: z.array(pathPattern).default(['/health*', '/ready*', '/favicon.ico']),
      })
      .prefault({}),
    /** Scale out when the average in-flight requests per ready replica stay above this for `window`; in when well below for `idle`. Default none. */
    target: z.strictObject({ inflight: z.number().positive().max(100_000) }).optional(),
    /** How long load must stay above `target` before scaling out. Default 10s. */
    window: duration().default(10_000),
    /** Plain Docker: create replicas beyond the stopped ones, from the pool's newest container (removed again on scale-in). Default false. */
    clone: z.boolean().default(false),
  })
  .refine((s) => s.max === undefined || s.max >= s.min, { error: 'max must be at least min', path: ['max'] })

export type ScaleInput = z.input<typeof scaleSchema>
export type ScaleConfig = z.output<typeof scaleSchema>

/** `gatehouse.scale.*` label keys (after the prefix) and how each becomes a schema field. */
const LABEL_FIELDS: Record<string, (v: string, out: Record<string, any>) => void> = {
  min: (v, o) => (o.min = num(v)),
  max: (v, o) => (o.max = num(v)),
  idle: (v, o) => (o.idle = dur(v)),
  'idle.pause': (v, o) => (o.idle = { ...(typeof o.idle === 'object' ? o.idle : {}), pause: dur(v) }),
  'idle.stop': (v, o) => (o.idle = { ...(typeof o.idle === 'object' ? o.idle : {}), stop: dur(v) }),
  'wake.timeout': (v, o) => ((o.wake ??= {}).timeout = dur(v)),
  'wake.queue': (v, o) => ((o.wake ??= {}).queue = num(v)),
  'wake.burst': (v, o) => ((o.wake ??= {}).burst = num(v)),
  'wake.page': (v, o) => ((o.wake ??= {}).page = bool(v)),
  'wake.ignore': (v, o) => ((o.wake ??= {}).ignore = v.split(',').map((p) => p.trim()).filter(Boolean)),
  target: (v, o) => (o.target = { inflight: num(v) }),
  window: (v, o) => (o.window = dur(v)),
  clone: (v, o) => (o.clone = bool(v)),
}
const num = (v: string): unknown => (/^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v)
const dur = (v: string): unknown => parseDuration(v) ?? v
const bool = (v: string): unknown => (v === 'true' ? true : v === 'false' ? false : v)

export const SCALE_LABEL_KEYS = Object.keys(LABEL_FIELDS)

/** Reads raw `gatehouse.scale.*` values (keys without the prefix); problems name the label (`<prefix>.scale.<key>`). */
export function scaleFromLabels(raw: Readonly<Record<string, string>>, prefix = 'gatehouse'): { ok: true; value: ScaleConfig } | { ok: false; problems: string[] } {
  const input: Record<string, any> = {}
  const problems: string[] = []
  for (const [key, value] of Object.entries(raw)) {
    const field = LABEL_FIELDS[key]
    if (field) field(value, input)
    else problems.push(`${prefix}.scale.${key}: unknown label (known: ${SCALE_LABEL_KEYS.join(', ')})`)
  }
  const parsed = scaleSchema.safeParse(input)
  if (!parsed.success) problems.push(...formatIssues(parsed.error.issues, [`${prefix}.scale`]).map((p) => p.replace(/^(\S+)\.(\d+)/, '$1[$2]')))
  return problems.length ? { ok: false, problems } : { ok: true, value: parsed.data! }
}
