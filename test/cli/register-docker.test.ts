/**
 * `gatehouse registrator` as a real process between a REAL private dockerd and a REAL etcd: a
 * labelled busybox container is registered (pool key + route key, under a lease), a gateway that
 * only reads etcd serves it by its route, `docker stop` deregisters it, and SIGTERM takes every
 * key of this host away at once.
 */
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { etcd } from '../../plugins/etcd/index.ts'
import { startDockerd, type Dockerd } from '../support/dockerd.ts'
import { startEtcd, type Etcd } from '../support/etcd.ts'
import { ROOT, startGateway, type TestGateway } from '../support/gateway.ts'
import { freePort } from '../support/ports.ts'
import { spawnLogged, waitFor, type LoggedProcess } from '../support/process.ts'

/** Keys and values under a prefix. */
async function keys(e: Etcd, prefix: string): Promise<Map<string, string>> {
  const res = await e.etcdctl(['get', '--prefix', prefix])
  assert.equal(res.code, 0, res.stderr)
  const lines = res.stdout.split('\n').filter(Boolean)
  const out = new Map<string, string>()
  for (let i = 0; i + 1 < lines.length; i += 2) out.set(lines[i]!, lines[i + 1]!)
  return out
}

/** node:http, not fetch: fetch drops a Host header it is given. */
function hit(base: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/`, { agent: false, headers: { host }, timeout: 3000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, body: body.trim() }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

describe('gatehouse registrator: Docker → etcd → a gateway', () => {
  let d: Dockerd
  let e: Etcd
  let gw: TestGateway
  let proc: LoggedProcess
  const timings: Record<string, number> = {}

  before(async () => {
    ;[d, e] = await Promise.all([startDockerd(), startEtcd()])
    gw = await startGateway({ discovery: [etcd({ endpoints: [e.endpoint] })] })
  })
  after(async () => {
    await proc?.stop(2000)
    await gw?.stop()
    await d?.stop()
    await e?.stop()
    console.log(`# registrator timings (ms): ${JSON.stringify(timings)}`)
  })

  it('registers a labelled container with its route, deregisters it on docker stop, and everything on SIGTERM', async () => {
    const port = await freePort()
    proc = spawnLogged(
      process.execPath,
      [join(ROOT, 'bin/gatehouse.js'), 'registrator', '--etcd', e.endpoint, '--docker-socket', d.socketPath, '--ttl', '2s', '--name', 'hostA'],
      { cwd: ROOT, name: 'gatehouse registrator' },
    )
    const alive = () => (proc.running() ? undefined : `registrator exited:\n${proc.tail()}`)
    await waitFor(() => /registrator: following Docker/.test(proc.tail()) || undefined, { timeoutMs: 15_000, what: 'the registrator', abort: alive })

    const labels = { 'gatehouse.pool': 'web', 'gatehouse.port': String(port), 'gatehouse.host': 'reg.test' }
    const run = await d.docker([
      'run', '-d', '--name', 'web1', '--network', 'host', ...Object.entries(labels).flatMap(([k, v]) => ['-l', `${k}=${v}`]), d.image,
      'sh', '-c', `mkdir -p /www && echo Hello > /www/index.html && exec httpd -f -p 127.0.0.1:${port} -h /www`,
    ])
    assert.equal(run.code, 0, run.stderr)
    const id = run.stdout.trim()
    const t0 = Date.now()
    const poolKey = `/gatehouse/pools/web/hostA-${id.slice(0, 12)}`
    await waitFor(async () => (await keys(e, '/gatehouse/pools/')).has(poolKey) || undefined, { timeoutMs: 5000, what: poolKey, abort: alive })
    timings.runToKey = Date.now() - t0
    assert.deepEqual(JSON.parse((await keys(e, '/gatehouse/pools/')).get(poolKey)!), {
      url: `http://127.0.0.1:${port}`,
      labels: { container: 'web1', image: d.image },
    })
    const routes = await keys(e, '/gatehouse/routes/')
    assert.equal(routes.size, 1)
    const [routeKey, route] = [...routes][0]!
    assert.match(routeKey, /^\/gatehouse\/routes\/hostA\/web-[0-9a-f]{8}$/)
    assert.deepEqual(JSON.parse(route), { host: 'reg.test', path: '/*', pool: 'web' })

    // The gateway knows nothing but etcd: pool and route both come from the registrator's keys.
    await waitFor(async () => (await hit(gw.url, 'reg.test')).body === 'Hello' || undefined, { timeoutMs: 5000, what: 'reg.test served' })
    timings.runToServed = Date.now() - t0

    const t1 = Date.now()
    const stop = d.docker(['stop', '-t', '2', 'web1']) // the kill event deregisters it before the container exits
    await waitFor(async () => !(await keys(e, '/gatehouse/pools/')).has(poolKey) || undefined, { timeoutMs: 2000, intervalMs: 50, what: `${poolKey} removed` })
    timings.stopToGone = Date.now() - t1
    // busybox httpd ignores TERM as PID 1: for 2 s the container is stopping, its route stays (503, not 404)
    await waitFor(async () => (await hit(gw.url, 'reg.test')).status === 503 || undefined, { timeoutMs: 1000, what: '503 while stopping' })
    assert.equal((await stop).code, 0)
    await waitFor(async () => (await keys(e, '/gatehouse/routes/')).size === 0 || undefined, { timeoutMs: 2000, what: 'the route key removed once the container exited' })
    await waitFor(async () => (await hit(gw.url, 'reg.test')).status === 404 || undefined, { timeoutMs: 1000, what: '404 once its route is gone' })

    // A second container, then SIGTERM: the lease is revoked and every key of hostA goes at once.
    assert.equal((await d.docker(['start', 'web1'])).code, 0)
    await waitFor(async () => (await keys(e, '/gatehouse/pools/')).has(poolKey) || undefined, { timeoutMs: 5000, what: `${poolKey} back` })
    await proc.stop()
    assert.deepEqual(await proc.exited, { code: 0, signal: null }, proc.tail())
    assert.equal((await keys(e, '/gatehouse/')).size, 0, 'no key left after SIGTERM')
  })
})
