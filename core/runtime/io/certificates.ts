/**
 * Reading certificates: what a PEM certificate says (its DNS names, expiry, serial) and whether a
 * private key belongs to it. Node, Bun and Deno all provide `node:crypto`'s X509Certificate and
 * `node:fs`, so this works on all three; a runtime without them swaps this one file.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'

export interface CertificateFacts {
  /** DNS names of the leaf (subjectAltName; the subject CN when there is none), lower case. */
  names: string[]
  subject: string
  serial: string
  /** SHA-256 fingerprint, `AB:CD:…`. */
  fingerprint: string
  notAfter: Date
}

export type PairCheck = { ok: true; facts: CertificateFacts } | { ok: false; field: 'cert' | 'key'; message: string }

/** Parses a PEM chain (leaf first) and checks that `keyPem` is the leaf's private key. */
export function inspectKeyPair(certPem: string, keyPem: string): PairCheck {
  if (!/-----BEGIN CERTIFICATE-----/.test(certPem)) return { ok: false, field: 'cert', message: 'no PEM certificate in it ("-----BEGIN CERTIFICATE-----")' }
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certPem)
  } catch (err) {
    return { ok: false, field: 'cert', message: `not a valid PEM certificate (${(err as Error).message})` }
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyPem)) return { ok: false, field: 'key', message: 'no PEM private key in it ("-----BEGIN … PRIVATE KEY-----")' }
  let key
  try {
    key = createPrivateKey(keyPem)
  } catch (err) {
    return { ok: false, field: 'key', message: `not a valid PEM private key (${(err as Error).message})` }
  }
  if (!cert.checkPrivateKey(key)) return { ok: false, field: 'key', message: `not the private key of the certificate (${cert.subject.replace(/\n/g, ', ')})` }
  return {
    ok: true,
    facts: {
      names: dnsNames(cert),
      subject: cert.subject.replace(/\n/g, ', '),
      serial: cert.serialNumber,
      fingerprint: cert.fingerprint256,
      notAfter: new Date(cert.validTo),
    },
  }
}

function dnsNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName
  if (san) {
    const names = [...san.matchAll(/DNS:"?([^,"]+)"?/g)].map((m) => m[1]!.trim().toLowerCase())
    if (names.length) return names
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1]
  return cn ? [cn.trim().toLowerCase()] : []
}

/** Does a certificate naming `names` cover `host` (exact, or a `*.` name one label up)? A `*.x` host needs a `*.x` name. */
export function certificateCovers(names: readonly string[], host: string): boolean {
  const h = host.toLowerCase()
  return names.some((n) => n === h || (n.startsWith('*.') && !h.startsWith('*.') && h.indexOf('.') > 0 && h.slice(h.indexOf('.')) === n.slice(1)))
}

/** A file's text, or why it cannot be read (for `gatehouse check`, which is synchronous). */
export function readTextSync(path: string): { ok: true; text: string } | { ok: false; message: string } {
  try {
    return { ok: true, text: readFileSync(path, 'utf8') }
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why =
      e.code === 'ENOENT' ? 'no such file'
      : e.name === 'NotCapable' ? 'Deno was not allowed to read it: add its directory to --allow-read'
      : e.code === 'EACCES' ? 'permission denied'
      : (e.code ?? e.message)
    return { ok: false, message: `cannot read "${path}" (${why})` }
  }
}
