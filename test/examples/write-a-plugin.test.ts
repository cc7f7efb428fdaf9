// The plugin guide is written once (examples/plugin-canary/WRITE-A-PLUGIN.md) and repeated as the
// README's "Write a plugin" section; every TypeScript snippet in it must type-check against the
// real contract (`gatehouse` resolves to this package, `gatehouse-plugin-canary` to the example).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import { ROOT } from '../support/gateway.ts'

const guide = readFileSync(join(ROOT, 'examples/plugin-canary/WRITE-A-PLUGIN.md'), 'utf8')

test('the README repeats the guide word for word', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Write a plugin'), readme.indexOf('\n## ', readme.indexOf('## Write a plugin') + 3) + 1)
  assert.equal(section.trim(), guide.trim())
})

test('every ts snippet of the guide type-checks', () => {
  const snippets = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!)
  assert.ok(snippets.length >= 3, `found ${snippets.length} snippets`)
  const dir = join(ROOT, 'test-output', 'guide-snippets')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const files = snippets.map((code, i) => {
    const file = join(dir, `snippet-${i}.ts`)
    writeFileSync(file, code)
    return file
  })
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    types: ['node'],
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    baseUrl: ROOT,
    paths: { 'gatehouse-plugin-canary': ['examples/plugin-canary/index.ts'] },
  })
  const errors = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && files.includes(d.file.fileName))
    .map((d) => `${d.file!.fileName.slice(dir.length + 1)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)
  assert.deepEqual(errors, [])
})
