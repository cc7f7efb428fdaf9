/**
 * `wake: { page: true }`: a browser navigating to an asleep pool gets this page at once instead
 * of a tab that spins for the whole wake. The page asks the gateway (same URL, header
 * `x-gatehouse-wake: status`) to answer 204 once the pool is awake — that is, once a replica has
 * answered the gateway's readiness probe, never earlier (Sablier's page reports ready too soon,
 * sablier#120) — and then reloads: the app appears the moment it can serve, with no fixed delay.
 * Without JavaScript it refreshes itself every 5 s. Only GET navigations that accept text/html
 * get it; APIs, gRPC and WebSockets simply wait.
 */
export const WAKE_HEADER = 'x-gatehouse-wake'

/** Whether this request is a browser page load that should get the waiting page. */
export function wantsWaitingPage(method: string, header: (name: string) => string | undefined): boolean {
  if (method !== 'GET' || header(WAKE_HEADER) !== undefined || header('upgrade') !== undefined) return false
  const accept = header('accept') ?? ''
  return accept.includes('text/html') && header('sec-fetch-mode') !== 'cors'
}

/** The waiting page: 503 (it is not the app's answer; crawlers and caches must not keep it) with Retry-After. */
export function waitingPage(pool: string, retryAfter: number): Response {
  const name = pool.replace(/[^A-Za-z0-9_.-]/g, '')
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<noscript><meta http-equiv="refresh" content="5"></noscript>
<title>Starting ${name}…</title>
<style>body{font:16px system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;color:#333}p{color:#666}</style>
</head><body><main><h1 id="h">Starting ${name}…</h1><p>This page continues by itself as soon as the app is ready.</p></main>
<script>
(function poll(){
  fetch(location.href,{headers:{'${WAKE_HEADER}':'status'},cache:'no-store',credentials:'same-origin'})
    .then(function(r){ if(r.status===204){ location.reload() } else { setTimeout(poll, 1000) } })
    .catch(function(){ setTimeout(poll, 1000) })
})()
</script></body></html>
`
  return new Response(html, {
    status: 503,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'retry-after': String(retryAfter), 'x-gatehouse-error': 'waking' },
  })
}

/** The answer to the page's status request once the pool is awake. */
export function awakeAnswer(): Response {
  return new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } })
}
