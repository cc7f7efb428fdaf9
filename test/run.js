#!/usr/bin/env node
// `npm test`: builds dist/ (the package as it ships), then runs every test/**/*.test.ts through
// Node's own runner, with tsx for TypeScript, on the current LTS Node (test/support/node-binary.js;
// installed from the npm registry on first use). That Node's folder goes first on PATH, so `node`,
// `npm` and `npx` in the tests run on it too.
//
//   npm test                       the whole suite on Node LTS
//   npm test -- test/proxy         a folder (or files)
//   npm test -- --node oldest      on the oldest supported Node (or --node 24.11.0)
//   npm test -- test/x.test.ts --test-name-pattern=churn   Node's own --test* flags pass through
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { nodeBinary } from './support/node-binary.js'

const args = process.argv.slice(2)
const at = args.indexOf('--node')
const which = at >= 0 ? args.splice(at, 2)[1] : (process.env.GATEHOUSE_TEST_NODE ?? 'lts')
const node = nodeBinary(which)
const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}` }

const built = spawnSync(node, [join(import.meta.dirname, '..', 'scripts', 'build.js')], { stdio: 'inherit', env })
if (built.status !== 0) process.exit(built.status ?? 1)

const flags = args.filter((a) => a.startsWith('--test'))
const paths = args.filter((a) => !a.startsWith('--test'))
const roots = paths.length ? paths : ['test']
const files = roots.flatMap(function walk(p) {
  if (statSync(p).isFile()) return p.endsWith('.test.ts') ? [p] : []
  return readdirSync(p).sort().flatMap((name) => walk(join(p, name)))
})
console.log(`# node ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()} (${node})`)
const { status } = spawnSync(node, ['--import', 'tsx', '--test', '--test-timeout=300000', ...flags, ...files], { stdio: 'inherit', env })
process.exit(status ?? 1)
