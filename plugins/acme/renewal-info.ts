/**
 * ACME Renewal Information (ARI, RFC 9773): a CA that lists `renewalInfo` in its directory says
 * when to renew each certificate (a window; earlier when it plans to revoke). The certificate's
 * id is base64url(authority key id) "." base64url(serial, DER value bytes). Where the CA offers
 * no ARI (or it fails), renewal stays at two thirds of the certificate's life.
 */
import acmeClient from 'acme-client'
import { X509Certificate } from 'node:crypto'

/** The ARI id of a PEM certificate (the leaf of a chain); undefined without an authority key id. */
export function ariCertId(certPem: string): string | undefined {
  const cert = new X509Certificate(certPem)
  const aki = authorityKeyId(new Uint8Array(cert.raw))
  if (!aki) return undefined
  let hex = cert.serialNumber.replace(/[^0-9a-f]/gi, '')
  if (hex.length % 2) hex = `0${hex}`
  let serial = Uint8Array.from(hex.match(/../g)!.map((b) => parseInt(b, 16)))
  if (serial[0]! & 0x80) serial = Uint8Array.from([0, ...serial]) // DER INTEGER: positive
  return `${b64url(aki)}.${b64url(serial)}`
}

/** When the CA suggests renewing `certPem` (a uniform random time in its window), or undefined. */
export async function suggestedRenewal(directory: string, certPem: string, random = Math.random): Promise<number | undefined> {
  const dir = await acmeClient.axios.get(directory, { validateStatus: null })
  const base = (dir.data as { renewalInfo?: unknown })?.renewalInfo
  const id = typeof base === 'string' ? ariCertId(certPem) : undefined
  if (!id) return undefined
  const res = await acmeClient.axios.get(`${String(base).replace(/\/$/, '')}/${id}`, { validateStatus: null })
  const window = (res.data as { suggestedWindow?: { start?: string; end?: string } })?.suggestedWindow
  const start = Date.parse(window?.start ?? '')
  const end = Date.parse(window?.end ?? '')
  if (res.status !== 200 || Number.isNaN(start) || Number.isNaN(end) || end < start) return undefined
  return start + random() * (end - start)
}

const AKI_OID = [0x06, 0x03, 0x55, 0x1d, 0x23] // 2.5.29.35

/** keyIdentifier of the authorityKeyIdentifier extension, found by its OID in the certificate's DER. */
function authorityKeyId(der: Uint8Array): Uint8Array | undefined {
  let at = der.findIndex((_, i) => AKI_OID.every((b, j) => der[i + j] === b))
  if (at < 0) return undefined
  at += AKI_OID.length
  if (der[at] === 0x01) at += 3 // critical: BOOLEAN
  if (der[at] !== 0x04) return undefined // extnValue OCTET STRING
  at = skipHeader(der, at)
  if (der[at] !== 0x30) return undefined // AuthorityKeyIdentifier SEQUENCE
  at = skipHeader(der, at)
  if (der[at] !== 0x80) return undefined // [0] keyIdentifier
  const length = der[at + 1]!
  return length < 0x80 ? der.slice(at + 2, at + 2 + length) : undefined
}

function skipHeader(der: Uint8Array, at: number): number {
  const first = der[at + 1]!
  return at + 2 + (first < 0x80 ? 0 : first & 0x7f)
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')
