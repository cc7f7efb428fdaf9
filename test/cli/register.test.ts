/**
 * `gatehouse register` as a real process (node bin/gatehouse.js) against a REAL etcd: the key
 * appears, a gateway reading etcd serves the instance, SIGTERM removes the key at once, SIGKILL
 * lets the lease expire within the ttl, and an etcd outage longer than the ttl is survived.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { planRegister } from '../../plugins/etcd/register-command.ts'
import { etcd } from '../../plugins/etcd/index.ts'
import { startEtcd, type Etcd } from '../support/etcd.ts'
import { ROOT, startGateway, type TestGateway } from '../support/gateway.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { run, spawnLogged, waitFor, type LoggedProcess } from '../support/process.ts'

const BIN = join(ROOT, 'bin/gatehouse.js')

function spawnRegister(args: string[]): LoggedProcess {
  return spawnLogged(process.execPath, [BIN, 'register', ...args], { cwd: ROOT, name: 'gatehouse register' })
}

/** The value of `key` in etcd, or undefined. */
async function value(e: Etcd, key: string): Promise<string | undefined> {
  const res = await e.etcdctl(['get', key, '--print-value-only'])
  assert.equal(res.code, 0, res.stderr)
  return res.stdout.trim() || undefined
}

describe('gatehouse register: flags', () => {
  const env = () => undefined
  const cases: [string, string[], unknown][] = [
    ['--pool', ['--etcd', 'http://127.0.0.1:2379', '--pool', 'web', '--url', 'http://10.0.0.5:8000'],
      { endpoints: ['http://127.0.0.1:2379'], key: '/gatehouse/pools/web/10.0.0.5:8000', value: '{"url":"http://10.0.0.5:8000"}', ttl: 10 }],
    ['--prefix and --name (seed 004)', ['--etcd=http://a:2379,http://b:2379', '--prefix', '/app/servers/', '--name', 'app1', '--url', 'http://10.0.0.5:8000', '--ttl', '2s'],
      { endpoints: ['http://a:2379', 'http://b:2379'], key: '/app/servers/app1', value: '{"url":"http://10.0.0.5:8000"}', ttl: 2 }],
    ['weight, labels, a ttl rounded up to seconds', ['--etcd', 'http://e:2379', '--pool', 'api', '--url', 'https://[::1]:8443/', '--weight', '3', '--label', 'zone=a', '--label', 'track=canary', '--ttl', '1500ms'],
      { endpoints: ['http://e:2379'], key: '/gatehouse/pools/api/[::1]:8443', value: '{"url":"https://[::1]:8443","weight":3,"labels":{"zone":"a","track":"canary"}}', ttl: 2 }],
  ]
  for (const [name, args, plan] of cases) it(`plans ${name}`, () => assert.deepEqual(planRegister(args, env), plan))

  const bad: [string, string[], RegExp][] = [
    ['no etcd', ['--pool', 'web', '--url', 'http://h:1'], /--etcd: expected/],
    ['no pool or prefix', ['--etcd', 'http://e:2379', '--url', 'http://h:1'], /--pool NAME \(or --prefix \/dir\/\) is required/],
    ['a URL with a path', ['--etcd', 'http://e:2379', '--pool', 'web', '--url', 'http://h:1/app'], /--url: expected an upstream URL/],
    ['a prefix without trailing slash', ['--etcd', 'http://e:2379', '--prefix', '/app/servers', '--url', 'http://h:1'], /--prefix: expected a directory ending in "\/"/],
    ['a ttl under 1s', ['--etcd', 'http://e:2379', '--pool', 'web', '--url', 'http://h:1', '--ttl', '500ms'], /--ttl: expected a duration of at least 1s/],
    ['an unknown flag', ['--etcd', 'http://e:2379', '--pool', 'web', '--url', 'http://h:1', '--tll', '2s'], /unknown argument --tll/],
    ['a bad pool name', ['--etcd', 'http://e:2379', '--pool', 'a/b', '--url', 'http://h:1'], /--pool: "a\/b" is not a pool name/],
  ]
  for (const [name, args, problem] of bad) it(`rejects ${name}`, () => assert.match(String(planRegister(args, env)), problem))

  it('the CLI exits 2 with the problem and the usage on bad flags', async () => {
    const res = await run(process.execPath, [BIN, 'register', '--pool', 'web'], { timeoutMs: 30_000 })
    assert.equal(res.code, 2)
    assert.match(res.stderr, /gatehouse register: --etcd: expected/)
    assert.match(res.stderr, /usage: gatehouse register/)
  })
})

