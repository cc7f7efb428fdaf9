// gRPC through the gateway: real @grpc/grpc-js clients and servers, the gateway between them on
// an h2c listener with h2c upstreams. Node only (the per-runtime reasons are stated below, and
// in the README's table): gRPC needs response trailers to the client and an HTTP/2 upstream client.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import http2 from 'node:http2'
import * as grpc from '@grpc/grpc-js'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import { deadPort } from '../support/http-upstream.ts'
import type { RequestRecord } from '../../core/gateway/events.ts'
import { echoClient, startGrpcUpstream, type GrpcUpstream, type Msg } from './grpc-upstream.ts'

/** What each runtime does not run here, and why (no silent skips). */
const NOT_ON = {
  bun: 'Bun.serve (1.4.5) speaks no HTTP/2 at all (ALPN h2 not agreed, an h2c preface is no request), so no gRPC client can reach it',
  deno: 'Deno.serve (2.9.5) speaks HTTP/2 but a Web Response cannot carry trailers, so grpc-status never reaches the client; its upstream client is HTTP/1.1',
}
for (const [runtime, why] of Object.entries(NOT_ON)) test(`gRPC on ${runtime}: not run — ${why}`, { skip: why }, () => {})

let a: GrpcUpstream
let b: GrpcUpstream
let gw: TestGateway
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let client: any
const records: RequestRecord[] = []

type Call = (msg: Partial<Msg>, opts?: grpc.CallOptions) => Promise<Msg>
const unary = (c: typeof client): Call => (msg, opts = {}) =>
  new Promise((resolve, reject) => c.Unary({ text: '', count: 0, delay_ms: 0, ...msg }, new grpc.Metadata(), opts, (err: grpc.ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res))))
const rejection = async (p: Promise<unknown>): Promise<grpc.ServiceError> => {
  try {
    await p
  } catch (err) {
    return err as grpc.ServiceError
  }
  assert.fail('the call succeeded')
}

before(async () => {
  a = await startGrpcUpstream('a')
  b = await startGrpcUpstream('b')
  const dead = await deadPort()
  gw = await startGateway({
    listen: { http2: { h2c: true } },
    pools: {
      echo: { upstreams: [`h2c://127.0.0.1:${a.port}`, `h2c://127.0.0.1:${b.port}`], timeouts: { total: '10s' } },
      down: { upstreams: [`h2c://127.0.0.1:${dead}`], retries: 0 },
      empty: { upstreams: [] },
    },
    routes: [
      { path: '/gatehouse.test.Echo/*', pool: 'echo', requestHeaders: { set: { 'x-via': 'gatehouse' } } },
      { host: 'down.test', pool: 'down' },
      { host: 'empty.test', pool: 'empty' },
    ],
  })
  client = echoClient(`127.0.0.1:${gw.port}`)
  gw.gateway.events.on('request', (r) => records.push(r))
})
after(async () => {
  client?.close()
  await gw?.stop()
  await a?.close()
  await b?.close()
})

