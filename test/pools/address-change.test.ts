/**
 * An upstream that keeps its id but gets a new address (an etcd key re-put, a file entry with an
 * explicit id) is sent to the new address: the transport's connection pool made for the old one
 * is retired, not reused. Spawned gateways on Node, Bun and Deno under a small request loop;
 * the two upstreams answer with their own name; zero failed requests, also once the old one is gone.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { startEtcd, type Etcd } from '../support/etcd.ts'
import { startUpstream, type Upstream } from '../support/http-upstream.ts'
import { waitFor } from '../support/process.ts'
import { ROOT, RUNTIMES, spawnGatewayUnder, type RuntimeGateway } from '../support/runtimes.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const named = (name: string) => startUpstream((_req, res) => res.end(name))

interface Answer {
  at: number
  who: string
}

/** `workers` keep-alive loops until `until`: every answer by time and body, every failure. */
async function loop(url: string, until: number, workers = 4) {
  const agent = new Agent({ keepAlive: true, maxSockets: workers })
  const answers: Answer[] = []
  const failures: string[] = []
  const once = () =>
    new Promise<void>((resolve) => {
      const req = request(url, { agent, timeout: 3000 }, (res) => {
        let body = ''
        res.on('data', (c) => (body += c))
        res.on('end', () => {
          if (res.statusCode === 200) answers.push({ at: Date.now(), who: body })
          else failures.push(`${res.statusCode} ${body.trim()}`)
          resolve()
        })
      })
      req.on('timeout', () => req.destroy(new Error('client timeout')))
      req.on('error', (err) => (failures.push(err.message), resolve()))
      req.end()
    })
  await Promise.all(Array.from({ length: workers }, async () => { while (Date.now() < until) (await once(), await sleep(5)) }))
  agent.destroy()
  return { answers, failures }
}

/**
 * Load for 4.5 s: on A first, `move()` to B at +1.5 s, A closed at +3 s. Asserts that B serves
 * everything from 1 s after the move, and that nothing failed.
 */
async function moveUnderLoad(gw: RuntimeGateway, a: Upstream, move: () => Promise<unknown>): Promise<void> {
  await waitFor(async () => (await fetch(gw.url + '/').then((r) => r.text()).catch(() => '')) === 'A' || undefined, {
    timeoutMs: 5000,
    what: 'A serving',
    abort: () => (gw.proc.running() ? undefined : gw.proc.tail()),
  }).catch((err: Error) => assert.fail(`${err.message}; gateway log:\n${gw.proc.tail()}`))
  const t0 = Date.now()
  const load = loop(gw.url + '/', t0 + 4500)
  await sleep(1500)
  const movedAt = Date.now()
  await move()
  await sleep(1500)
  await a.close()
  const { answers, failures } = await load
  const late = answers.filter((x) => x.at > movedAt + 1000)
  const stale = late.filter((x) => x.who !== 'B')
  console.log(`# ${gw.runtime}: ${answers.length} answers, ${failures.length} failed, ${late.length} after the move settled (${stale.length} from A)`)
  assert.deepEqual(failures, [])
  assert.ok(late.length > 50, `only ${late.length} requests after the move`)
  assert.equal(stale.length, 0, 'requests still reached the old address')
  assert.ok(answers.some((x) => x.who === 'A' && x.at < movedAt), 'A served before the move')
}

let e: Etcd
before(async () => void (e = await startEtcd()))
after(async () => e?.stop())

for (const runtime of RUNTIMES.filter((r) => !process.env.E2E_ONLY || process.env.E2E_ONLY.split(',').includes(r))) {
  describe(`an upstream that moves to a new address under the same id, on ${runtime}`, { timeout: 90_000 }, () => {
    test('etcd: the key re-put with a new address', async () => {
      const [a, b] = [await named('A'), await named('B')]
      const prefix = `/moves/${runtime}/`
      await e.etcdctl(['put', `${prefix}app1`, `127.0.0.1:${a.port}`])
      const gw = await spawnGatewayUnder(
        runtime,
        (port) => `import { defineConfig } from 'gatehouse'
import { etcd } from 'gatehouse/plugins/etcd'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  pools: { app: { discovery: etcd({ endpoints: ['${e.endpoint}'], prefix: '${prefix}' }) } },
  routes: [{ pool: 'app' }],
})
`,
        'address-change-etcd',
      )
      try {
        await moveUnderLoad(gw, a, () => e.etcdctl(['put', `${prefix}app1`, `127.0.0.1:${b.port}`]))
        assert.match(gw.proc.tail(200), new RegExp(`~upstream http://127.0.0.1:${b.port} \\(etcd@pools.app, id ${prefix}app1\\)`))
      } finally {
        await gw.stop()
        await Promise.all([a.close(), b.close()])
      }
    })

    test('file: an entry with an explicit id gets a new url', async () => {
      const [a, b] = [await named('A'), await named('B')]
      // Inside the repo: Deno may read only there (--allow-read=.).
      mkdirSync(join(ROOT, 'test-output'), { recursive: true })
      const path = join(mkdtempSync(join(ROOT, 'test-output', 'move-')), 'registry.json')
      const write = (url: string) => {
        writeFileSync(`${path}.tmp`, JSON.stringify({ pools: { app: [{ id: 'app1', url }] } }))
        renameSync(`${path}.tmp`, path)
      }
      write(a.url)
      const gw = await spawnGatewayUnder(
        runtime,
        (port) => `import { defineConfig } from 'gatehouse'
import { file } from 'gatehouse/plugins/file'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  pools: { app: { discovery: file({ path: '${path}', debounce: '20ms', poll: '200ms' }) } },
  routes: [{ pool: 'app' }],
})
`,
        'address-change-file',
      )
      try {
        await moveUnderLoad(gw, a, async () => write(b.url))
      } finally {
        await gw.stop()
        await Promise.all([a.close(), b.close()])
      }
    })
  })
}
