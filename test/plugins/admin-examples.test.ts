// The deploy examples (examples/compose-etcd, examples/compose-docker) cannot run here (their
// images come from registries CI cannot reach), but their gateway configs must stay valid:
// `gatehouse check` passes with the admin token set, and refuses them without it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { join } from 'node:path'
import { ROOT } from '../support/gateway.ts'

const run = promisify(execFile)

async function check(config: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, 'bin/gatehouse.js'), 'check', '--config', config], { cwd: ROOT, env: { ...process.env, ...env } })
    return { code: 0, out: stdout + stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, out: e.stdout + e.stderr }
  }
}

for (const example of ['compose-etcd', 'compose-docker']) {
  test(`examples/${example}: the gateway config passes gatehouse check, and needs its admin token`, async () => {
    const config = join('examples', example, 'gateway.config.ts')
    const ok = await check(config, { GATEHOUSE_ADMIN_TOKEN: 'example-token-0123456789' })
    assert.equal(ok.code, 0, ok.out)
    assert.match(ok.out, /is valid \(1 pools, 1 routes\)/)
    const missing = await check(config, { GATEHOUSE_ADMIN_TOKEN: '' })
    assert.equal(missing.code, 1, missing.out)
    assert.match(missing.out, /admin\(\): token/)
  })
}
