// The bar for health and resilience: steady load through the gateway while upstreams crash, are
// replaced, stop gracefully, fail and hang — and not one client request fails.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { activeHealth } from '../../plugins/active-health/index.ts'
import { outlierDetection } from '../../plugins/outlier-detection/index.ts'
import { startGateway } from '../support/gateway.ts'
import { freePort } from '../support/ports.ts'
import { requireBinary, run, spawnLogged, waitFor, type LoggedProcess } from '../support/process.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const INTERVAL = 200
const FALL = 2

async function upstream(name: string, port?: number): Promise<{ name: string; port: number; url: string; proc: LoggedProcess }> {
  const p = port ?? (await freePort())
  const proc = spawnLogged(process.execPath, [join(import.meta.dirname, '../support/churn-upstream.mjs'), String(p), name], { name })
  await waitFor(() => proc.tail().includes('listening'), { timeoutMs: 5000, what: `${name} listening` })
  return { name, port: p, url: `http://127.0.0.1:${p}`, proc }
}

test('churn: SIGKILL, replacement, graceful stop, 500s and a hang under load — zero failed requests', { timeout: 90_000 }, async () => {
  const wrk = requireBinary('wrk')
  const ups = await Promise.all(['u1', 'u2', 'u3', 'u4'].map((n) => upstream(n)))
  const replacementPort = await freePort()
  const gw = await startGateway({
    pools: {
      web: {
        // The replacement's address is listed from the start: it is refused until it runs (seed 001's static list).
        upstreams: [...ups.map((u) => u.url), `http://127.0.0.1:${replacementPort}`],
        retries: 3,
        retryOn: [500, 502, 503],
        timeouts: { connect: '500ms', firstByte: '1s' },
        health: activeHealth({ path: '/', interval: INTERVAL, fall: FALL, rise: 2, timeout: '300ms', jitter: 0 }),
        outlier: outlierDetection({ consecutive: 3, baseEjection: '2s' }),
      },
    },
    routes: [{ pool: 'web' }],
  })
  const pool = { get upstreams() { return gw.gateway.pool('web')!.upstreams } }
  const unavailableSince = new Map<string, number>()
  const watcher = setInterval(() => {
    for (const u of pool.upstreams) if (!u.available && !unavailableSince.has(u.url.origin)) unavailableSince.set(u.url.origin, Date.now())
  }, 20)
  const events: string[] = []
  let replacement: Awaited<ReturnType<typeof upstream>> | undefined
  try {
    const load = run(wrk, ['-t2', '-c16', '-d15s', '--timeout', '5s', '--latency', gw.url + '/'], { timeoutMs: 30_000 })
    await sleep(2000)
    const killedAt = Date.now()
    process.kill(ups[0]!.proc.pid, 'SIGKILL')
    events.push('u1 SIGKILL')
    await sleep(2000)
    replacement = await upstream('u5', replacementPort)
    events.push('u5 started')
    await sleep(2000)
    process.kill(ups[1]!.proc.pid, 'SIGTERM')
    events.push('u2 SIGTERM')
    await sleep(2000)
    process.kill(ups[2]!.proc.pid, 'SIGUSR1')
    events.push('u3 answers 500')
    await sleep(3000)
    process.kill(ups[2]!.proc.pid, 'SIGUSR1')
    const hungAt = Date.now()
    process.kill(ups[3]!.proc.pid, 'SIGUSR2')
    events.push('u3 healthy again, u4 hangs')
    const result = await load
    const out = result.stdout
    const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
    const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)?.slice(1).map(Number).reduce((a, b) => a + b, 0) ?? 0
    const killedEjectedMs = (unavailableSince.get(ups[0]!.url) ?? Infinity) - killedAt
    const hungEjectedMs = (unavailableSince.get(ups[3]!.url) ?? Infinity) - hungAt
    console.log(`# churn: ${requests} requests, ${non2xx} non-2xx, ${socketErrors} socket errors; events: ${events.join(' → ')}`)
    console.log(`# churn: SIGKILLed upstream unavailable after ${killedEjectedMs} ms, hung one after ${hungEjectedMs} ms (fall ${FALL} × interval ${INTERVAL} ms + probe timeout)`)
    console.log(out.split('\n').filter((l) => /Latency|Req\/Sec|99%|requests in/.test(l)).map((l) => `#   ${l.trim()}`).join('\n'))
    assert.ok(requests > 1000, `only ${requests} requests were made`)
    assert.equal(non2xx, 0, 'some client requests got a non-2xx answer')
    assert.equal(socketErrors, 0, 'some client requests failed at the socket')
    // Active checks: `fall` failed probes, each at most interval + probe timeout apart.
    const bound = FALL * (INTERVAL + 300) + INTERVAL
    assert.ok(killedEjectedMs <= bound, `the SIGKILLed upstream stayed available ${killedEjectedMs} ms (bound ${bound})`)
    assert.ok(hungEjectedMs <= bound, `the hanging upstream stayed available ${hungEjectedMs} ms (bound ${bound})`)
  } finally {
    clearInterval(watcher)
    await gw.stop()
    await Promise.all([...ups, ...(replacement ? [replacement] : [])].map((u) => u.proc.stop(2000)))
  }
})
