/** The connection options every etcd-backed plugin takes (discovery, the ACME store, coordination), checked the same way. */
import { z } from 'zod'

const endpoint = z.string().refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol) && !!new URL(s).port, {
  error: 'expected an etcd client URL like "http://127.0.0.1:2379"',
})

/** etcd client URLs, default ["http://127.0.0.1:2379"]. */
export const etcdEndpoints = z.array(endpoint).min(1).default(['http://127.0.0.1:2379'])

/** etcd user and password, when auth is on. */
export const etcdAuth = z.strictObject({ username: z.string().min(1), password: z.string() }).optional()
