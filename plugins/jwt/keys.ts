/**
 * Where the jwt plugin's verification keys come from, and which algorithms each key type may
 * verify. A key never verifies an algorithm of another family: an HMAC secret only HS*, a public
 * key only RS/PS/ES/EdDSA, so a token signed with HS256 "using the public key as the secret"
 * cannot pass (the classic algorithm-confusion attack).
 */
import { importJWK, importSPKI, importX509, type CryptoKey, type JWK, type JWTVerifyGetKey } from 'jose'
import type { Logger } from '../../core/types.ts'
import { JwksCache } from './jwks-cache.ts'

export const HMAC_ALGS = ['HS256', 'HS384', 'HS512'] as const
export const ASYMMETRIC_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const
export const ALGORITHMS = [...HMAC_ALGS, ...ASYMMETRIC_ALGS] as const
export type Algorithm = (typeof ALGORITHMS)[number]

export type KeySource =
  | { kind: 'secret'; secret: string }
  | { kind: 'publicKey'; pem: string }
  | { kind: 'jwk'; jwk: JWK }
  | { kind: 'jwks'; url: string; cacheMaxAge: number; cooldown: number; timeout: number }

export const isHmac = (alg: string) => alg.startsWith('HS')

/** The algorithms a key allows when the config names none; undefined when they must be given. */
export function defaultAlgorithms(source: KeySource): Algorithm[] | undefined {
  switch (source.kind) {
    case 'secret':
      return ['HS256']
    case 'publicKey':
      return undefined // a PEM does not say whether it is RSA or EC without parsing ASN.1
    case 'jwks':
      return ASYMMETRIC_ALGS.filter((a) => a !== 'Ed25519')
    case 'jwk': {
      const { alg, kty, crv } = source.jwk
      if (alg) return (ALGORITHMS as readonly string[]).includes(alg) ? [alg as Algorithm] : undefined
      if (kty === 'oct') return ['HS256']
      if (kty === 'RSA') return ['RS256']
      if (kty === 'OKP' && crv === 'Ed25519') return ['EdDSA']
      if (kty === 'EC') return ({ 'P-256': ['ES256'], 'P-384': ['ES384'], 'P-521': ['ES512'] } as Record<string, Algorithm[]>)[crv ?? '']
      return undefined
    }
  }
}

/** Why these algorithms cannot be used with this key, or undefined when they can. */
export function algorithmMismatch(source: KeySource, algorithms: readonly string[]): string | undefined {
  const symmetric = source.kind === 'secret' || (source.kind === 'jwk' && source.jwk.kty === 'oct')
  const wrong = algorithms.filter((a) => isHmac(a) !== symmetric)
  if (!wrong.length) return undefined
  return symmetric
    ? `${wrong.join(', ')} cannot be verified with an HMAC secret: use HS256/HS384/HS512`
    : `${wrong.join(', ')} would check an HMAC token against a public key: HS* needs \`secret\` (or an "oct" jwk)`
}

export interface Keys {
  /** jose's key lookup for a token. */
  getKey: JWTVerifyGetKey
  /** Changes whenever the keys may have (a JWKS refetch); 0 forever for a fixed key. */
  version(): number
}

const HMAC_HASH: Record<string, string> = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' }

/** The keys of the configured source; each is imported once per algorithm. */
export function keyResolver(source: KeySource, log: Logger): Keys {
  if (source.kind === 'jwks') {
    const cache = new JwksCache(source, log)
    return { getKey: (header, token) => cache.getKey(header, token), version: () => cache.version() }
  }
  const imported = new Map<string, Promise<CryptoKey | Uint8Array>>()
  const load = (alg: string): Promise<CryptoKey | Uint8Array> => {
    // A secret as a CryptoKey made once: given raw bytes, jose imports them again on every token (~2× the cost).
    if (source.kind === 'secret') return crypto.subtle.importKey('raw', new TextEncoder().encode(source.secret), { name: 'HMAC', hash: HMAC_HASH[alg]! }, false, ['verify'])
    if (source.kind === 'jwk') return importJWK(source.jwk, alg) as Promise<CryptoKey | Uint8Array>
    return source.pem.includes('CERTIFICATE') ? importX509(source.pem, alg) : importSPKI(source.pem, alg)
  }
  const getKey: JWTVerifyGetKey = (header) => {
    // jose has already checked `alg` against the allow-list before it asks for a key.
    let key = imported.get(header.alg)
    if (!key) {
      key = load(header.alg)
      imported.set(header.alg, key)
      key.catch(() => imported.delete(header.alg))
    }
    return key
  }
  return { getKey, version: () => 0 }
}
