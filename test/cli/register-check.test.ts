/**
 * `gatehouse register` never outlives what it registers: with `--check-pid` it withdraws the key
 * and exits when the instance's process is gone; with `--check-url` it withdraws the key while the
 * instance does not answer and puts it back when it does. Real processes, a real etcd; the lease
 * ttl (30 s) is far longer than the check interval (1 s), so only the check can remove the key in time.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { planRegister } from '../../plugins/etcd/register-command.ts'
import { startEtcd, type Etcd } from '../support/etcd.ts'
import { ROOT } from '../support/gateway.ts'
import { freePort } from '../support/ports.ts'
import { spawnLogged, waitFor, type LoggedProcess } from '../support/process.ts'

const BIN = join(ROOT, 'bin/gatehouse.js')
const INTERVAL_MS = 1_000
/** A withdrawal may take one interval, the probe itself and the etcd delete. */
const WITHDRAWN_WITHIN_MS = INTERVAL_MS + 1_500

/** An instance: a node:http server on `port` answering /health, as its own process. */
function startInstance(port: number): LoggedProcess {
  const code = `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1', () => console.log('listening'))`
  return spawnLogged(process.execPath, ['-e', code], { name: `instance:${port}` })
}

async function listening(proc: LoggedProcess): Promise<void> {
  await waitFor(() => proc.tail().includes('listening'), { timeoutMs: 10_000, what: `${proc.name} listening`, abort: () => (proc.running() ? undefined : proc.tail()) })
}

describe('gatehouse register --check-*: flags', () => {
  const base = ['--etcd', 'http://127.0.0.1:2379', '--pool', 'web', '--url', 'http://10.0.0.5:8000']
  it('plans a URL check and a PID check, 5s by default', () => {
    const plan = planRegister([...base, '--check-url', 'http://10.0.0.5:8000/health'], () => undefined)
    assert.deepEqual(typeof plan === 'object' && plan.check, { url: 'http://10.0.0.5:8000/health', intervalMs: 5000 })
    const pid = planRegister([...base, '--check-pid', '4242', '--check-interval', '2s'], () => undefined)
    assert.deepEqual(typeof pid === 'object' && pid.check, { pid: 4242, intervalMs: 2000 })
  })
  it('rejects bad check flags', () => {
    assert.match(String(planRegister([...base, '--check-url', 'ftp://x'], () => undefined)), /--check-url: expected an http\(s\) URL/)
    assert.match(String(planRegister([...base, '--check-pid', 'abc'], () => undefined)), /--check-pid: expected a process id/)
    assert.match(String(planRegister([...base, '--check-interval', '1s'], () => undefined)), /--check-interval needs --check-url or --check-pid/)
  })
})

describe('gatehouse register --check-*: a real etcd', () => {
  let e: Etcd
  const procs: LoggedProcess[] = []
  before(async () => { e = await startEtcd() })
  after(async () => {
    for (const p of procs) await p.stop()
    await e?.stop()
  })
  const value = async (key: string) => (await e.etcdctl(['get', key, '--print-value-only'])).stdout.trim() || undefined
  const register = (args: string[]) => {
    const p = spawnLogged(process.execPath, [BIN, 'register', '--etcd', e.endpoint, '--ttl', '30s', '--check-interval', `${INTERVAL_MS}ms`, ...args], { cwd: ROOT, name: 'register' })
    procs.push(p)
    return p
  }

  it('--check-pid: the instance killed → the key is withdrawn within the interval and register exits 0', async () => {
    const port = await freePort()
    const instance = startInstance(port)
    procs.push(instance)
    await listening(instance)
    const key = `/gatehouse/pools/web/127.0.0.1:${port}`
    const reg = register(['--pool', 'web', '--url', `http://127.0.0.1:${port}`, '--check-pid', String(instance.pid)])
    await waitFor(async () => (await value(key)) !== undefined, { timeoutMs: 15_000, what: 'the key', abort: () => (reg.running() ? undefined : reg.tail()) })
    const t0 = Date.now()
    process.kill(instance.pid, 'SIGKILL')
    await waitFor(async () => (await value(key)) === undefined, { timeoutMs: WITHDRAWN_WITHIN_MS, intervalMs: 50, what: `the key withdrawn within ${WITHDRAWN_WITHIN_MS} ms` })
    const withdrawnMs = Date.now() - t0
    const { code } = await reg.exited
    assert.equal(code, 0, reg.tail())
    assert.match(reg.tail(), /instance PID \d+ is gone: withdrawing/)
    console.log(`# --check-pid: key withdrawn ${withdrawnMs} ms after SIGKILL (interval ${INTERVAL_MS} ms), register exited 0`)
  })

  it('--check-url: no answer → withdrawn within the interval; answering again → registered again', async () => {
    const port = await freePort()
    let instance = startInstance(port)
    procs.push(instance)
    await listening(instance)
    const key = `/app/servers/app-${port}`
    const reg = register(['--prefix', '/app/servers/', '--name', `app-${port}`, '--url', `http://127.0.0.1:${port}`, '--check-url', `http://127.0.0.1:${port}/health`])
    await waitFor(async () => (await value(key)) !== undefined, { timeoutMs: 15_000, what: 'the key', abort: () => (reg.running() ? undefined : reg.tail()) })
    const t0 = Date.now()
    await instance.stop()
    await waitFor(async () => (await value(key)) === undefined, { timeoutMs: WITHDRAWN_WITHIN_MS, intervalMs: 50, what: `the key withdrawn within ${WITHDRAWN_WITHIN_MS} ms` })
    const withdrawnMs = Date.now() - t0
    assert.ok(reg.running(), 'register keeps watching a failing URL')
    instance = startInstance(port)
    procs.push(instance)
    await listening(instance)
    await waitFor(async () => (await value(key)) === `{"url":"http://127.0.0.1:${port}"}`, { timeoutMs: WITHDRAWN_WITHIN_MS, intervalMs: 50, what: 'the key back' })
    console.log(`# --check-url: key withdrawn ${withdrawnMs} ms after the instance stopped, back once it answered`)
  })
})
