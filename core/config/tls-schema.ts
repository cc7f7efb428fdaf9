/**
 * `listen.tls`: serve HTTPS. Certificates come from a certificate source (a plugin; the array
 * form is shorthand for `certificateFiles([...])`), are chosen by SNI and swapped live when they
 * change. Optional: a plain-HTTP listener that redirects to HTTPS, and HSTS.
 *
 * @example
 * listen: { port: 443, tls: {
 *   certificates: [{ cert: './certs/a.pem', key: './certs/a.key' }, { cert: './certs/b.pem', key: './certs/b.key' }],
 *   redirectHttp: { port: 80 },
 *   hsts: { maxAge: '180d', includeSubDomains: true },
 * } }
 */
import { z } from 'zod'
import type { CertificateSource } from '../tls/certificate-source.ts'
import { certificateFileSchema, watchedFiles } from '../tls/certificate-files.ts'
import { slotProblems } from '../plugin/slot-problems.ts'

const SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 }
const AGE = /^(\d+)\s*(s|m|h|d)$/
const YEAR_S = 365 * 86_400

const certificateList = z.array(certificateFileSchema).min(1, { error: 'expected at least one { cert, key }' })

/** A list is the `[{ cert, key }]` shorthand (its files are read and checked); anything else must be a certificate source. */
const certificates = z
  .custom<CertificateSource | z.input<typeof certificateFileSchema>[]>(() => true)
  .superRefine((v, ctx) => {
    if (!Array.isArray(v)) return void slotProblems('certificates', v).forEach((i) => ctx.addIssue({ code: 'custom', path: i.path, message: i.message }))
    const parsed = certificateList.safeParse(v)
    if (!parsed.success) for (const i of parsed.error.issues) ctx.addIssue(i as never) // as they are: a typo'd field keeps its "did you mean"
  })
  .transform((c): CertificateSource => (Array.isArray(c) ? watchedFiles(c) : c))

const maxAge = z
  .string({ error: 'expected an age like "180d" (s, m, h, d)' })
  .refine((s) => AGE.test(s.trim()), { error: 'expected an age like "180d" (s, m, h, d)' })
  .transform((s) => {
    const m = AGE.exec(s.trim())!
    return Number(m[1]) * SECONDS[m[2]!]!
  })

const hstsSchema = z.preprocess(
  (v) => (v === true ? {} : v),
  z
    .strictObject({
      /** How long browsers remember to use HTTPS only. Default "180d"; "0s" tells them to forget. */
      maxAge: maxAge.default(180 * 86_400),
      /** Also every subdomain. Default false. */
      includeSubDomains: z.boolean().default(false),
      /** Ask to be preloaded into browsers (hstspreload.org: needs maxAge ≥ 365d and includeSubDomains). Default false. */
      preload: z.boolean().default(false),
    })
    .superRefine((h, ctx) => {
      if (h.preload && (h.maxAge < YEAR_S || !h.includeSubDomains)) {
        ctx.addIssue({ code: 'custom', path: ['preload'], message: 'preload needs maxAge of at least "365d" and includeSubDomains: true', input: h })
      }
    }),
)

const port = z.number().int().min(0).max(65535)

const redirectSchema = z.preprocess(
  (v) => (v === true ? {} : v),
  z.strictObject({
    /** Port of the plain-HTTP listener (same host as listen.host). Default 80. */
    port: port.default(80),
    /** Port put in the redirect's Location, when clients reach HTTPS on another port than listen.port (a container port mapping). Default: listen.port. */
    httpsPort: port.optional(),
  }),
)

export const tlsSchema = z.strictObject({
  /** [{ cert, key, hosts? }] PEM files (watched, reloaded on change), or a certificate source. The first is the default certificate. */
  certificates,
  /** An extra plain-HTTP listener answering 308 to https:// (except healthPath and ACME HTTP-01 challenges). Default none. */
  redirectHttp: redirectSchema
    .optional(),
  /** Strict-Transport-Security on every HTTPS response that has none, e.g. { maxAge: "180d" } or true. Default none. */
  hsts: hstsSchema.optional(),
})

export type TlsConfig = z.output<typeof tlsSchema>

/** The Strict-Transport-Security header value for a validated `hsts`. */
export function hstsHeader(h: NonNullable<TlsConfig['hsts']>): string {
  return `max-age=${h.maxAge}${h.includeSubDomains ? '; includeSubDomains' : ''}${h.preload ? '; preload' : ''}`
}
