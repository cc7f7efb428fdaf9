/**
 * JWT bearer auth: lets a request through only with a valid signed token, and tells the upstream
 * who it is from. Use it in front of APIs whose clients get tokens from an identity provider
 * (`jwksUrl`: Auth0, Keycloak, Cognito, Dex…) or from your own service (`secret` / `publicKey` /
 * `jwk`). Verification is jose's: signature with an explicit algorithm allow-list (never `none`;
 * never an HMAC token against a public key), `exp`/`nbf` with `clockTolerance`, `iss`, `aud`.
 * Then `requiredClaims` and claim rules. Missing or bad token → 401 with
 * `WWW-Authenticate: Bearer … error="invalid_token"`; a valid token failing a claim rule → 403
 * (`error="insufficient_scope"`); JWKS unreachable with no key cached → 503 (fails closed).
 * On success `c.get('consumer')` is the `sub` claim and `forwardClaims` become upstream headers
 * (a client-sent header of that name never passes; an absent claim is sent as an empty value).
 *
 * @example
 * ```ts
 * import { jwt } from 'gatehouse/plugins/jwt'
 * routes: [{ path: '/api/*', pool: 'api', use: [jwt({
 *   jwksUrl: 'https://auth.example.com/.well-known/jwks.json',
 *   issuer: 'https://auth.example.com/', audience: 'orders-api',
 *   claims: { scope: { includes: 'orders:read' } },
 *   forwardClaims: { sub: 'x-user', email: 'x-email' },
 * })] }]
 * ```
 */
import { z } from 'zod'
import { jwtVerify, type JWK } from 'jose'
import { getCookie } from 'hono/cookie'
import { duration } from '../../core/config/duration.ts'
import type { MiddlewarePlugin } from '../../core/plugin/contract.ts'
import { definePlugin } from '../../core/plugin/define.ts'
import { setUpstreamHeader } from '../../core/proxy/upstream-headers.ts'
import { claimRule, failedRule, headerValue } from './claims.ts'
import { ALGORITHMS, algorithmMismatch, defaultAlgorithms, keyResolver, type KeySource } from './keys.ts'
import { authError, challenge } from './responses.ts'
import { VerifiedTokens } from './verified-tokens.ts'

// Framing and forwarding headers are the gateway's own: a plugin setting them would duplicate them.
const RESERVED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive', 'proxy-connection', 'expect', 'forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip'])
const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'expected a header name' })
  .refine((h) => !RESERVED.has(h.toLowerCase()), { error: 'set by the gateway itself; choose another header' })
const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])
const PEM = /-----BEGIN (PUBLIC KEY|CERTIFICATE)-----/

