/**
 * Instances come and go under load, discovered live from a real dockerd and a real etcd:
 * seed 003 (a request loop while containers, keys and registered processes are added and
 * removed gracefully) and the churn test of the health issue on a Docker pool (docker kill,
 * docker stop, a replacement). Both demand zero failed client requests.
 */
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { docker } from '../../plugins/docker/index.ts'
import { etcd } from '../../plugins/etcd/index.ts'
import { leastConn } from '../../plugins/least-conn/index.ts'
import { activeHealth } from '../../plugins/active-health/index.ts'
import { startDockerd, type Dockerd } from '../support/dockerd.ts'
import { startEtcd, type Etcd } from '../support/etcd.ts'
import { ROOT, startGateway } from '../support/gateway.ts'
import { startUpstream, type Upstream } from '../support/http-upstream.ts'
import { freePort } from '../support/ports.ts'
import { requireBinary, run, spawnLogged, waitFor, type LoggedProcess } from '../support/process.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let d: Dockerd
let e: Etcd
before(async () => {
  ;[d, e] = await Promise.all([startDockerd(), startEtcd()])
})
after(async () => {
  await Promise.all([d?.stop(), e?.stop()])
})

async function sh(args: string[]): Promise<string> {
  const r = await d.docker(args)
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`)
  return r.stdout.trim()
}

/** A busybox httpd container on the host network whose page is its name. */
async function container(name: string, pool: string): Promise<void> {
  const port = await freePort()
  await sh(['run', '-d', '--name', name, '--network', 'host', '-l', `gatehouse.pool=${pool}`, '-l', `gatehouse.port=${port}`, d.image, 'sh', '-c',
    `mkdir -p /www && echo ${name} > /www/index.html && exec httpd -f -p 127.0.0.1:${port} -h /www`])
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined))?.ok === true, { timeoutMs: 10_000, what: `${name} serving` })
}

async function nodeUpstream(name: string): Promise<Upstream> {
  return startUpstream((_req, res) => res.end(`${name}\n`))
}

function register(name: string, url: string): LoggedProcess {
  return spawnLogged(process.execPath, [join(ROOT, 'bin/gatehouse.js'), 'register', '--etcd', e.endpoint, '--prefix', '/app/servers/', '--name', name, '--url', url, '--ttl', '5s'], { cwd: ROOT, name })
}

/** `workers` loops sending requests every `gapMs` until `until`; counts answers by body and every failure. */
async function requestLoop(url: string, until: number, workers = 4, gapMs = 40) {
  const served = new Map<string, number>()
  const failures: string[] = []
  let total = 0
  const once = () =>
    new Promise<void>((resolve) => {
      const req = request(url, { timeout: 5000 }, (res) => {
        let body = ''
        res.on('data', (c) => (body += c))
        res.on('end', () => {
          total++
          if (res.statusCode === 200) served.set(body.trim(), (served.get(body.trim()) ?? 0) + 1)
          else failures.push(`${res.statusCode} ${body.trim()}`)
          resolve()
        })
      })
      req.on('timeout', () => req.destroy(new Error('timeout')))
      req.on('error', (err) => ((total++, failures.push(err.message)), resolve()))
      req.end()
    })
  await Promise.all(Array.from({ length: workers }, async () => { while (Date.now() < until) (await once(), await sleep(gapMs)) }))
  return { total, failures, served }
}

test('seed 003: containers, etcd keys and registered processes come and go under a request loop — zero failures', { timeout: 120_000 }, async () => {
  const gw = await startGateway({
    pools: { web: { balancer: leastConn(), discovery: [docker({ socketPath: d.socketPath, label: 'gatehouse.pool=web' }), etcd({ endpoints: [e.endpoint], prefix: '/app/servers/' })] } },
    routes: [{ pool: 'web' }],
  })
  const nodes = await Promise.all(['n1', 'n2', 'n3', 'n4'].map(nodeUpstream))
  const registered: LoggedProcess[] = []
  try {
    await Promise.all([container('c1', 'web'), container('c2', 'web')])
    await e.etcdctl(['put', '/app/servers/n1', `127.0.0.1:${nodes[0]!.port}`])
    registered.push(register('n2', nodes[1]!.url))
    const pool = () => gw.gateway.pool('web')!
    await waitFor(() => pool().upstreams.length === 4, { timeoutMs: 10_000, what: 'four upstreams discovered' })

    const loop = requestLoop(gw.url + '/', Date.now() + 20_000)
    const steps: [number, string, () => Promise<unknown> | unknown][] = [
      [2000, 'start container c3', () => container('c3', 'web')],
      [4000, 'put key n3', () => e.etcdctl(['put', '/app/servers/n3', `127.0.0.1:${nodes[2]!.port}`])],
      [6000, 'docker stop c1', () => sh(['stop', '-t', '3', 'c1'])],
      [8000, 'register n4', () => registered.push(register('n4', nodes[3]!.url))],
      [10000, 'delete key n1, then stop n1', async () => (await e.etcdctl(['del', '/app/servers/n1']), await sleep(1000), await nodes[0]!.close())],
      [12500, 'SIGTERM register n2, then stop n2', async () => (await registered[0]!.stop(), await sleep(1000), await nodes[1]!.close())],
      [15000, 'docker stop c2', () => sh(['stop', '-t', '3', 'c2'])],
    ]
    const t0 = Date.now()
    for (const [at, what, act] of steps) {
      await sleep(Math.max(0, at - (Date.now() - t0)))
      await act()
      console.log(`# seed 003 +${((Date.now() - t0) / 1000).toFixed(1)}s: ${what}`)
    }
    const { total, failures, served } = await loop
    console.log(`# seed 003: ${total} requests, ${failures.length} failed; served by ${[...served].map(([k, v]) => `${k}=${v}`).join(' ')}`)
    assert.ok(total >= 1000, `only ${total} requests`)
    assert.deepEqual(failures, [])
    for (const late of ['c3', 'n3', 'n4']) assert.ok((served.get(late) ?? 0) > 0, `${late} never took traffic`)
    assert.deepEqual(pool().upstreams.map((u) => u.id).length, 3, 'c3, n3 and n4 should remain')
  } finally {
    await gw.stop()
    for (const p of registered) await p.stop()
    await Promise.all(nodes.map((n) => n.close().catch(() => {})))
    await d.docker(['rm', '-f', 'c1', 'c2', 'c3'])
  }
})

