/** Health probes on Node: undici's request, which (unlike fetch) may set a Host header. */
import { request } from 'undici'
import type { HealthCheckRequest } from '../../types.ts'

export const nodeHealthCheck: HealthCheckRequest = async (url, { method, headers, timeoutMs, maxBodyBytes }) => {
  const res = await request(url, {
    method: method as 'GET',
    headers,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    signal: AbortSignal.timeout(timeoutMs),
    reset: true, // one connection per probe: a check must see a fresh connect, as a new client would
  })
  let body = ''
  for await (const chunk of res.body) {
    if (body.length < maxBodyBytes) body += (chunk as Buffer).toString('utf8')
  }
  return { status: res.statusCode, body: body.slice(0, maxBodyBytes) }
}
