// HTTP/2 and gRPC through the gateway, each against direct access in the same run (bounded):
//   node --import tsx bench/http2.ts        (RUNTIMES=node,bun,deno  N=20000  CALLS=5000)
// h2load (Debian's nghttp2-client) sends N requests over 10 connections × 10 streams (h2c) to an
// h2c upstream directly, then through the gateway CLI (h2c listener, h2c upstream); a
// @grpc/grpc-js client makes CALLS unary calls, 10 at a time, to a grpc-js server directly and
// through the gateway on each runtime (Bun and Deno serve HTTP/2 on their node:http2 layers). The floor rows
// run both loads through bench/floor/node-h2-floor.mjs, a bare node:http2 proxy (not the gateway):
// what node:http2 itself allows on this path. Numbers are this machine's, with everything on the
// same cores: compare rows of one run only.
import { execFile, spawn } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import http2 from 'node:http2'
import { createServer } from 'node:http'
import * as grpc from '@grpc/grpc-js'
import { spawnGatewayUnder, type RuntimeName } from '../test/support/runtimes.ts'
import { freePort } from '../test/support/ports.ts'
import { echoClient, startGrpcUpstream, type Msg } from '../test/http2/grpc-upstream.ts'

const N = Number(process.env.N ?? 20_000)
const CALLS = Number(process.env.CALLS ?? 5_000)
const runtimes = (process.env.RUNTIMES ?? 'node,bun,deno').split(',') as RuntimeName[]

/** Async: the upstreams answer from this process's event loop. */
async function h2load(url: string, extra: string[] = []): Promise<string> {
  const { stdout: out } = await promisify(execFile)('h2load', ['-n', String(N), '-c', '10', '-m', '10', '-T', '60', ...extra, url], { encoding: 'utf8', timeout: 120_000 })
  const rps = /finished in [^,]+, ([\d.]+) req\/s/.exec(out)?.[1]
  const failed = /(\d+) failed/.exec(out)?.[1]
  const mean = /time for request:\s+\S+\s+\S+\s+(\S+)/.exec(out)?.[1]
  return `${Number(rps).toFixed(0).padStart(7)} req/s  mean ${mean?.padStart(8)}  failed ${failed}`
}

async function unaryRate(address: string): Promise<string> {
  const client = echoClient(address)
  const one = () => new Promise<void>((resolve, reject) => client.Unary({ text: 'x', count: 0, delay_ms: 0 }, (err: grpc.ServiceError | null, _m: Msg) => (err ? reject(err) : resolve())))
  for (let i = 0; i < 200; i++) await one() // warm-up
  let left = CALLS
  const started = performance.now()
  await Promise.all(Array.from({ length: 10 }, async () => {
    while (left-- > 0) await one()
  }))
  const s = (performance.now() - started) / 1000
  client.close()
  return `${(CALLS / s).toFixed(0).padStart(7)} calls/s`
}

const upstream = http2.createServer((_req, res) => res.end('hello\n'))
await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()))
const upPort = (upstream.address() as { port: number }).port
const grpcUp = await startGrpcUpstream('bench')
const h1 = createServer((_req, res) => res.end('hello\n'))
await new Promise<void>((r) => h1.listen(0, '127.0.0.1', () => r()))
const h1Port = (h1.address() as { port: number }).port

/** The bare node:http2 proxy in front of `upstream` (h2c), on a free port. */
async function floor(upstream: string): Promise<{ port: number; stop(): void }> {
  const port = await freePort()
  const child = spawn(process.execPath, [join(import.meta.dirname, 'floor/node-h2-floor.mjs')], { env: { ...process.env, BENCH_PORT: String(port), BENCH_UPSTREAMS: upstream }, stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`node-h2-floor exited (${code})`)))
  })
  return { port, stop: () => void child.kill() }
}

const rows: string[] = [`h2load -n ${N} -c 10 -m 10 (h2c); gRPC unary ×${CALLS}, 10 in flight`]
rows.push(`direct h2c upstream          ${await h2load(`http://127.0.0.1:${upPort}/`)}`)
rows.push(`direct http/1.1 upstream     ${await h2load(`http://127.0.0.1:${h1Port}/h1`, ['--h1'])}  (h2load --h1)`)
for (const [label, up, load] of [
  ['floor node:http2 h2c→h2c    ', upPort, (port: number) => h2load(`http://127.0.0.1:${port}/`)],
  ['gRPC floor node:http2       ', grpcUp.port, (port: number) => unaryRate(`127.0.0.1:${port}`)],
] as const) {
  const f = await floor(`h2c://127.0.0.1:${up}`)
  try {
    rows.push(`${label} ${await load(f.port)}`)
  } finally {
    f.stop()
  }
}
for (const runtime of runtimes) {
  const gw = await spawnGatewayUnder(runtime, (port) => `import { defineConfig } from 'gatehouse'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port}, http2: { h2c: true } },
  pools: { h2: { upstreams: ['h2c://127.0.0.1:${upPort}'] }, h1: { upstreams: ['http://127.0.0.1:${h1Port}'] }, rpc: { upstreams: ['h2c://127.0.0.1:${grpcUp.port}'] } },
  routes: [{ path: '/gatehouse.test.Echo/*', pool: 'rpc' }, { path: '/h1', pool: 'h1' }, { pool: 'h2' }],
})
`, 'bench-h2')
  try {
    rows.push(`gatehouse-${runtime.padEnd(4)} h2c→h2c      ${await h2load(`http://127.0.0.1:${gw.port}/`)}`)
    rows.push(`gatehouse-${runtime.padEnd(4)} h2c→http/1.1 ${await h2load(`http://127.0.0.1:${gw.port}/h1`)}`)
    if (runtime === runtimes[0]) rows.push(`gRPC direct                  ${await unaryRate(`127.0.0.1:${grpcUp.port}`)}`)
    // Deno.serve cannot send trailers: a gRPC call there is refused (README "HTTP/2 and gRPC").
    if (runtime !== 'deno') rows.push(`gRPC gatehouse-${runtime.padEnd(4)}          ${await unaryRate(`127.0.0.1:${gw.port}`)}`)
  } finally {
    await gw.stop()
  }
}
console.log(rows.join('\n'))
upstream.close()
h1.close()
await grpcUp.close()
