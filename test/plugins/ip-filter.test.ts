// ip-filter through a real gateway. Client addresses other than 127.0.0.1 come from a trusted
// proxy's X-Forwarded-For, exactly as the gateway establishes them in production.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { ipFilter, type IpFilterOptions } from '../../plugins/ip-filter/index.ts'
import { isConfigError } from '../../core/config/errors.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { startGateway } from '../support/gateway.ts'

const closers: (() => unknown)[] = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

let up: Upstream
before(async () => {
  up = await startUpstream(echo('admin'))
  closers.push(() => up.close())
})

async function gateway(options: IpFilterOptions, trustedProxies = ['127.0.0.1']): Promise<string> {
  const gw = await startGateway({ trustedProxies, pools: { admin: { upstreams: [up.url] } }, routes: [{ path: '/*', pool: 'admin', use: [ipFilter(options)] }] })
  closers.push(() => gw.stop())
  return gw.url
}

async function statusFor(url: string, client?: string): Promise<number> {
  const res = await fetch(url, { headers: client ? { 'x-forwarded-for': client } : {} })
  const body = await res.text()
  if (res.status === 403) assert.equal(body, 'gatehouse: ip-filter: client address not allowed\n')
  return res.status
}

test('allow list with a deny inside it; IPv4, IPv6 and IPv4-mapped IPv6', async () => {
  const url = await gateway({ allow: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'], deny: ['10.6.6.0/24'] })
  const cases: [string, number][] = [
    ['10.1.2.3', 200],
    ['10.6.6.6', 403],
    ['10.6.7.1', 200],
    ['11.0.0.1', 403],
    ['192.0.2.7', 200],
    ['192.0.2.8', 403],
    ['2001:db8::1', 200],
    ['2001:db9::1', 403],
    ['::ffff:10.1.2.3', 200],
    ['::ffff:10.6.6.1', 403],
  ]
  const seen = up.seen.length
  for (const [client, status] of cases) assert.equal(await statusFor(url, client), status, client)
  assert.equal(up.seen.length, seen + cases.filter(([, s]) => s === 200).length, 'refused requests never reach the upstream')
})

test('deny only: everyone else passes', async () => {
  const url = await gateway({ deny: ['203.0.113.0/24', '2001:db8:bad::/48'] })
  assert.equal(await statusFor(url, '203.0.113.50'), 403)
  assert.equal(await statusFor(url, '2001:db8:bad::1'), 403)
  assert.equal(await statusFor(url, '203.0.114.1'), 200)
  assert.equal(await statusFor(url), 200)
})

test('the address is the one the gateway established: an untrusted peer cannot claim one with X-Forwarded-For', async () => {
  const url = await gateway({ allow: ['10.0.0.0/8'] }, [])
  assert.equal(await statusFor(url, '10.1.2.3'), 403, 'the peer, 127.0.0.1, is what counts')
  const local = await gateway({ allow: ['127.0.0.1'] }, [])
  assert.equal(await statusFor(local, '203.0.113.1'), 200)
})

test('options are checked at the factory call', () => {
  const fails = (options: unknown, re: RegExp) =>
    assert.throws(() => assertValidPlugin(ipFilter(options as IpFilterOptions)), (err: unknown) => isConfigError(err) && re.test(err.message))
  fails({}, /ipFilter\(\): .*give `allow`, `deny` or both/)
  fails({ allow: ['10.0.0.0/33'] }, /ipFilter\(\): allow\[0\]: expected an IP address or CIDR/)
  fails({ deny: ['10.1'] }, /ipFilter\(\): deny\[0\]: expected an IP address/)
  fails({ deny: ['10.0.0.0/8', 'example.com'] }, /ipFilter\(\): deny\[1\]: expected an IP address/)
  fails({ allow: ['10.0.0.0/8'], block: [] }, /ipFilter\(\): block: unknown field/)
})
