// core/version.ts is what metrics (gatehouse_build_info) and the dashboard report: it must say what package.json says.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { GATEHOUSE_VERSION } from '../../core/version.ts'

test('core/version.ts matches package.json', () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }
  assert.equal(GATEHOUSE_VERSION, pkg.version)
})
