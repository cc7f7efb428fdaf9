// `workers` in the config, and how many a machine gets for 'auto' (cgroup CPU quota honoured).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { validateConfig } from '../../core/config/validate.ts'
import { coresAllowed, quotaCores } from '../../core/runtime/io/workers.ts'
import { planWorkers } from '../../core/workers/plan.ts'
import { nodeRuntime } from '../../core/runtime/node/index.ts'
import { bunRuntime } from '../../core/runtime/bun/index.ts'
import type { Runtime } from '../../core/runtime/types.ts'
import { tracing } from '../../plugins/tracing/index.ts'

const problems = (input: unknown) => {
  try {
    validateConfig(input)
    return []
  } catch (err) {
    return (err as { problems: string[] }).problems
  }
}

test('workers: default 1 (one process), "auto" or a whole number; anything else names the field', () => {
  assert.equal(validateConfig({}).workers, 1)
  assert.equal(validateConfig({ workers: 'auto' }).workers, 'auto')
  assert.equal(validateConfig({ workers: 4 }).workers, 4)
  for (const bad of [0, 1.5, 'all', 257]) assert.match(problems({ workers: bad }).join(), /^workers: /, String(bad))
})

test('workers > 1 with what needs one process yet (TLS, scale, release) is refused, naming the field', () => {
  const upstreams = ['http://127.0.0.1:8001']
  assert.deepEqual(problems({ workers: 2, pools: { web: { upstreams, scale: { min: 0 } } } }), [
    'workers: 2 cannot be combined with pools.web.scale yet (waking needs the primary on the request path); use workers: 1',
  ])
  assert.match(problems({ workers: 2, pools: { web: { upstreams, release: {} } } }).join(), /pools\.web\.release/)
  assert.deepEqual(problems({ workers: 1, pools: { web: { upstreams, scale: { min: 0 } } } }), [])
  assert.match(problems({ workers: 2, observe: [tracing({ endpoint: 'http://127.0.0.1:4318' })] }).join(), /^workers: 2 cannot be combined with observe\[0\] tracing\(\)/)
})

test('cores: the affinity mask, capped by a cgroup quota rounded up', () => {
  assert.equal(quotaCores('max 100000'), undefined)
  assert.equal(quotaCores('-1 100000'), undefined)
  assert.equal(quotaCores('150000 100000'), 1.5)
  assert.equal(coresAllowed(8, undefined), 8)
  assert.equal(coresAllowed(8, 1.5), 2)
  assert.equal(coresAllowed(2, 4), 2)
  assert.equal(coresAllowed(8, 0.2), 1)
})

test('plan: "auto" follows the cores; 1 core or a runtime without workers serves from one process', () => {
  const on = (cores: number): Runtime => ({ ...nodeRuntime, workers: { ...nodeRuntime.workers!, cores: () => cores } })
  assert.deepEqual(planWorkers(validateConfig({ workers: 'auto' }), on(4)), { count: 4 })
  assert.deepEqual(planWorkers(validateConfig({ workers: 'auto' }), on(1)), { count: 0 })
  assert.deepEqual(planWorkers(validateConfig({ workers: 3 }), on(1)), { count: 3 })
  assert.deepEqual(planWorkers(validateConfig({}), on(4)), { count: 0 })
  const withoutWorkers = { ...nodeRuntime, name: 'deno', workers: undefined } as Runtime
  assert.match(planWorkers(validateConfig({ workers: 2 }), withoutWorkers).note ?? '', /not available on deno/)
  assert.ok(bunRuntime.workers, 'Bun forks workers too')
})
