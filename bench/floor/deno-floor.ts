// The yardstick on Deno, NOT the gateway: bare `Deno.serve` + the project's own HTTP/1.1 client
// (core/runtime/http1, as gatehouse-deno forwards), issue #16's "bare path" on Deno. Round robin,
// keep-alive pools, a small complete body answered as bytes and anything else streamed — the
// transport's two shapes — with no routing, header rules, retries, timers or metrics. 502 on error.
// Env: BENCH_PORT, BENCH_UPSTREAMS (comma-separated URLs), as the gateway configs get them.
import { Exchange } from '../../core/runtime/http1/client.ts'
import { Pool } from '../../core/runtime/http1/pool.ts'
import { denoConnector } from '../../core/runtime/deno/socket.ts'
import { concat } from '../../core/runtime/web/bytes.ts'

const port = Number(Deno.env.get('BENCH_PORT') ?? 18016)
const origins = (Deno.env.get('BENCH_UPSTREAMS') ?? 'http://127.0.0.1:18001,http://127.0.0.1:18002').split(',')
const pools = origins.map((o) => new Pool(denoConnector(new URL(o))))
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'host'])
const timeouts = { connect: 5_000, firstByte: 60_000, idle: 60_000 }
let next = 0

// exit cleanly on SIGTERM: --cpu-prof writes its profile on exit
Deno.addSignalListener("SIGTERM", () => Deno.exit(0))

Deno.serve({ port, hostname: '127.0.0.1', onListen: () => console.log(JSON.stringify({ level: 'info', msg: `deno-floor listening on 127.0.0.1:${port}` })) }, async (req) => {
  const pool = pools[next++ % pools.length]!
  const url = new URL(req.url)
  const headers: string[] = ['host', url.host]
  for (const [k, v] of req.headers) if (!HOP.has(k)) headers.push(k, v)
  const ex = new Exchange(pool, { method: req.method, path: url.pathname + url.search, headers, hasBody: false, timeouts })
  try {
    const head = await ex.start()
    const out = new Headers()
    for (let i = 0; i < head.headers.length; i += 2) if (!HOP.has(head.headers[i]!.toLowerCase())) out.append(head.headers[i]!, head.headers[i + 1]!)
    if (ex.complete) return new Response(concat((await ex.read()) ?? []) as Uint8Array<ArrayBuffer>, { status: head.status, headers: out })
    const body = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        const parts = await ex.read()
        if (!parts) return ctrl.close()
        for (const p of parts) ctrl.enqueue(p)
      },
      cancel: () => ex.abort('error', 'client closed the connection'),
    })
    return new Response(body, { status: head.status, headers: out })
  } catch {
    return new Response('bad gateway\n', { status: 502 })
  }
})
