// A port in use is a clear one-line error and exit 1, not a stack trace.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../support/gateway.ts'
import { run } from '../support/process.ts'
import { gatewayCommand, RUNTIMES, spawnGatewayUnder } from '../support/runtimes.ts'

test('start on a port already in use exits 1 naming the address and the reason', async () => {
  const busy = createServer()
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r))
  const port = (busy.address() as { port: number }).port
  try {
    const dir = join(ROOT, 'test-output', 'configs')
    mkdirSync(dir, { recursive: true })
    const file = join(dir, `busy-${port}.config.ts`)
    writeFileSync(file, `import { defineConfig } from 'gatehouse'
export default defineConfig({ listen: { host: '127.0.0.1', port: ${port} }, pools: { web: { upstreams: ['http://127.0.0.1:9'] } }, routes: [{ pool: 'web' }] })
`)
    const res = await run(process.execPath, [join(ROOT, 'bin/gatehouse.js'), 'start', '--config', file], { timeoutMs: 30_000 })
    assert.equal(res.code, 1)
    assert.match(res.stderr, new RegExp(`^gatehouse: cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use$`, 'm'))
    assert.doesNotMatch(res.stderr, /\n\s+at /, 'a stack trace was printed')
  } finally {
    busy.close()
  }
})

// Bun 1.4 binds with SO_REUSEPORT when `idleTimeout` is set unless told otherwise: a second
// gateway on the same port then started "fine" and took part of the traffic. Every runtime must
// refuse the port a running gateway holds, even a gateway of the same runtime.
for (const runtime of RUNTIMES) {
  test(`${runtime}: a second gateway on a port a running one holds exits 1 instead of sharing it`, { timeout: 90_000 }, async () => {
    const source = (port: number) => `import { defineConfig } from 'gatehouse'
export default defineConfig({ listen: { host: '127.0.0.1', port: ${port} }, pools: { web: { upstreams: ['http://127.0.0.1:9'] } }, routes: [{ pool: 'web' }] })
`
    const first = await spawnGatewayUnder(runtime, source, 'port-holder')
    try {
      const file = join(ROOT, 'test-output', 'configs', `port-taker-${runtime}-${first.port}.config.ts`)
      writeFileSync(file, source(first.port))
      const { cmd, args } = gatewayCommand(runtime, ['start', '--config', file])
      const res = await run(cmd, args, { timeoutMs: 30_000 })
      assert.equal(res.code, 1, `the second gateway did not exit 1:\n${res.stderr}`)
      assert.match(res.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port}: the address is already in use`))
    } finally {
      await first.stop()
    }
  })
}