test('churn on a Docker pool: docker kill, docker stop and a replacement under wrk load — zero failures', { timeout: 120_000 }, async () => {
  const wrk = requireBinary('wrk')
  const gw = await startGateway({
    pools: {
      app: {
        discovery: docker({ socketPath: d.socketPath, label: 'gatehouse.pool=app' }),
        retries: 3,
        timeouts: { connect: '500ms', firstByte: '2s' },
        health: activeHealth({ interval: '200ms', fall: 2, rise: 2, timeout: '300ms', jitter: 0 }),
      },
    },
    routes: [{ pool: 'app' }],
  })
  try {
    await Promise.all(['d1', 'd2', 'd3', 'd4'].map((n) => container(n, 'app')))
    const pool = gw.gateway.pool('app')!
    await waitFor(() => pool.available().length === 4, { timeoutMs: 10_000, what: 'four containers available' })
    // What the gateway answered besides 200 (a 499 is wrk's own cut at its end): named if the test fails.
    const answeredOtherwise: string[] = []
    gw.gateway.events.on('request', (r) => void (r.status !== 200 && r.status !== 499 && answeredOtherwise.push(`${r.status} ${r.error ?? ''} after ${r.tries} tries (${r.retryReasons.join(', ')})`)))
    const load = run(wrk, ['-t2', '-c16', '-d15s', '--timeout', '5s', gw.url + '/'], { timeoutMs: 40_000 })
    await sleep(2500)
    await sh(['kill', 'd1'])
    await sleep(2500)
    await container('d5', 'app')
    await sleep(2500)
    await sh(['stop', '-t', '2', 'd2'])
    await sleep(2500)
    await sh(['kill', '--signal', 'KILL', 'd3'])
    const out = (await load).stdout
    const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
    const socketLine = /Socket errors: .*/.exec(out)?.[0]
    const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)?.slice(1).map(Number).reduce((a, b) => a + b, 0) ?? 0
    console.log(`# docker churn: ${requests} requests, ${non2xx} non-2xx, ${socketErrors} socket errors${socketLine ? ` (${socketLine})` : ''} (docker kill d1, d5 started, docker stop d2, docker kill -s KILL d3)`)
    assert.ok(requests > 1000)
    assert.equal(non2xx, 0, answeredOtherwise.join('; '))
    assert.equal(socketErrors, 0, answeredOtherwise.join('; '))
  } finally {
    await gw.stop()
    await d.docker(['rm', '-f', 'd1', 'd2', 'd3', 'd4', 'd5'])
  }
})
