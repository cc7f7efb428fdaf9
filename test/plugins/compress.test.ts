/**
 * compress() through the real CLI on Node, Bun and Deno: the encoding the client ranks highest
 * (q-values) among those the runtime has, the original bytes after decoding (also for `curl
 * --compressed`), `Vary: Accept-Encoding`, no Content-Length; nothing done to already-encoded,
 * small, binary, event-stream, no-transform and HEAD responses; on Node an opted-in event stream
 * arrives event by event. Then Chromium (headless) loads a compressed page. Negotiation table first.
 */
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { brotliDecompressSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib'
import * as zlib from 'node:zlib'
import { mkdtempSync, rmSync } from 'node:fs'
import { chromium } from 'playwright-core'
import { negotiate } from '../../plugins/compress/negotiate.ts'
import { startUpstream, type Upstream } from '../support/http-upstream.ts'
import { requireBinary, run } from '../support/process.ts'
import { RUNTIMES, spawnGatewayUnder, type RuntimeGateway } from '../support/runtimes.ts'

const PAGE = Buffer.from('<!doctype html><title>compressed</title><p>' + 'gatehouse compresses text '.repeat(2000) + '</p>')
const GZIPPED = gzipSync(Buffer.from('already compressed '.repeat(200)))
const PNG = Buffer.alloc(5000, 7)
const ENCODINGS: Record<string, (b: Buffer) => Buffer> = {
  gzip: gunzipSync,
  deflate: inflateSync,
  br: brotliDecompressSync,
  zstd: (b) => (zlib as unknown as { zstdDecompressSync: (b: Buffer) => Buffer }).zstdDecompressSync(b),
}

describe('negotiate: Accept-Encoding with q-values', () => {
  const offered = ['zstd', 'br', 'gzip', 'deflate'] as const
  const cases: [string | undefined, string | undefined][] = [
    ['gzip', 'gzip'],
    ['gzip, deflate, br, zstd', 'zstd'], // equal q: the server's order
    ['gzip;q=1.0, br;q=0.5', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['*', 'zstd'],
    ['*;q=0.1, gzip;q=0', 'zstd'],
    ['x-gzip', 'gzip'],
    ['identity', undefined],
    ['gzip;q=0', undefined],
    ['', undefined],
    [undefined, undefined],
  ]
  for (const [header, want] of cases) it(`${JSON.stringify(header)} → ${want}`, () => assert.equal(negotiate(header, offered), want))
  it('only what is offered (a runtime without zstd)', () => assert.equal(negotiate('zstd, gzip;q=0.5', ['br', 'gzip']), 'gzip'))
})

interface Raw { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

/** GET without any decoding (fetch would decompress). */
function rawGet(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    request(url, { headers, method }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }))
      res.on('error', reject)
    }).on('error', reject).end()
  })
}

let upstream: Upstream
let releaseSecondEvent: () => void = () => {}
before(async () => {
  upstream = await startUpstream((req, res) => {
    const url = req.url!
    if (url === '/page') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': PAGE.length, etag: '"v1"', 'accept-ranges': 'bytes' }).end(PAGE)
    if (url === '/chunked') {
      res.writeHead(200, { 'content-type': 'application/json' })
      let i = 0
      const more = () => (i++ < 20 ? res.write(JSON.stringify({ i, text: 'x'.repeat(5000) }) + '\n', () => setTimeout(more, 5)) : res.end())
      return more()
    }
    if (url === '/small') return void res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 11 }).end('small reply')
    if (url === '/png') return void res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length }).end(PNG)
    if (url === '/gzipped') return void res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': GZIPPED.length }).end(GZIPPED)
    if (url === '/no-transform') return void res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-transform' }).end(PAGE)
    if (url.startsWith('/events')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      res.write(`data: ${'first '.repeat(300)}\n\n`)
      releaseSecondEvent = () => res.end(`data: second\n\n`)
      return
    }
    res.writeHead(404).end()
  })
})
after(() => upstream?.close())

const config = (port: number) => `import { defineConfig } from 'gatehouse'
import { compress } from 'gatehouse/plugins/compress'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  pools: { up: { upstreams: ['${upstream.url}'] } },
  routes: [
    { path: '/events-compressed', pool: 'up', use: [compress({ eventStream: true })] },
    { path: '/*', pool: 'up', use: [compress()] },
  ],
})
`

