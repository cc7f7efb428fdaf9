// Renewal against pebble issuing 30-second certificates (renewal due at two thirds: 20 s): a
// certificate is replaced before it expires while a keep-alive connection keeps working through
// the swap; and when pebble fails the renewal (its DNS sends the validation to an address where
// nothing listens) the old certificate keeps serving, the failure is logged with the host and
// the CA's reason, and the next try after backoff succeeds once validation works again, before
// the old one expired. (30 s, not 20: two failed tries, a backoff and an order under a loaded
// machine took more than the 6.7 s a 20-second certificate leaves after its renewal time.)
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { join } from 'node:path'
import { acme, directoryStore } from '../../plugins/acme/index.ts'
import { presentedCertificate } from '../support/certs.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { hasPebble, startPebble, type Pebble } from '../support/pebble.ts'
import { freePort } from '../support/ports.ts'
import { waitFor } from '../support/process.ts'
import { acmeDir, curlHttps, startLoggedGateway, type LoggedGateway } from '../support/acme.ts'

if (!hasPebble()) throw new Error('pebble not installed: run .ci/install-deps.sh')

const LIFETIME_S = 30
let pebble: Pebble
let up: Upstream
let gw: LoggedGateway
let tlsPort: number
let root: string

before(async () => {
  const httpPort = await freePort()
  tlsPort = await freePort()
  pebble = await startPebble({ httpPort, tlsPort, validitySeconds: LIFETIME_S })
  root = await pebble.root()
  up = await startUpstream(echo('app'))
  gw = await startLoggedGateway({
    listen: {
      host: '127.0.0.1',
      port: tlsPort,
      tls: {
        certificates: acme({ directory: pebble.directory, directoryCa: pebble.directoryCa, store: directoryStore({ path: join(acmeDir('acme-renew'), 'store') }), retry: { min: '1s', max: '2s' } }),
        redirectHttp: { port: httpPort },
      },
    },
    pools: { app: { upstreams: [up.url] } },
    routes: [{ host: ['renew.test', 'fail.test'], pool: 'app' }],
  })
  for (const host of ['renew.test', 'fail.test']) await waitFor(async () => (await curlHttps(host, tlsPort, root)).ok, { timeoutMs: 30_000, what: `a certificate for ${host}` })
})
after(async () => {
  await gw?.stop()
  await up?.close()
  await pebble?.stop()
})

function get(agent: Agent): Promise<{ status: number; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: tlsPort, servername: 'renew.test', headers: { host: 'renew.test' }, agent, timeout: 5_000 }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode!, reused: req.reusedSocket }))
    })
    req.on('error', reject).end()
  })
}

test('a certificate is renewed before it expires, and an open connection keeps working through the swap', async () => {
  const first = await presentedCertificate(tlsPort, 'renew.test')
  const expiry = gw.gateway.certificates()!.managed.find((c) => c.host === 'renew.test')!.notAfter!
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(root) })
  const results: { status: number; reused: boolean }[] = []
  const failures: string[] = []
  let renewed = ''
  try {
    const deadline = Date.now() + LIFETIME_S * 1000
    while (Date.now() < deadline && !renewed) { // bounded: one lifetime at most, a request every 250 ms
      await get(agent).then((r) => results.push(r), (err) => failures.push(String(err.message)))
      const now = await presentedCertificate(tlsPort, 'renew.test')
      if (now.serial && now.serial !== first.serial) renewed = now.serial
      await new Promise((r) => setTimeout(r, 250))
    }
    assert.ok(renewed, `no renewal within ${LIFETIME_S}s:\n${gw.lines.slice(-10).join('\n')}`)
    assert.ok(Date.now() < Date.parse(expiry), 'renewed only after the old certificate expired')
    const after = await get(agent)
    results.push(after)
  } finally {
    agent.destroy()
  }
  assert.deepEqual(failures, [])
  assert.ok(results.every((r) => r.status === 200))
  assert.ok(results.at(-1)!.reused, 'the keep-alive connection from before the renewal was dropped')
  assert.ok(gw.lines.some((l) => /ordering a certificate for renew\.test \(renewal, current one valid until/.test(l)))
  assert.ok((await curlHttps('renew.test', tlsPort, root)).ok)
})

test('a renewal pebble fails leaves the old certificate serving, logged with host and reason, until a later try succeeds', async () => {
  await pebble.resolveTo('fail.test', '127.0.0.2') // nothing listens there: validation fails
  const failed = /ordering a certificate for fail\.test failed: http-01 validation: .*127\.0\.0\.2/
  const failures = () => gw.lines.filter((l) => failed.test(l)).length
  await waitFor(() => failures() > 0, { timeoutMs: LIFETIME_S * 1000, what: 'the failed renewal' })
  assert.ok(gw.lines.some((l) => /the certificate for fail\.test keeps serving until it expires at/.test(l)), gw.lines.slice(-10).join('\n'))
  const first = await presentedCertificate(tlsPort, 'fail.test')
  const status = gw.gateway.certificates()!.managed.find((c) => c.host === 'fail.test')!
  assert.equal(status.state, 'failing')
  assert.match(status.lastError!, /127\.0\.0\.2/)
  // The next try (backoff 1 s) fails too; meanwhile and after it, the old certificate serves.
  const seen = failures()
  await waitFor(() => failures() > seen, { timeoutMs: 5_000, what: 'the retry after backoff' })
  assert.ok(Date.now() < Date.parse(status.notAfter!), 'the test is too slow: the old certificate expired already')
  assert.equal((await presentedCertificate(tlsPort, 'fail.test')).serial, first.serial)
  assert.ok((await curlHttps('fail.test', tlsPort, root)).ok, 'the old certificate stopped serving')
  await pebble.resolveTo('fail.test', undefined)
  await waitFor(async () => {
    const now = await presentedCertificate(tlsPort, 'fail.test')
    return now.serial !== first.serial && now.subject !== 'CN=gatehouse' && now.serial // a new one, not the fallback
  }, { timeoutMs: 15_000, what: 'the renewal after the failure' })
  const after = await curlHttps('fail.test', tlsPort, root)
  assert.ok(after.ok, after.error)
  assert.ok(!gw.lines.some((l) => /the certificate for fail\.test expired/.test(l)), 'the old certificate expired before the renewal: the fallback served in between')
  assert.equal(gw.gateway.certificates()!.managed.find((c) => c.host === 'fail.test')!.state, 'valid')
})
