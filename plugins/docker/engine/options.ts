/** The options the docker and swarm plugins share: where Docker is, what to select, how to follow it. */
import { z } from 'zod'
import { duration } from '../../../core/config/duration.ts'
import { POOL_NAME } from '../../../core/config/schema.ts'

const selector = z.string().regex(/^\s*[^=\s][^=]*(=.*)?$/, { error: 'expected a label selector like "gatehouse.pool=web" or "gatehouse.enable"' })
const hostAddress = z.string().refine(
  (s) => {
    try {
      return new URL(`http://${s.includes(':') ? `[${s}]` : s}`).hostname.length > 0
    } catch {
      return false
    }
  },
  { error: 'expected an IP address or host name like "127.0.0.1"' },
)

/** Each plugin documents these fields in its own words (docker: containers; swarm: services); the checks are one. */
export const engineOptions = {
  socketPath: z.string().min(1).optional(),
  label: z
    .union([selector, z.array(selector).min(1)])
    .optional()
    .transform((l) => (l === undefined ? undefined : [l].flat())),
  network: z.string().min(1).optional(),
  hostAddress: hostAddress.default('127.0.0.1'),
  prefix: z.string().regex(POOL_NAME, { error: 'expected a label prefix like "gatehouse"' }).default('gatehouse'),
  resync: duration()
    .default(30_000)
    .refine((ms) => ms >= 100, { error: 'expected at least 100ms' }),
  reconnect: duration()
    .default(5_000)
    .refine((ms) => ms >= 10, { error: 'expected at least 10ms' }),
  timeout: duration().default(10_000),
}
