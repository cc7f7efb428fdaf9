#!/usr/bin/env node
// `npm test`: every test/**/*.test.ts through Node's own runner, with tsx for TypeScript.
// Node 20's --test takes no globs, so the files are listed here. `npm test -- test/proxy` runs a folder.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['test']
const files = roots.flatMap(function walk(p) {
  if (statSync(p).isFile()) return p.endsWith('.test.ts') ? [p] : []
  return readdirSync(p).sort().flatMap((name) => walk(join(p, name)))
})
const { status } = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-timeout=300000', ...files], { stdio: 'inherit' })
process.exit(status ?? 1)