const schema = z
  .strictObject({
    /** HMAC secret (HS256/384/512). */
    secret: z.string().min(32, { error: 'use at least 32 bytes (256 bits) of secret' }).optional(),
    publicKey: z.string().regex(PEM, { error: 'expected a PEM "PUBLIC KEY" or "CERTIFICATE" (never a private key)' }).optional(),
    jwk: z.record(z.string(), z.unknown()).refine((k) => typeof k.kty === 'string', { error: 'expected a JWK with "kty"' }).optional(),
    /** Remote JWKS (identity provider). */
    jwksUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
    jwks: z
      .strictObject({
        /** Refetch in the background after this. Default 10m. */
        cacheMaxAge: duration().default(600_000),
        /** At most one fetch per cooldown (unknown kid, stale cache). Default 30s. */
        cooldown: duration().default(30_000),
        /** JWKS fetch timeout. Default 5s. */
        timeout: duration().default(5_000),
      })
      .prefault({}),
    /** Allowed `alg` values. Default by key: HS256 (secret), the jwk's alg, all asymmetric ones (JWKS); required with publicKey. */
    algorithms: z.array(z.enum(ALGORITHMS, { error: `expected one of ${ALGORITHMS.join(', ')} ("none" is never allowed)` })).min(1).optional(),
    /** Accepted `iss` value(s). Default: not checked. */
    issuer: oneOrMany.optional(),
    /** Accepted `aud` value(s). Default: not checked. */
    audience: oneOrMany.optional(),
    /** Leeway for exp/nbf. Default 5s. */
    clockTolerance: duration().default(5_000),
    /** Reject tokens whose `iat` is older than this. */
    maxTokenAge: duration().optional(),
    /** Claims that must be present. */
    requiredClaims: z.array(z.string().min(1)).default([]),
    /** Claim rules; a failing one answers 403. */
    claims: z.record(z.string().min(1), claimRule).default({}),
    /** Also read the token from this cookie (Authorization wins). */
    cookie: z.string().min(1).optional(),
    /** Claim → upstream header. */
    forwardClaims: z.record(z.string().min(1), headerName).default({}),
    /** Realm of the WWW-Authenticate challenge. */
    realm: z.string().regex(/^[^"\\\r\n]*$/).default('gatehouse'),
    /** Reuse a token that verified for this long, within its exp (0: verify every request). Default 60s. */
    verifiedCache: duration()
      .default(60_000),
  })
  .superRefine((o, ctx) => {
    const given = (['secret', 'publicKey', 'jwk', 'jwksUrl'] as const).filter((k) => o[k] !== undefined)
    if (given.length !== 1) {
      const message = given.length ? `give only one key source (got ${given.join(', ')})` : 'give one of secret, publicKey, jwk or jwksUrl'
      ctx.addIssue({ code: 'custom', path: given.length ? [given[1]!] : [], message })
      return
    }
    if (o.jwk && typeof o.jwk.d === 'string') ctx.addIssue({ code: 'custom', path: ['jwk'], message: 'this is a private key: give its public part' })
    const source = keySource(o)
    const algorithms = o.algorithms ?? defaultAlgorithms(source)
    if (!algorithms) ctx.addIssue({ code: 'custom', path: ['algorithms'], message: `required with ${given[0]} (e.g. ['RS256'] or ['ES256'])` })
    const mismatch = algorithms && algorithmMismatch(source, algorithms)
    if (mismatch) ctx.addIssue({ code: 'custom', path: ['algorithms'], message: mismatch })
  })

export type JwtOptions = z.input<typeof schema>
type Resolved = z.output<typeof schema>

function keySource(o: Resolved): KeySource {
  if (o.secret !== undefined) return { kind: 'secret', secret: o.secret }
  if (o.publicKey !== undefined) return { kind: 'publicKey', pem: o.publicKey }
  if (o.jwk !== undefined) return { kind: 'jwk', jwk: o.jwk as JWK }
  return { kind: 'jwks', url: o.jwksUrl!, ...o.jwks }
}

/** Logs (a JWKS fetch failing, keys loaded) go to the gateway's log: `ctx.log` from setup. */
export function jwt(options: JwtOptions): MiddlewarePlugin {
  return definePlugin('middleware', 'jwt', schema, options, (o) => ({
    guards: 'jwt',
    setup({ log }) {
      const source = keySource(o)
      const keys = keyResolver(source, log)
      const verifyOptions = {
        algorithms: o.algorithms ?? defaultAlgorithms(source)!,
        issuer: o.issuer,
        audience: o.audience,
        clockTolerance: o.clockTolerance / 1000,
        maxTokenAge: o.maxTokenAge === undefined ? undefined : o.maxTokenAge / 1000,
        requiredClaims: o.requiredClaims,
      }
      const verified = new VerifiedTokens(o.verifiedCache, { clockToleranceMs: o.clockTolerance, maxTokenAgeMs: o.maxTokenAge })

      return async (c, next) => {
        const token = bearerToken(c.req.header('authorization')) ?? (o.cookie ? getCookie(c, o.cookie) : undefined)
        if (!token) return challenge(c, 401, o.realm, undefined, 'missing bearer token')
        const version = keys.version()
        let payload = verified.get(token, version)
        if (!payload) {
          try {
            ;({ payload } = await jwtVerify(token, keys.getKey, verifyOptions))
          } catch (err) {
            return authError(c, err, o.realm, log)
          }
          verified.add(token, payload, version)
        }
        const failed = failedRule(payload, o.claims)
        if (failed) return challenge(c, 403, o.realm, 'insufficient_scope', failed)
        c.set('consumer', typeof payload.sub === 'string' ? payload.sub : undefined)
        for (const [claim, header] of Object.entries(o.forwardClaims)) {
          setUpstreamHeader(c, header, payload[claim] === undefined ? '' : headerValue(payload[claim]))
        }
        await next()
      }
    },
  }))
}

/** The token of `Authorization: Bearer <token>`; undefined for any other scheme. */
function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined
  const m = /^Bearer +(\S+) *$/i.exec(header)
  return m?.[1]
}
