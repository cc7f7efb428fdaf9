/**
 * What a reload cannot change while the listeners stay open: their address, the TLS listener's
 * shape (on or off, its certificate source, the redirect listener, HSTS), the client limits
 * they were made with, the health path their app answers, and the coordination session. A reload applies everything else and names these in the log; they take
 * effect at the next start.
 */
import type { GatewayConfig } from '../config/schema.ts'

export function restartNeeded(running: GatewayConfig, next: GatewayConfig): string[] {
  const a = running.listen
  const b = next.listen
  const fields: [string, unknown, unknown][] = [
    ['listen.port', a.port, b.port],
    ['listen.host', a.host, b.host],
    ['listen.tls', a.tls ? 'on' : 'off', b.tls ? 'on' : 'off'],
    ['healthPath', running.healthPath, next.healthPath],
    ['coordination', plugin(running.coordination), plugin(next.coordination)],
  ]
  if (a.tls && b.tls) {
    const source = (t: NonNullable<typeof a.tls>) => ({ name: t.certificates.name, options: t.certificates.options })
    fields.push(['listen.tls.certificates', source(a.tls), source(b.tls)], ['listen.tls.redirectHttp', a.tls.redirectHttp, b.tls.redirectHttp], ['listen.tls.hsts', a.tls.hsts, b.tls.hsts])
  }
  for (const key of Object.keys(next.limits) as (keyof GatewayConfig['limits'])[]) fields.push([`limits.${key}`, running.limits[key], next.limits[key]])
  return fields.filter(([, x, y]) => text(x) !== text(y)).map(([name, x, y]) => `${name} (${text(x) ?? 'none'} → ${text(y) ?? 'none'})`)
}

const plugin = (p: { name: string; options?: unknown } | undefined) => p && { name: p.name, options: p.options }

function text(v: unknown): string | undefined {
  try {
    return JSON.stringify(v)
  } catch {
    return String(v)
  }
}
