// Smoke tests for the real-service fixtures. They never skip: CI installs the
// binaries (.ci/install-deps.sh), so a missing one must fail loudly here
// rather than let every discovery test silently pass without running.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { promises as dns } from 'node:dns'
import { startDockerd } from './dockerd.ts'
import { startEtcd } from './etcd.ts'
import { startDnsmasq } from './dnsmasq.ts'
import { freePort } from './ports.ts'
import { waitFor } from './process.ts'

test('dockerd: busybox httpd container on the host network serves a page', { timeout: 120_000 }, async (t) => {
  const d = await startDockerd()
  t.after(() => d.stop())
  const port = await freePort()
  const body = `Hello from gatehouse ${port}`
  const started = await d.docker([
    'run', '-d', '--name', 'web', '--network', 'host', d.image,
    'sh', '-c', `mkdir -p /www && echo '${body}' > /www/index.html && exec httpd -f -p 127.0.0.1:${port} -h /www`,
  ])
  assert.equal(started.code, 0, started.stderr)

  const text = await waitFor(
    async () => {
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) })
      return res.ok ? await res.text() : undefined
    },
    { timeoutMs: 15_000, what: 'httpd in the container' },
  )
  assert.equal(text.trim(), body)

  const stopped = await d.docker(['stop', '-t', '1', 'web'])
  assert.equal(stopped.code, 0, stopped.stderr)
  await assert.rejects(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) }))
})

test('etcd: a key survives stop and restart', { timeout: 60_000 }, async (t) => {
  const etcd = await startEtcd()
  t.after(() => etcd.stop())
  const put = await etcd.etcdctl(['put', '/gatehouse/test', 'v1'])
  assert.equal(put.code, 0, put.stderr)
  const get = async () => {
    const res = await etcd.etcdctl(['get', '/gatehouse/test', '--print-value-only'])
    assert.equal(res.code, 0, res.stderr)
    return res.stdout.trim()
  }
  assert.equal(await get(), 'v1')

  await etcd.stop()
  const down = await etcd.etcdctl(['get', '/gatehouse/test', '--dial-timeout=500ms', '--command-timeout=1s'])
  assert.notEqual(down.code, 0, 'etcd should be unreachable while stopped')

  await etcd.restart()
  assert.equal(await get(), 'v1')
})

test('dnsmasq: serves SRV and A records, restart swaps them', { timeout: 60_000 }, async (t) => {
  const srv = { name: '_http._tcp.svc.test', target: 'web.svc.test', port: 8080, priority: 1, weight: 10 }
  const dnsmasq = await startDnsmasq({ srv: [srv], a: [{ name: 'web.svc.test', ip: '127.0.0.5' }] })
  t.after(() => dnsmasq.stop())
  const resolver = new dns.Resolver({ timeout: 2000, tries: 1 })
  resolver.setServers([`127.0.0.1:${dnsmasq.port}`])

  // The record's fields (Node 26 also tags each record with `type: 'SRV'`).
  const records = (await resolver.resolveSrv(srv.name)).map(({ name, port, priority, weight }) => ({ name, port, priority, weight }))
  assert.deepEqual(records, [{ name: 'web.svc.test', port: 8080, priority: 1, weight: 10 }])
  assert.deepEqual(await resolver.resolve4('web.svc.test'), ['127.0.0.5'])

  await dnsmasq.restart({ srv: [{ ...srv, port: 9090 }] })
  const after = await resolver.resolveSrv(srv.name)
  assert.equal(after.length, 1)
  assert.equal(after[0]!.port, 9090)
})
