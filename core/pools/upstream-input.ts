/** The one schema every source's upstreams pass: a URL string, or { url, weight, labels, id }. */
import { z } from 'zod'
import type { Upstream, UpstreamInput } from '../types.ts'

const httpUrl = z.string().refine(
  (s) => {
    try {
      const u = new URL(s)
      return (u.protocol === 'http:' || u.protocol === 'https:') && !!u.hostname && (u.pathname === '/' || u.pathname === '') && !u.search
    } catch {
      return false
    }
  },
  { error: 'expected an upstream URL like "http://127.0.0.1:8000" (http or https, no path or query)' },
)

export const upstreamInputSchema = z.union([
  httpUrl,
  z.strictObject({
    url: httpUrl,
    id: z.string().min(1).optional(),
    /** Relative share of traffic. Default 1. */
    weight: z.number().int().min(1).max(1000).default(1),
    labels: z.record(z.string(), z.string()).default({}),
  }),
])

export const upstreamListSchema = z.array(upstreamInputSchema)

/** Normalizes one validated input to an Upstream; the id defaults to the URL's origin. */
export function toUpstream(input: z.output<typeof upstreamInputSchema> | UpstreamInput): Upstream {
  if (typeof input === 'string') {
    const url = new URL(input)
    return { id: url.origin, url, weight: 1, labels: {} }
  }
  const url = new URL(input.url)
  return { id: input.id ?? url.origin, url, weight: input.weight ?? 1, labels: input.labels ?? {} }
}
