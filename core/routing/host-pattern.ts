/**
 * Host rules: `api.example.com` (exact) or `*.example.com` (exactly one more label, as in TLS
 * wildcard certificates). Case-insensitive; a port in the request's Host is ignored.
 */
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?'
const HOST_RE = new RegExp(`^(?:\\*\\.)?(?:${LABEL}\\.)*${LABEL}$|^\\[[0-9a-f:.]+\\]$`)

export function isHostPattern(pattern: string): boolean {
  return HOST_RE.test(pattern.toLowerCase())
}

/** `Example.COM:8080` → `example.com`; `[::1]:80` → `[::1]`. Trailing dot dropped. */
export function normalizeHost(host: string | undefined): string {
  if (!host) return ''
  let h = host.toLowerCase()
  if (h.startsWith('[')) {
    const end = h.indexOf(']')
    return end === -1 ? h : h.slice(0, end + 1)
  }
  const colon = h.indexOf(':')
  if (colon !== -1) h = h.slice(0, colon)
  return h.endsWith('.') ? h.slice(0, -1) : h
}

/** For `a.example.com` the wildcard key `.example.com` (the suffix a `*.example.com` rule stores). */
export function wildcardKey(host: string): string | undefined {
  const dot = host.indexOf('.')
  return dot > 0 ? host.slice(dot) : undefined
}
