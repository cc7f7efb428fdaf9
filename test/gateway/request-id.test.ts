// X-Request-Id: a trusted proxy's is kept, anyone else's replaced; one that could break a log line
// is replaced too; the upstream's own never reaches the client. (Node, Bun and Deno: test/runtimes/observe.test.ts.)
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { requestId, setRequestIdHeader } from '../../core/gateway/request-id.ts'
import { startUpstream, type Upstream } from '../support/http-upstream.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'

let up: Upstream
let trusting: TestGateway
let wary: TestGateway

before(async () => {
  up = await startUpstream((req, res) => res.writeHead(200, { 'x-request-id': 'upstream-own', 'x-seen-id': String(req.headers['x-request-id']) }).end('ok'))
  const config = { pools: { web: { upstreams: [up.url] } }, routes: [{ path: '/*', pool: 'web' }] }
  trusting = await startGateway({ ...config, trustedProxies: ['127.0.0.1/32'] })
  wary = await startGateway(config)
})
after(async () => {
  await trusting.stop()
  await wary.stop()
  await up.close()
})

async function ids(gw: TestGateway, sent?: string): Promise<{ returned: string | null; seen: string | null }> {
  const res = await fetch(gw.url + '/x', { headers: sent === undefined ? {} : { 'x-request-id': sent } })
  await res.arrayBuffer()
  return { returned: res.headers.get('x-request-id'), seen: res.headers.get('x-seen-id') }
}

test('from a trusted proxy its ID is kept, upstream and back', async () => {
  assert.deepEqual(await ids(trusting, 'lb-7f3a9c'), { returned: 'lb-7f3a9c', seen: 'lb-7f3a9c' })
})

test('from anyone else, or unfit for a log line, a new one replaces it; the upstream\'s own never reaches the client', async () => {
  for (const [gw, sent] of [[wary, 'chosen'], [trusting, 'has space'], [trusting, 'x'.repeat(201)], [wary, undefined]] as const) {
    const { returned, seen } = await ids(gw, sent)
    assert.match(returned ?? '', /^[0-9a-f-]{36}$/, `sent ${sent}`)
    assert.equal(seen, returned)
  }
})

test('the header helpers: an acceptable ID passes, a response head gets exactly one', () => {
  assert.equal(requestId('abc-123_X'), 'abc-123_X')
  assert.notEqual(requestId('a\nb'), 'a\nb')
  assert.notEqual(requestId(undefined), requestId(undefined))
  const head = ['Content-Type', 'text/plain', 'X-Request-Id', 'theirs']
  setRequestIdHeader(head, 'ours')
  assert.deepEqual(head, ['Content-Type', 'text/plain', 'X-Request-Id', 'ours'])
  const bare: string[] = []
  setRequestIdHeader(bare, 'ours')
  assert.deepEqual(bare, ['x-request-id', 'ours'])
})
