/**
 * The certificate served before any is issued, and to clients naming a host that has none (no
 * SNI, an unknown name, a host still pending): self-signed, CN "gatehouse", no names, so no
 * client mistakes it for a real one, and the listener can start (and answer challenges) before
 * the first order completes. Made per process with node:crypto (Node, Bun and Deno all have it);
 * the DER is written out by hand because it is this one fixed shape.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'

export function fallbackCertificate(now = new Date()): { cert: string; key: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const algorithm = seq(oid('1.2.840.10045.4.3.2')) // ecdsa-with-SHA256
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, new TextEncoder().encode('gatehouse')))))
  const serial = randomBytes(8)
  serial[0]! &= 0x7f // a positive INTEGER
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Uint8Array.of(2))), // version 3
    tlv(0x02, serial),
    algorithm,
    name,
    seq(utcTime(new Date(now.getTime() - 3_600_000)), utcTime(new Date(now.getTime() + 365 * 86_400_000))),
    name,
    new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
  )
  const signature = sign('sha256', tbs, privateKey)
  const der = seq(tbs, algorithm, tlv(0x03, concat([Uint8Array.of(0), signature])))
  return { cert: pem('CERTIFICATE', der), key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }
}

function tlv(tag: number, body: Uint8Array): Uint8Array {
  const n = body.length
  const length = n < 128 ? Uint8Array.of(n) : n < 256 ? Uint8Array.of(0x81, n) : Uint8Array.of(0x82, n >> 8, n & 0xff)
  return concat([Uint8Array.of(tag), length, body])
}

const seq = (...parts: Uint8Array[]) => tlv(0x30, concat(parts))
const set = (...parts: Uint8Array[]) => tlv(0x31, concat(parts))

function oid(dotted: string): Uint8Array {
  const [a, b, ...rest] = dotted.split('.').map(Number)
  const bytes = [40 * a! + b!]
  for (const n of rest) {
    const groups = [n & 0x7f]
    for (let v = n >> 7; v > 0; v >>= 7) groups.unshift((v & 0x7f) | 0x80)
    bytes.push(...groups)
  }
  return tlv(0x06, Uint8Array.from(bytes))
}

function utcTime(d: Date): Uint8Array {
  const iso = d.toISOString() // YYYY-MM-DDTHH:MM:SS.sssZ → YYMMDDHHMMSSZ
  return tlv(0x17, new TextEncoder().encode(`${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`))
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) out.set(p, (at += p.length) - p.length)
  return out
}

function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').trimEnd()
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`
}
