/**
 * Every ```ts block of README.md works when pasted: each becomes a file that type-checks against
 * the package as it ships (dist/*.d.ts, under the strict settings `tsc --init` writes), and each
 * that is a config (`export default defineConfig(`) passes the real `gatehouse check`.
 *
 * The blocks live in test-output/readme/, inside the repository, so `import 'gatehouse'` resolves by
 * the package's self-reference. `gatehouse-plugin-canary` (the "Write a plugin" usage) is
 * examples/plugin-canary copied into that folder's node_modules, as `npm install` would put it.
 * The HTTPS block's certificate files are made by openssl (test/support/certs.ts).
 */
import assert from 'node:assert/strict'
import { cpSync, copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createTestCa } from '../support/certs.ts'
import { run } from '../support/process.ts'
import { ROOT } from '../support/runtimes.ts'

interface Block { line: number; code: string }

/** The ```ts blocks of a markdown file, with the line each starts on. */
export function typescriptBlocks(markdown: string): Block[] {
  const blocks: Block[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```ts') continue
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```')
    blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n') + '\n' })
    i = end
  }
  return blocks
}

const blocks = typescriptBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'))
const DIR = join(ROOT, 'test-output', 'readme')
const fileOf = (b: Block) => `readme-line-${b.line}.ts`

test('README.md: every TypeScript block type-checks and every config passes gatehouse check', { timeout: 300_000 }, async (t) => {
  assert.ok(blocks.length >= 8, `expected the README's TypeScript blocks, found ${blocks.length}`)
  rmSync(DIR, { recursive: true, force: true })
  mkdirSync(join(DIR, 'node_modules'), { recursive: true })
  symlinkSync(ROOT, join(DIR, 'node_modules', 'gatehouse'))
  cpSync(join(ROOT, 'examples/plugin-canary'), join(DIR, 'node_modules', 'gatehouse-plugin-canary'), { recursive: true })
  for (const b of blocks) writeFileSync(join(DIR, fileOf(b)), b.code)
  // What `tsc --init` writes (TypeScript 5.9), plus Node's types for process.env.
  writeFileSync(join(DIR, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      module: 'nodenext', target: 'esnext', types: ['node'], noEmit: true, strict: true, noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true, verbatimModuleSyntax: true, isolatedModules: true, noUncheckedSideEffectImports: true,
      moduleDetection: 'force', skipLibCheck: true,
    },
    include: ['*.ts'],
  }))

  await t.test('type-check against dist/*.d.ts', async () => {
    const r = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', DIR], { timeoutMs: 180_000 })
    // tsc names each file; point at the README line instead.
    const errors = r.stdout.replace(/(?:\S*\/)?readme-line-(\d+)\.ts\((\d+),(\d+)\)/g, (_m, at, line) => `README.md:${Number(at) + Number(line)}`)
    assert.equal(errors, '', 'README blocks with type errors')
    assert.equal(r.code, 0, r.stderr)
  })

  // Certificates for the HTTPS block, at the paths it names (relative to where `check` runs).
  const ca = createTestCa('readme-certs')
  mkdirSync(join(DIR, 'certs'))
  for (const [name, hosts] of [['example.com', ['example.com', 'www.example.com']], ['apps', ['*.apps.example.com']]] as const) {
    const leaf = ca.issue(name, [...hosts])
    copyFileSync(leaf.cert, join(DIR, 'certs', `${name}.pem`))
    copyFileSync(leaf.key, join(DIR, 'certs', `${name}.key`))
  }

  const configs = blocks.filter((b) => b.code.includes('export default defineConfig('))
  assert.ok(configs.length >= 7, `expected the README's configs, found ${configs.length}`)
  for (const b of configs) {
    await t.test(`gatehouse check: the config at README.md:${b.line}`, async () => {
      const r = await run(process.execPath, [join(ROOT, 'bin/gatehouse.js'), 'check', '--config', fileOf(b)], { cwd: DIR, timeoutMs: 60_000 })
      assert.equal(r.code, 0, `README.md:${b.line}: ${r.stderr}${r.stdout}`)
      assert.match(r.stdout, /is valid/)
    })
  }
})
