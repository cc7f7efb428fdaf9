// basic-auth plugin through a real gateway: PBKDF2 and SHA-256 hashes, the Basic challenge,
// consumer forwarded, and configs holding a plain password refused.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, pbkdf2Sync } from 'node:crypto'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { basicAuth, hashPassword, type BasicAuthOptions } from '../../plugins/basic-auth/index.ts'
import { parseHash } from '../../plugins/basic-auth/password.ts'
import { isConfigError } from '../../core/config/errors.ts'
import type { RouteInput } from '../../core/config/route-schema.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { startGateway } from '../support/gateway.ts'

const closers: (() => unknown)[] = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

let up: Upstream
let url: string
before(async () => {
  up = await startUpstream(echo('admin'))
  closers.push(() => up.close())
  url = await gateway({
    realm: 'Admin "area"',
    users: {
      alice: await hashPassword('correct horse battery staple', { iterations: 20_000 }),
      svc: createHash('sha256').update('a-long-random-service-password-0f3c9').digest('hex'),
    },
  })
})

async function gateway(options: BasicAuthOptions, route: Partial<RouteInput> = {}): Promise<string> {
  const gw = await startGateway({ pools: { admin: { upstreams: [up.url] } }, routes: [{ path: '/*', pool: 'admin', ...route, use: [basicAuth(options)] }] })
  closers.push(() => gw.stop())
  return gw.url
}

const basic = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` })

async function get(u: string, headers: Record<string, string> = {}) {
  const res = await fetch(u, { headers })
  const body = await res.text()
  return { status: res.status, body, headers: res.headers, seen: () => (JSON.parse(body) as { headers: Record<string, string> }).headers }
}

test('right user and password pass; the user is the consumer, forwarded (a client-sent one replaced)', async () => {
  const res = await get(url, { ...basic('alice', 'correct horse battery staple'), 'x-consumer': 'root' })
  assert.equal(res.status, 200)
  assert.equal(res.seen()['x-consumer'], 'alice')
  const again = await get(url, basic('alice', 'correct horse battery staple'))
  assert.equal(again.status, 200, 'a remembered login still passes')
  const svc = await get(url, basic('svc', 'a-long-random-service-password-0f3c9'))
  assert.equal(svc.status, 200, 'SHA-256 hex hash')
  assert.equal(svc.seen()['x-consumer'], 'svc')
})

test('wrong password, unknown user, no or broken credentials: 401 with the Basic challenge; the upstream is not reached', async () => {
  const seen = up.seen.length
  for (const headers of [
    basic('alice', 'Correct horse battery staple'),
    basic('alice', ''),
    basic('mallory', 'correct horse battery staple'),
    basic('svc', 'a-long-random-service-password-0f3c'),
    {},
    { authorization: 'Basic !!!not-base64' },
    { authorization: 'Bearer abc' },
  ]) {
    const res = await get(url, headers)
    assert.equal(res.status, 401, JSON.stringify(headers))
    assert.equal(res.headers.get('www-authenticate'), 'Basic realm="Admin \\"area\\""')
    assert.equal(res.body, 'gatehouse: basic-auth: bad or missing credentials\n')
  }
  assert.equal(up.seen.length, seen)
})

test('a remembered login is per password: after a success, a wrong password still fails', async () => {
  assert.equal((await get(url, basic('alice', 'correct horse battery staple'))).status, 200)
  assert.equal((await get(url, basic('alice', 'correct horse battery stapl'))).status, 401)
})

test('cacheTtl 0 and a route that keeps Authorization from the upstream', async () => {
  const u = await gateway({ users: { bob: await hashPassword('pw-of-bob', { iterations: 1000 }) }, cacheTtl: 0 }, { requestHeaders: { remove: ['authorization'] } })
  for (let i = 0; i < 2; i++) {
    const res = await get(u, basic('bob', 'pw-of-bob'))
    assert.equal(res.status, 200)
    assert.equal(res.seen().authorization, undefined)
  }
  assert.equal((await get(u, basic('bob', 'pw-of-alice'))).status, 401)
})

test('hashPassword: PBKDF2-SHA256, 600000 iterations by default, salted, interoperable', async () => {
  const h = await hashPassword('s3cret')
  const m = /^\$pbkdf2-sha256\$i=600000\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(h)
  assert.ok(m, h)
  assert.notEqual(await hashPassword('s3cret', { iterations: 1000 }), await hashPassword('s3cret', { iterations: 1000 }), 'a fresh salt each time')
  // The same derivation with Node's own PBKDF2.
  const salt = Buffer.from(m[1]!, 'base64')
  assert.equal(pbkdf2Sync('s3cret', salt, 600_000, 32, 'sha256').toString('base64').replace(/=+$/, ''), m[2])
  assert.equal(await parseHash(h).verify('s3cret'), true)
  assert.equal(await parseHash(h).verify('s3cret '), false)
})

test('options are checked at the factory call: plain passwords and weak PBKDF2 refused', () => {
  const fails = (options: unknown, re: RegExp) =>
    assert.throws(() => assertValidPlugin(basicAuth(options as BasicAuthOptions)), (err: unknown) => isConfigError(err) && re.test(err.message))
  fails({ users: { alice: 'hunter2' } }, /basicAuth\(\): users\.alice: expected "\$pbkdf2-sha256\$i=<n>\$<salt>\$<hash>" .*never a plain password/)
  fails({ users: { alice: '$pbkdf2-sha256$i=10$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA' } }, /users\.alice: PBKDF2 iterations must be/)
  fails({ users: { 'a:b': 'a'.repeat(64) } }, /basicAuth\(\): users\.a:b \(key\): expected a user name/)
  fails({ users: {} }, /basicAuth\(\): users: expected at least one user/)
  fails({ users: { a: 'a'.repeat(64) }, realm: 'x\ny' }, /basicAuth\(\): realm/)
})
