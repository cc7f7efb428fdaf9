/**
 * The jwt plugin's refusals (RFC 6750 §3): a short plain body and a `WWW-Authenticate: Bearer`
 * challenge saying why in a few words. Nothing from the token or the keys is echoed back.
 * Answered with `c.text()`, so headers earlier middleware set (CORS) are kept.
 */
import type { GatewayContext, Logger } from '../../core/types.ts'
import { JwksUnavailable } from './jwks-cache.ts'

/** 401 (no error code when the token is missing, per RFC 6750) or 403 with the reason. */
export function challenge(
  c: GatewayContext,
  status: 401 | 403,
  realm: string,
  error: 'invalid_token' | 'insufficient_scope' | undefined,
  description: string,
): Response {
  let value = `Bearer realm="${realm}"`
  if (error) value += `, error="${error}", error_description="${description.replace(/["\\]/g, "'")}"`
  return c.text(`gatehouse: jwt: ${description}\n`, status, { 'www-authenticate': value })
}

const REASONS: Record<string, string> = {
  ERR_JWT_EXPIRED: 'token expired',
  ERR_JOSE_ALG_NOT_ALLOWED: 'token algorithm not allowed',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature invalid',
  ERR_JWKS_NO_MATCHING_KEY: 'no signing key matches the token',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'several signing keys match the token',
  ERR_JWS_INVALID: 'malformed token',
  ERR_JWT_INVALID: 'malformed token',
  ERR_JOSE_NOT_SUPPORTED: 'token algorithm not supported',
}

const CLAIM_REASONS: Record<string, string> = {
  nbf: 'token not yet valid',
  iss: 'unexpected issuer',
  aud: 'unexpected audience',
  iat: 'token too old',
}

/** Maps a jose (or JWKS) failure to its answer. */
export function authError(c: GatewayContext, err: unknown, realm: string, log: Logger): Response {
  if (err instanceof JwksUnavailable) return c.text('gatehouse: jwt: signing keys unavailable\n', 503, { 'retry-after': '5' })
  const e = err as { code?: string; claim?: string; reason?: string }
  let reason = REASONS[e.code ?? '']
  if (e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    reason = e.reason === 'missing' ? `missing claim "${e.claim}"` : (CLAIM_REASONS[e.claim ?? ''] ?? `claim "${e.claim}" invalid`)
  }
  // Key import failures and anything unexpected: still a refusal, never a pass.
  if (!reason && !e.code?.startsWith('ERR_J')) log.error(`jwt: cannot verify a token: ${String((err as Error)?.message ?? err)}`)
  return challenge(c, 401, realm, 'invalid_token', reason ?? 'token rejected')
}
