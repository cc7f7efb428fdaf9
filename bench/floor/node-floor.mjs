// The yardstick, NOT the gateway: the fastest bare Node forwarding path we know, so the table can
// say how far gatehouse-node is from what Node itself allows. Plain node:http server, one undici
// Pool per upstream (keep-alive), round robin, Pool.dispatch() with a raw handler: the upstream
// head is written as-is (minus hop-by-hop headers), the body with write()/drain back-pressure.
// No routing, no header rules, no retries, no timeouts. 502 on any upstream error.
// Env: BENCH_PORT, BENCH_UPSTREAMS (comma-separated URLs), as the gateway configs get them.
import http from 'node:http'
import { Pool } from 'undici' // resolved from the repo's node_modules

const port = Number(process.env.BENCH_PORT ?? 18012)
const origins = (process.env.BENCH_UPSTREAMS ?? 'http://127.0.0.1:18001,http://127.0.0.1:18002').split(',')
const pools = origins.map((o) => new Pool(o, { keepAliveTimeout: 30_000, pipelining: 1 }))
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection'])
let next = 0

const strip = (raw) => { // flat [name, value, ...] without hop-by-hop names; Buffers -> latin1 strings
  const out = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toString('latin1')
    if (!HOP.has(name.toLowerCase())) out.push(name, raw[i + 1].toString('latin1'))
  }
  return out
}

http.createServer((req, res) => {
  const pool = pools[next++ % pools.length]
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined
  pool.dispatch({ path: req.url, method: req.method, headers: strip(req.rawHeaders), body: hasBody ? req : null }, {
    onConnect() {},
    onHeaders(status, raw, resume) {
      res.writeHead(status, strip(raw))
      res.on('drain', resume)
      return true
    },
    onData(chunk) { return res.write(chunk) }, // false pauses undici until 'drain' resumes it
    onComplete() { res.end() },
    onError() {
      if (res.headersSent) res.destroy()
      else { res.writeHead(502, { 'content-type': 'text/plain' }); res.end('bad gateway\n') }
    },
  })
}).listen(port, '127.0.0.1', () => console.log(JSON.stringify({ level: 'info', msg: `node-floor listening on 127.0.0.1:${port} -> ${origins.length} upstream(s)` })))
process.on('SIGTERM', () => process.exit(0)) // exit cleanly: --cpu-prof writes its profile on exit
