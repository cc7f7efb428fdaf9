// api-key plugin through a real gateway: keys stored as SHA-256 only, header or query, consumer
// forwarded (client-sent one replaced), refusals that say why without echoing the key.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { apiKey, hashApiKey, type ApiKeyOptions } from '../../plugins/api-key/index.ts'
import { constantTimeEqual } from '../../plugins/api-key/digest.ts'
import { setUpstreamHeader } from '../../core/proxy/upstream-headers.ts'
import { isConfigError } from '../../core/config/errors.ts'
import type { GatewayMiddleware } from '../../core/types.ts'
import type { RouteInput } from '../../core/config/route-schema.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { startGateway } from '../support/gateway.ts'

const closers: (() => unknown)[] = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

const KEY_A = 'k_live_3f9a0c1e5b7d4a2f8e6c'
const KEY_B = 'k_live_b0b0b0b0b0b0b0b0b0b0'
let up: Upstream
let keys: Record<string, string>
before(async () => {
  up = await startUpstream(echo('api'))
  closers.push(() => up.close())
  keys = { [await hashApiKey(KEY_A)]: 'acme-billing', [(await hashApiKey(KEY_B)).toUpperCase()]: 'globex' }
})

const exposeConsumer: GatewayMiddleware = async (c, next) => {
  setUpstreamHeader(c, 'x-test-consumer', c.get('consumer') ?? '(none)')
  await next()
}

async function gateway(options: Partial<ApiKeyOptions>, route: Partial<RouteInput> = {}): Promise<string> {
  const gw = await startGateway({
    pools: { api: { upstreams: [up.url] } },
    routes: [{ path: '/*', pool: 'api', ...route, use: [apiKey({ keys, ...options }), exposeConsumer] }],
  })
  closers.push(() => gw.stop())
  return gw.url
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers })
  const body = await res.text()
  return { status: res.status, body, headers: res.headers, seen: () => (JSON.parse(body) as { headers: Record<string, string> }).headers }
}

test('a known key passes: consumer set and forwarded, a client-sent consumer header replaced', async () => {
  const url = await gateway({})
  const a = await get(url, { 'x-api-key': KEY_A, 'x-consumer': 'admin' })
  assert.equal(a.status, 200)
  assert.equal(a.seen()['x-consumer'], 'acme-billing')
  assert.equal(a.seen()['x-test-consumer'], 'acme-billing')
  const b = await get(url, { 'X-API-Key': KEY_B })
  assert.equal(b.status, 200, 'upper-case hex in the config works too')
  assert.equal(b.seen()['x-consumer'], 'globex')
})

test('missing or unknown key: 401 saying which, never echoing the key; the upstream is not reached', async () => {
  const url = await gateway({})
  const seen = up.seen.length
  const missing = await get(url)
  assert.equal(missing.status, 401)
  assert.equal(missing.body, 'gatehouse: api-key: missing key\n')
  assert.match(missing.headers.get('www-authenticate')!, /^ApiKey /)
  for (const wrong of [`${KEY_A}x`, KEY_A.slice(0, -1), 'x', await hashApiKey(KEY_A)]) {
    const res = await get(url, { 'x-api-key': wrong })
    assert.equal(res.status, 401, wrong)
    assert.equal(res.body, 'gatehouse: api-key: invalid key\n')
  }
  assert.equal(up.seen.length, seen)
})

test('query parameter: accepted only when configured; a custom header name', async () => {
  const withQuery = await gateway({ query: 'api_key', header: 'x-partner-key' })
  assert.equal((await get(`${withQuery}/x?api_key=${KEY_A}`)).status, 200)
  assert.equal((await get(withQuery, { 'x-partner-key': KEY_A })).status, 200)
  assert.equal((await get(withQuery, { 'x-api-key': KEY_A })).status, 401, 'the default header is not read when another is named')
  const headerOnly = await gateway({})
  assert.equal((await get(`${headerOnly}/x?api_key=${KEY_A}`)).status, 401)
})

test('the route can keep the key from the upstream (requestHeaders.remove); consumerHeader: false sends none', async () => {
  const url = await gateway({ consumerHeader: false }, { requestHeaders: { remove: ['x-api-key'] } })
  const res = await get(url, { 'x-api-key': KEY_A, 'x-consumer': 'spoofed' })
  assert.equal(res.status, 200)
  assert.equal(res.seen()['x-api-key'], undefined)
  assert.equal(res.seen()['x-test-consumer'], 'acme-billing')
  assert.equal(res.seen()['x-consumer'], 'spoofed', 'with consumerHeader: false the plugin does not touch x-consumer')
})

test('hashApiKey is SHA-256 hex (same as sha256sum); digests compare by content', async () => {
  assert.equal(await hashApiKey('password'), '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8')
  assert.equal(await hashApiKey(KEY_A), createHash('sha256').update(KEY_A).digest('hex'))
  const bytes = (...b: number[]) => new Uint8Array(b)
  assert.equal(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2, 3)), true)
  assert.equal(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2, 4)), false)
  assert.equal(constantTimeEqual(bytes(9, 2, 3), bytes(1, 2, 3)), false)
  assert.equal(constantTimeEqual(bytes(1, 2), bytes(1, 2, 3)), false)
})

test('options are checked at the factory call: a plain key in the config is refused', () => {
  const fails = (options: unknown, re: RegExp) =>
    assert.throws(() => assertValidPlugin(apiKey(options as ApiKeyOptions)), (err: unknown) => isConfigError(err) && re.test(err.message))
  fails({ keys: { [KEY_A]: 'acme' } }, /apiKey\(\): keys\.k_live_[^ ]* \(key\): expected the SHA-256 of a key/)
  fails({ keys: {} }, /apiKey\(\): keys: expected at least one key hash/)
  fails({}, /apiKey\(\): keys/)
  fails({ keys: { ['a'.repeat(64)]: 'bad\nname' } }, /apiKey\(\): keys\.a+: expected a consumer name/)
  fails({ keys: { ['a'.repeat(64)]: 'x' }, header: 'x key' }, /apiKey\(\): header: expected a header name/)
  fails({ keys: { ['a'.repeat(64)]: 'x' }, consumerHeader: 'x-real-ip' }, /apiKey\(\): consumerHeader: set by the gateway itself/)
})