for (const runtime of RUNTIMES) {
  describe(`compress() on ${runtime}`, () => {
    let gw: RuntimeGateway
    before(async () => { gw = await spawnGatewayUnder(runtime, config, 'compress') })
    after(() => gw?.stop())
    // What the gateway's runtime has; Node's zstd (from 22.15) is also what this test decodes zstd with.
    const zstd = typeof (zlib as { createZstdCompress?: unknown }).createZstdCompress === 'function'
    const supported = runtime === 'deno' ? ['br', 'gzip', 'deflate'] : runtime === 'node' && !zstd ? ['br', 'gzip', 'deflate'] : ['zstd', 'br', 'gzip', 'deflate']
    const decodable = supported.filter((e) => e !== 'zstd' || zstd)

    it('each encoding the runtime has: the original bytes, Vary, no Content-Length or Accept-Ranges, a weak ETag', async () => {
      for (const enc of decodable) {
        const r = await rawGet(`${gw.url}/page`, { 'accept-encoding': enc })
        assert.equal(r.headers['content-encoding'], enc)
        assert.deepEqual(ENCODINGS[enc]!(r.body), PAGE, enc)
        assert.ok(r.body.length < PAGE.length / 10, `${enc}: ${r.body.length} bytes`)
        assert.equal(r.headers.vary, 'Accept-Encoding')
        assert.equal(r.headers['accept-ranges'], undefined)
        assert.equal(r.headers.etag, 'W/"v1"')
        if (r.headers['transfer-encoding'] === 'chunked') assert.equal(r.headers['content-length'], undefined)
        else assert.equal(Number(r.headers['content-length']), r.body.length, 'a length, if any, is the encoded one')
      }
    })

    it('q-values choose; an encoding the runtime lacks is not chosen; identity gets the body as is', async () => {
      assert.equal((await rawGet(`${gw.url}/page`, { 'accept-encoding': 'gzip;q=0.4, br;q=0.9' })).headers['content-encoding'], 'br')
      assert.equal((await rawGet(`${gw.url}/page`, { 'accept-encoding': 'br;q=0, gzip' })).headers['content-encoding'], 'gzip')
      const zstdFirst = await rawGet(`${gw.url}/page`, { 'accept-encoding': 'zstd, gzip;q=0.5' })
      assert.equal(zstdFirst.headers['content-encoding'], supported.includes('zstd') ? 'zstd' : 'gzip')
      const plain = await rawGet(`${gw.url}/page`, { 'accept-encoding': 'identity' })
      assert.equal(plain.headers['content-encoding'], undefined)
      assert.equal(plain.headers.vary, 'Accept-Encoding', 'a compressible response varies even when sent plain')
      assert.deepEqual(plain.body, PAGE)
    })

    it('a streamed body of unknown length is compressed as it streams; curl --compressed gets the original', async () => {
      const r = await rawGet(`${gw.url}/chunked`, { 'accept-encoding': 'gzip' })
      assert.equal(r.headers['content-encoding'], 'gzip')
      const lines = gunzipSync(r.body).toString().trim().split('\n')
      assert.equal(lines.length, 20)
      const curl = await run(requireBinary('curl'), ['-s', '--compressed', '-D', '-', `${gw.url}/page`])
      const [head, body] = [curl.stdout.slice(0, curl.stdout.indexOf('\r\n\r\n')), curl.stdout.slice(curl.stdout.indexOf('\r\n\r\n') + 4)]
      assert.match(head, /content-encoding: (zstd|br|gzip|deflate)/i)
      assert.ok(body === PAGE.toString(), `curl --compressed decoded ${body.length} bytes, not the page's ${PAGE.length}`)
    })

    it('left alone: already encoded, under minSize, binary types, event streams, no-transform, HEAD', async () => {
      const ae = { 'accept-encoding': 'gzip, br, zstd' }
      const gz = await rawGet(`${gw.url}/gzipped`, ae)
      assert.equal(gz.headers['content-encoding'], 'gzip')
      assert.deepEqual(gz.body, GZIPPED, 'the upstream\'s own encoding passes byte for byte')
      for (const path of ['/small', '/png', '/no-transform']) {
        const r = await rawGet(`${gw.url}${path}`, ae)
        assert.equal(r.headers['content-encoding'], undefined, path)
      }
      assert.equal((await rawGet(`${gw.url}/png`, ae)).headers.vary, undefined, 'nothing to vary on for a binary type')
      const head = await rawGet(`${gw.url}/page`, ae, 'HEAD')
      assert.equal(head.headers['content-encoding'], undefined)
      assert.equal(Number(head.headers['content-length']), PAGE.length)
      const events = await new Promise<Raw['headers']>((resolve, reject) =>
        request(`${gw.url}/events`, { headers: ae }, (res) => (resolve(res.headers), res.destroy())).on('error', reject).end())
      assert.equal(events['content-encoding'], undefined, 'text/event-stream is not compressed by default')
      releaseSecondEvent()
    })

    if (runtime === 'node') {
      it('eventStream: true: each event is flushed compressed as it comes', async () => {
        const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) =>
          request(`${gw.url}/events-compressed`, { headers: { 'accept-encoding': 'gzip' } }, resolve).on('error', reject).end())
        assert.equal(res.headers['content-encoding'], 'gzip')
        const decoded = res.pipe(zlib.createGunzip())
        let text = ''
        await new Promise<void>((resolve) => decoded.on('data', (c: Buffer) => ((text += c), text.includes('\n\n') && resolve())))
        assert.match(text, /^data: first/, 'the first event arrived before the upstream sent the second')
        releaseSecondEvent()
        await new Promise<void>((resolve) => decoded.on('end', resolve))
        assert.match(text, /data: second\n\n$/)
      })

      it('Chromium (headless) loads a compressed page and shows the original text', async () => {
        const profile = mkdtempSync('/tmp/gatehouse-chromium-')
        const context = await chromium.launchPersistentContext(profile, { executablePath: requireBinary('chromium'), headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-quic'] })
        try {
          const page = context.pages()[0] ?? (await context.newPage())
          const response = await page.goto(`${gw.url}/page`)
          const asked = (await response!.request().allHeaders())['accept-encoding']!
          const got = (await response!.allHeaders())['content-encoding']
          assert.equal(got, negotiate(asked, supported as ('zstd' | 'br' | 'gzip' | 'deflate')[]), `Chromium asked for "${asked}"`)
          assert.ok(got, 'the page was compressed')
          assert.equal(await page.title(), 'compressed')
          assert.equal(await page.locator('p').textContent(), 'gatehouse compresses text '.repeat(2000))
        } finally {
          await context.close()
          rmSync(profile, { recursive: true, force: true })
        }
      })
    }
  })
}
