// The yardstick on Bun, NOT the gateway: a bare Hono-on-Bun `fetch` proxy (issue #16's "bare
// path"), so the table can say how far gatehouse-bun is from what Bun itself allows. One Hono
// catch-all route, round robin over the upstreams, Bun's fetch() with keep-alive, the response
// passed through as fetch returns it. No header rules, no retries, no timeouts. 502 on error.
// Env: BENCH_PORT, BENCH_UPSTREAMS (comma-separated URLs), as the gateway configs get them.
import { Hono } from 'hono'

const port = Number(process.env.BENCH_PORT ?? 18015)
const origins = (process.env.BENCH_UPSTREAMS ?? 'http://127.0.0.1:18001,http://127.0.0.1:18002').split(',')
let next = 0

const app = new Hono()
app.all('*', async (c) => {
  const origin = origins[next++ % origins.length]
  const url = new URL(c.req.url)
  try {
    const body = c.req.method === 'GET' || c.req.method === 'HEAD' ? undefined : c.req.raw.body
    return await fetch(origin + url.pathname + url.search, { method: c.req.method, headers: c.req.raw.headers, body, redirect: 'manual' })
  } catch {
    return c.text('bad gateway\n', 502)
  }
})

Bun.serve({ port, hostname: '127.0.0.1', fetch: app.fetch })
console.log(JSON.stringify({ level: 'info', msg: `bun-floor listening on 127.0.0.1:${port} -> ${origins.length} upstream(s)` }))
process.on('SIGTERM', () => process.exit(0)) // exit cleanly: --cpu-prof writes its profile on exit
