// core/ is the portable gateway; plugins/ build on it, never the other way round. The defaults core
// needs (round robin, static upstreams, certificate files) live in core, and the CLI commands that
// need plugins are composed in bin/. This scans every import in core/**/*.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { ROOT } from '../support/gateway.ts'

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))
}

/** Imports of `file` that resolve into plugins/ (relative paths) or name the package's plugins. */
export function pluginImports(file: string, source: string): string[] {
  const found: string[] = []
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '') // examples in comments are not imports
  for (const m of code.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3]!
    const target = spec.startsWith('.') ? relative(ROOT, resolve(dirname(file), spec)) : spec
    if (/^plugins\//.test(target) || /^gatehouse\/plugins\//.test(spec)) found.push(spec)
  }
  return found
}

test('the scan finds a plugin import when there is one (static, dynamic, re-export)', () => {
  const file = join(ROOT, 'core/x/y.ts')
  assert.deepEqual(pluginImports(file, `import { a } from '../../plugins/jwt/index.ts'`), ['../../plugins/jwt/index.ts'])
  assert.deepEqual(pluginImports(file, `const m = await import('../../plugins/docker/client.ts')`), ['../../plugins/docker/client.ts'])
  assert.deepEqual(pluginImports(file, `export { b } from 'gatehouse/plugins/etcd'`), ['gatehouse/plugins/etcd'])
  assert.deepEqual(pluginImports(file, `import type { C } from '../plugin/contract.ts'`), [])
  assert.deepEqual(pluginImports(file, `/**\n * import { x } from 'gatehouse/plugins/jwt'\n */\n// import '../../plugins/a.ts'`), [], 'comments are not imports')
})

test('core/ imports nothing from plugins/', () => {
  const files = tsFiles(join(ROOT, 'core'))
  assert.ok(files.length > 100, `found only ${files.length} files under core/`)
  const offenders = files.flatMap((f) => pluginImports(f, readFileSync(f, 'utf8')).map((spec) => `${relative(ROOT, f)}: ${spec}`))
  assert.deepEqual(offenders, [])
})