describe('gRPC through the gateway (node)', () => {
  test('unary calls are balanced per call across both upstreams on one client connection', async () => {
    const seen = new Set<string>()
    for (let i = 0; i < 10; i++) seen.add((await unary(client)({ text: `hi ${i}` })).text.split(':')[0]!)
    assert.deepEqual([...seen].sort(), ['a', 'b'])
    assert.ok(a.calls.Unary! >= 3 && b.calls.Unary! >= 3, `a ${a.calls.Unary}, b ${b.calls.Unary}`)
  })

  test('server streaming passes every message through, then the OK status', async () => {
    const call = client.ServerStream({ text: 'tick', count: 5, delay_ms: 20 })
    const texts: string[] = []
    const status = await new Promise<grpc.StatusObject>((resolve, reject) => {
      call.on('data', (m: Msg) => texts.push(m.text))
      call.on('status', resolve)
      call.on('error', (e: Error & { code?: number }) => (e.code === undefined ? reject(e) : undefined))
    })
    assert.equal(status.code, grpc.status.OK)
    assert.equal(texts.length, 5)
    assert.match(texts[4]!, /^[ab]: tick #4$/)
  })

  test('client streaming and bidirectional calls pass through', async () => {
    const res = await new Promise<Msg>((resolve, reject) => {
      const call = client.ClientStream((err: Error | null, m: Msg) => (err ? reject(err) : resolve(m)))
      for (const t of ['x', 'y', 'z']) call.write({ text: t })
      call.end()
    })
    assert.match(res.text, /^[ab]: x,y,z$/)
    const bidi = client.Bidi()
    const echoed: string[] = []
    const done = new Promise<void>((resolve, reject) => {
      bidi.on('data', (m: Msg) => {
        echoed.push(m.text)
        if (echoed.length === 1) bidi.write({ text: 'two' }) // a real exchange: the second waits for the first answer
        if (echoed.length === 2) bidi.end()
      })
      bidi.on('end', resolve)
      bidi.on('error', reject)
    })
    bidi.write({ text: 'one' })
    await done
    assert.deepEqual(echoed.map((t) => t.split(': ')[1]), ['one', 'two'])
  })

  test('calls share the one h2c connection per upstream side by side: an open bidirectional call holds none back, unary calls overlap', async () => {
    // undici 7's HTTP/2 client sent a POST with a streamed body only when nothing else ran on the
    // connection (core/runtime/undici.ts): calls to one upstream went one at a time, and waited for an open stream to end.
    const bidi = client.Bidi()
    const opened = new Promise<void>((resolve, reject) => {
      bidi.once('data', () => resolve())
      bidi.on('error', reject)
    })
    bidi.write({ text: 'open' })
    await opened
    try {
      const started = performance.now()
      const texts = await Promise.all(Array.from({ length: 6 }, (_, i) => unary(client)({ text: `p${i}`, delay_ms: 300 }, { deadline: Date.now() + 5000 })))
      const ms = performance.now() - started
      assert.deepEqual(new Set(texts.map((m) => m.text.split(':')[0])), new Set(['a', 'b']))
      // Three 300 ms calls per upstream: ~300 ms together, 900 ms one after the other.
      assert.ok(ms < 800, `6 calls of 300 ms over 2 upstreams took ${ms.toFixed(0)} ms`)
    } finally {
      bidi.end()
    }
  })

  test("an upstream's error status, message and binary metadata arrive in the trailers", async () => {
    const err = await rejection(unary(client)({ text: 'fail' }))
    assert.equal(err.code, grpc.status.NOT_FOUND)
    assert.match(err.details, /^no such thing at [ab]$/)
    assert.deepEqual([...(err.metadata.get('x-detail-bin')[0] as Buffer)], [0, 1, 2, 255])
  })

  test('the access log record carries the gRPC status: the upstream\'s (head or trailers) and the gateway\'s own', async () => {
    records.length = 0
    await unary(client)({ text: 'ok' })
    await rejection(unary(client)({ text: 'fail' }))
    await new Promise((r) => setTimeout(r, 50))
    assert.deepEqual(records.map((r) => [r.status, r.grpcStatus]), [[200, 0], [200, 5]])
  })

  test('grpc-js deadline: DEADLINE_EXCEEDED', async () => {
    const err = await rejection(unary(client)({ text: 'slow', delay_ms: 3000 }, { deadline: Date.now() + 300 }))
    assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED)
  })

  test('grpc-timeout is the gateway\'s deadline too: a client that does not enforce its own gets grpc-status 4 in time', async () => {
    // A raw HTTP/2 call with grpc-timeout 300m and no deadline of its own: only the gateway can end it.
    const session = http2.connect(`http://127.0.0.1:${gw.port}`)
    try {
      const started = Date.now()
      const stream = session.request({
        ':method': 'POST', ':path': '/gatehouse.test.Echo/Unary', 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': '300m',
      })
      // Msg { text: "s", delay_ms: 5000 } in a gRPC frame: 0 (uncompressed), length, then the protobuf.
      const body = Buffer.from([0x0a, 0x01, 0x73, 0x18, 0x88, 0x27])
      stream.end(Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body]))
      const head: Record<string, unknown> = {}
      const trailers: Record<string, unknown> = {}
      stream.on('response', (h) => Object.assign(head, h))
      stream.on('trailers', (t) => Object.assign(trailers, t))
      stream.resume()
      await new Promise((resolve) => stream.on('close', resolve))
      const status = trailers['grpc-status'] ?? head['grpc-status']
      assert.equal(status, '4', JSON.stringify({ head, trailers }))
      assert.ok(Date.now() - started < 2500, `answered after ${Date.now() - started} ms`)
    } finally {
      session.close()
    }
  })

  test('a deadline during a server stream ends it with DEADLINE_EXCEEDED after the messages so far', async () => {
    const call = client.ServerStream({ text: 'long', count: 100, delay_ms: 100 }, new grpc.Metadata(), { deadline: Date.now() + 450 })
    const texts: string[] = []
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      call.on('data', (m: Msg) => texts.push(m.text))
      call.on('status', resolve)
      call.on('error', () => {})
    })
    assert.equal(status.code, grpc.status.DEADLINE_EXCEEDED)
    assert.ok(texts.length >= 2 && texts.length < 10, `${texts.length} messages`)
  })

  test("the gateway's own failures are gRPC statuses in a trailers-only answer: UNAVAILABLE, UNIMPLEMENTED", async () => {
    for (const [host, code] of [['down.test', grpc.status.UNAVAILABLE], ['empty.test', grpc.status.UNAVAILABLE], ['nowhere.test', grpc.status.UNIMPLEMENTED]] as const) {
      const generic = new (grpc.makeGenericClientConstructor({}, 'x'))(`127.0.0.1:${gw.port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': host })
      const err = await rejection(
        new Promise((resolve, reject) =>
          generic.makeUnaryRequest(host === 'nowhere.test' ? '/gatehouse.test.Other/Unary' : '/gatehouse.test.Echo/Unary', (x: Buffer) => x, (x: Buffer) => x, Buffer.from([0x0a, 0x01, 0x61]), (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))),
        ),
      )
      generic.close()
      assert.equal(err.code, code, `${host}: ${err.code} ${err.details}`)
      await new Promise((r) => setTimeout(r, 20))
      assert.equal(records.at(-1)?.grpcStatus, code, `${host}: the record`)
      assert.match(err.details, /gatehouse/, `${host}: ${err.details}`)
    }
  })
})