describe('gatehouse register: a real process, a real etcd, a gateway reading it', () => {
  let e: Etcd
  let up: Upstream
  let gw: TestGateway
  const timings: Record<string, number> = {}
  before(async () => {
    e = await startEtcd()
    up = await startUpstream(echo('instance'))
    gw = await startGateway({ pools: { web: { discovery: etcd({ endpoints: [e.endpoint] }) } }, routes: [{ path: '/*', pool: 'web' }] })
  })
  after(async () => {
    await gw?.stop()
    await up?.close()
    await e?.stop()
    console.log(`# register timings (ms): ${JSON.stringify(timings)}`)
  })

  it('puts the key while it runs (the gateway serves it); SIGTERM removes it at once', async () => {
    const key = `/gatehouse/pools/web/127.0.0.1:${up.port}`
    const t0 = Date.now()
    const proc = spawnRegister(['--etcd', e.endpoint, '--pool', 'web', '--url', up.url, '--ttl', '5s'])
    try {
      await waitFor(() => value(e, key), { timeoutMs: 15_000, what: `${key} in etcd`, abort: () => (proc.running() ? undefined : `register exited:\n${proc.tail()}`) })
      timings.startToKey = Date.now() - t0
      assert.deepEqual(JSON.parse((await value(e, key))!), { url: up.url })
      await waitFor(async () => (await fetch(gw.url)).headers.get('x-upstream') === 'instance' || undefined, { timeoutMs: 1000, what: 'the gateway serving the instance' })
      const t1 = Date.now()
      await proc.stop()
      timings.sigtermToExit = Date.now() - t1
      assert.deepEqual(await proc.exited, { code: 0, signal: null }, proc.tail())
      assert.equal(await value(e, key), undefined, 'the key is gone as soon as the process has exited')
      assert.match(proc.tail(), /deregistered .* \(lease revoked\)/)
      await waitFor(async () => (await fetch(gw.url)).status === 503 || undefined, { timeoutMs: 1000, what: 'the gateway dropping the instance' })
    } finally {
      await proc.stop(1000)
    }
  })

  it('a SIGKILLed register vanishes when its lease expires (--ttl 2s: within ~3 s)', async () => {
    const key = '/app/servers/killed'
    const proc = spawnRegister(['--etcd', e.endpoint, '--prefix', '/app/servers/', '--name', 'killed', '--url', up.url, '--ttl', '2s'])
    try {
      await waitFor(() => value(e, key), { timeoutMs: 15_000, what: `${key} in etcd`, abort: () => (proc.running() ? undefined : `register exited:\n${proc.tail()}`) })
      await new Promise((r) => setTimeout(r, 700)) // a keepalive or two (every ttl/3)
      process.kill(proc.pid, 'SIGKILL')
      const t0 = Date.now()
      await proc.exited
      assert.ok(await value(e, key), 'still there right after the kill: only the lease expiry removes it')
      await waitFor(async () => (await value(e, key)) === undefined || undefined, { timeoutMs: 3_000, intervalMs: 50, what: `${key} to expire` })
      timings.sigkillToGone = Date.now() - t0
    } finally {
      await proc.stop(1000)
    }
  })

  it('survives an etcd outage longer than its ttl: the key is back once etcd is', async () => {
    const key = `/gatehouse/pools/web/outage`
    const proc = spawnRegister(['--etcd', e.endpoint, '--pool', 'web', '--name', 'outage', '--url', up.url, '--ttl', '1s'])
    try {
      await waitFor(() => value(e, key), { timeoutMs: 15_000, what: `${key} in etcd` })
      await e.stop()
      await new Promise((r) => setTimeout(r, 3_000)) // > 2 × ttl without a keepalive: the lease counts as lost
      await e.restart()
      const t0 = Date.now()
      const grants = () => proc.tail(200).match(/lease [0-9a-f]+ granted/g)?.length ?? 0
      await waitFor(() => grants() >= 2 || undefined, { timeoutMs: 8_000, what: 'a new lease', abort: () => (proc.running() ? undefined : `register exited:\n${proc.tail()}`) })
      await waitFor(() => value(e, key), { timeoutMs: 2_000, what: `${key} back in etcd` })
      timings.restartToKey = Date.now() - t0
      await new Promise((r) => setTimeout(r, 1_500)) // longer than the ttl: the new lease is kept alive
      assert.ok(await value(e, key), `still registered:\n${proc.tail()}`)
      assert.match(proc.tail(200), /lease lost/)
      await waitFor(async () => (await fetch(gw.url)).headers.get('x-upstream') === 'instance' || undefined, { timeoutMs: 5_000, what: 'served again' })
    } finally {
      await proc.stop(5000)
    }
  })
})
