/**
 * The options of `acme({...})`, checked by `gatehouse check` (each problem names its field). The
 * `directoryCa` file is read here, as certificateFiles' are, so the check names a missing one.
 */
import { z } from 'zod'
import { duration } from '../../core/config/duration.ts'
import { readTextSync } from '../../core/runtime/io/certificates.ts'
import type { AcmeStore } from './store.ts'

export const LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory'

// A store made with bad options carries its factory's problems: listed here, under `store`.
const store = z
  .custom<AcmeStore>(
    (v) => typeof v === 'object' && v !== null && ['open', 'get', 'put', 'delete', 'withLock'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
    { error: 'expected an ACME store: directoryStore({ path }) or etcdStore({ endpoints }) from "gatehouse/plugins/acme"' },
  )
  .superRefine((s, ctx) => {
    for (const problem of s.problems ?? []) ctx.addIssue({ code: 'custom', message: problem, input: s })
  })

const pemFile = z.string().superRefine((path, ctx) => {
  const read = readTextSync(path)
  if (!read.ok) ctx.addIssue({ code: 'custom', message: read.message, input: path })
  else if (!read.text.includes('-----BEGIN CERTIFICATE-----')) ctx.addIssue({ code: 'custom', message: `"${path}": no PEM certificate in it`, input: path })
})

export const acmeOptionsSchema = z.strictObject({
  /** Contact address of the ACME account. Default none. */
  email: z.email({ error: 'expected an email address (the CA writes there about expiring certificates and problems)' }).optional(),
  /** The CA's ACME directory. Default Let's Encrypt (production); use its staging directory while trying things out. */
  directory: z.url({ protocol: /^https?$/, error: 'expected the URL of an ACME directory, like "https://acme-staging-v02.api.letsencrypt.org/directory"' })
    .default(LETS_ENCRYPT),
  /** PEM file of a CA to trust for the directory's own HTTPS (a private CA such as pebble). Default: the system's. */
  directoryCa: pemFile.optional(),
  /** Challenge types in order of preference. Default: those the gateway can answer, HTTP-01 first (TLS-ALPN-01 on Node only). */
  challenges: z
    .array(z.enum(['http-01', 'tls-alpn-01'], { error: 'expected "http-01" or "tls-alpn-01" (DNS-01 is not built in)' }))
    .min(1)
    .refine((list) => new Set(list).size === list.length, { error: 'each challenge type once' })
    .optional(),
  /** Where the account, certificates and keys live. Default directoryStore({ path: "./acme" }). */
  store: store.optional(),
  /** Backoff after a failed order or renewal. */
  retry: z
    .strictObject({
      /** First wait after a failed order. Default 1m. */
      min: duration().default(60_000),
      /** Longest wait (the wait doubles per failure). Default 1h. */
      max: duration().default(3_600_000),
    })
    .refine((r) => r.min <= r.max, { error: 'retry.min must not exceed retry.max', path: ['min'] })
    .prefault({}),
  /** Rate limit on orders (new and renewals), so a flood of discovered hosts cannot exhaust the CA's limits. */
  newOrders: z
    .strictObject({
      /** Orders at most per window. Default 30. */
      max: z.number().int().min(1).max(10_000).default(30),
      /** The window. Default 1h. */
      per: duration().default(3_600_000),
    })
    .prefault({}),
})

export type AcmeOptions = z.input<typeof acmeOptionsSchema>
export type AcmeSettings = z.output<typeof acmeOptionsSchema>
