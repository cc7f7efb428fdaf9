/** Health probes on Bun: fetch, which in Bun may set a Host header; a fresh connection per probe. */
import type { HealthCheckRequest } from '../../types.ts'

export const bunHealthCheck: HealthCheckRequest = async (url, { method, headers, timeoutMs, maxBodyBytes }) => {
  const res = await fetch(url, {
    method,
    headers: { ...headers, connection: 'close' }, // a check must see a fresh connect, as a new client would
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
    keepalive: false,
    decompress: false,
  } as RequestInit)
  let body = ''
  const reader = res.body?.getReader()
  const text = new TextDecoder()
  while (reader && body.length < maxBodyBytes) {
    const { done, value } = await reader.read()
    if (done) break
    body += text.decode(value, { stream: true })
  }
  void reader?.cancel().catch(() => {})
  return { status: res.status, body: body.slice(0, maxBodyBytes) }
}
