// Bodies stream both ways through the gateway: nothing is buffered whole.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { startUpstream, type Upstream } from '../support/http-upstream.ts'
import { spawnGatewayCli, startGateway, type GatewayProcess, type TestGateway } from '../support/gateway.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let up: Upstream
let gw: TestGateway
const firstChunkAt: number[] = []

before(async () => {
  up = await startUpstream(() => {}, {
    streamBody(req, res) {
      if (req.url === '/sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
        res.write('data: one\n\n')
        setTimeout(() => res.write('data: two\n\n'), 400)
        setTimeout(() => res.end('data: three\n\n'), 800)
        return
      }
      // Upload sink: counts bytes, notes when the first one arrived, echoes what it saw.
      let bytes = 0
      req.on('data', (c: Buffer) => {
        if (bytes === 0) firstChunkAt.push(Date.now())
        bytes += c.length
      })
      req.on('end', () => {
        res.setHeader('content-type', 'application/json')
        if (req.method === 'HEAD') res.setHeader('content-length', '1234')
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ bytes, expect: req.headers.expect ?? null, te: req.headers['transfer-encoding'] ?? null }))
      })
    },
  })
  gw = await startGateway({ pools: { web: { upstreams: [up.url] } }, routes: [{ pool: 'web' }] })
})
after(async () => {
  await gw.stop()
  await up.close()
})

test('server-sent events reach the client event by event', async () => {
  const arrivals: { at: number; text: string }[] = []
  await new Promise<void>((resolve, reject) => {
    request(`${gw.url}/sse`, (res) => {
      res.setEncoding('utf8')
      res.on('data', (text: string) => arrivals.push({ at: Date.now(), text }))
      res.on('end', resolve)
    }).on('error', reject).end()
  })
  assert.deepEqual(arrivals.map((a) => a.text.trim()), ['data: one', 'data: two', 'data: three'])
  assert.ok(arrivals[1]!.at - arrivals[0]!.at >= 300, 'event one was held back until event two')
})

test('a chunked upload reaches the upstream while the client is still sending', async () => {
  firstChunkAt.length = 0
  let lastSentAt = 0
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(`${gw.url}/upload`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
      let b = ''
      res.on('data', (c) => (b += c))
      res.on('end', () => resolve(b))
    })
    req.on('error', reject)
    req.write('first chunk;')
    setTimeout(() => {
      lastSentAt = Date.now()
      req.end('second chunk')
    }, 500)
  })
  assert.equal(JSON.parse(body).bytes, 'first chunk;second chunk'.length)
  assert.ok(firstChunkAt[0]! < lastSentAt - 200, 'the upload was buffered until the client finished')
})

test('Expect: 100-continue works with curl and is not forwarded', async () => {
  const file = '/tmp/gatehouse-expect-body.bin'
  writeFileSync(file, Buffer.alloc(300_000, 7))
  const { stdout } = await promisify(execFile)('curl', ['-sS', '-H', 'Expect: 100-continue', '--data-binary', `@${file}`, `${gw.url}/expect`])
  const seen = JSON.parse(stdout)
  assert.equal(seen.bytes, 300_000)
  assert.equal(seen.expect, null)
})

test('HEAD passes Content-Length without a body', async () => {
  const res = await new Promise<{ status: number; len: unknown; body: string }>((resolve, reject) => {
    request(`${gw.url}/head`, { method: 'HEAD' }, (r) => {
      let body = ''
      r.on('data', (c) => (body += c))
      r.on('end', () => resolve({ status: r.statusCode!, len: r.headers['content-length'], body }))
    }).on('error', reject).end()
  })
  assert.deepEqual(res, { status: 200, len: '1234', body: '' })
})

// Node 26 peaks at 170–190 MB here (Node 20 stayed under 150 MB with the same code: newer V8 lets more young
// garbage build up, and Node's TypeScript stripper is ~14 MB); a buffered upload would need more than 1 GB.
const UPLOAD_RSS_BOUND_MB = 230

test(`a 1 GB upload streams through a gateway process that stays under ${UPLOAD_RSS_BOUND_MB} MB RSS`, { timeout: 120_000 }, async () => {
  let gwp: GatewayProcess | undefined
  try {
    gwp = await spawnGatewayCli(
      (port) => `import { defineConfig } from 'gatehouse'
export default defineConfig({ listen: { host: '127.0.0.1', port: ${port} }, pools: { web: { upstreams: ['${up.url}'] } }, routes: [{ pool: 'web' }] })
`,
      'upload',
    )
    const total = 1024 * 1024 * 1024
    const chunk = Buffer.alloc(1024 * 1024, 1)
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${gwp!.url}/big`, { method: 'POST', headers: { 'content-length': String(total) } }, (res) => {
        let b = ''
        res.on('data', (c) => (b += c))
        res.on('end', () => resolve(b))
      })
      req.on('error', reject)
      let sent = 0
      const pump = () => {
        while (sent < total) {
          sent += chunk.length
          if (!req.write(chunk)) return void req.once('drain', pump)
        }
        req.end()
      }
      pump()
    })
    assert.equal(JSON.parse(body).bytes, total)
    const status = readFileSync(`/proc/${gwp.proc.pid}/status`, 'utf8')
    const peakMb = Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024
    console.log(`# 1 GB upload: gateway peak RSS ${peakMb.toFixed(0)} MB`)
    assert.ok(peakMb < UPLOAD_RSS_BOUND_MB, `gateway peak RSS ${peakMb.toFixed(0)} MB (bound ${UPLOAD_RSS_BOUND_MB} MB)`)
  } finally {
    await gwp?.proc.stop()
  }
})
