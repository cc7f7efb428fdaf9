// No import cycles among the sources (type-only imports count: they tie the files' meanings together), checked with
// dpdm, a maintained dependency analyser: a cycle makes a file impossible to read, test or move on its own.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from '../support/runtimes.ts'

test('no import cycles in core/, plugins/ or bin/', () => {
  const dpdm = join(ROOT, 'node_modules', '.bin', 'dpdm')
  const args = ['--no-warning', '--no-tree', '--no-progress', '--exit-code', 'circular:1', 'core/**/*.ts', 'plugins/**/*.ts', 'bin/**/*.ts']
  const run = spawnSync(dpdm, args, { cwd: ROOT, encoding: 'utf8' })
  const analysed = /\[(\d+)\/\d+\] Analyze done/.exec(run.stdout + run.stderr)
  assert.ok(analysed && Number(analysed[1]) > 100, `dpdm analysed the tree:\n${run.stdout}${run.stderr}`)
  assert.equal(run.status, 0, `import cycles:\n${run.stdout}`)
})
