/**
 * A user's gateway.config.ts type-checks against the installed package: a fresh ES-module project
 * (`npm init -y`, `npm pkg set type=module`, `npm i <packed gatehouse> typescript`, `npx tsc --init`)
 * gets zero errors with tsc's own defaults (module NodeNext, strict, exactOptionalPropertyTypes,
 * verbatimModuleSyntax, declaration), and a second project with `module: preserve` +
 * `moduleResolution: Bundler` too. A misspelt field is an error, and the fields' doc comments
 * reach the editor's hover.
 */
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { freshProject } from '../support/packed.ts'
import { quickInfo } from '../support/quick-info.ts'
import { ROOT } from '../support/runtimes.ts'
import { run, tempDir } from '../support/process.ts'

const TS_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules/typescript/package.json'), 'utf8')) as { version: string }).version

const CONFIG = `import { defineConfig } from 'gatehouse'
import { leastConn } from 'gatehouse/plugins/least-conn'
import { activeHealth } from 'gatehouse/plugins/active-health'
import { basicAuth } from 'gatehouse/plugins/basic-auth'

export default defineConfig({
  listen: { port: 8080 },
  pools: {
    web: {
      upstreams: ['http://127.0.0.1:8001', { url: 'http://127.0.0.1:8002', weight: 2 }],
      balancer: leastConn(),
      retries: 2,
      health: activeHealth({ path: '/', interval: '2s' }),
    },
  },
  routes: [{ path: '/admin/*', pool: 'web', use: [basicAuth({ users: { alice: '$pbkdf2-sha256$i=600000$c2FsdA$aGFzaA' } })] }, { path: '/*', pool: 'web' }],
})
`

test('a gateway.config.ts type-checks against the installed package', { timeout: 600_000 }, async (t) => {
  const project = await freshProject('gh-types', [`typescript@${TS_VERSION}`])
  const tsc = (args: string[], dir = project.dir) => run(join(project.dir, 'node_modules/.bin/tsc'), args, { cwd: dir, timeoutMs: 120_000 })
  const init = await tsc(['--init'])
  assert.equal(init.code, 0, init.stdout + init.stderr)
  writeFileSync(join(project.dir, 'gateway.config.ts'), CONFIG)

  await t.test('tsc --init defaults (module NodeNext): zero errors', async () => {
    const r = await tsc(['--noEmit', '-p', '.'])
    assert.equal(r.stdout + r.stderr, '', 'tsc reported errors')
    assert.equal(r.code, 0)
    assert.match(readFileSync(join(project.dir, 'tsconfig.json'), 'utf8'), /"module": "nodenext"/, 'tsc --init chose NodeNext')
  })

  await t.test('a misspelt field is a type error that names it', async () => {
    writeFileSync(join(project.dir, 'gateway.config.ts'), CONFIG.replace('retries: 2', 'retires: 2'))
    const r = await tsc(['--noEmit', '-p', '.'])
    writeFileSync(join(project.dir, 'gateway.config.ts'), CONFIG)
    assert.equal(r.code, 2)
    assert.match(r.stdout, /gateway\.config\.ts\(\d+,\d+\): error TS2561: .*'retires' does not exist.*Did you mean to write 'retries'\?/)
  })

  await t.test('hover shows the doc comment of a config field and of a plugin option', () => {
    assert.match(quickInfo(project.dir, 'gateway.config.ts', 'retries').doc, /Further tries on another upstream.*Default 2/)
    assert.match(quickInfo(project.dir, 'gateway.config.ts', 'interval').doc, /Default 2s/)
    assert.match(quickInfo(project.dir, 'gateway.config.ts', 'listen').doc, /Where the gateway listens/)
  })

  await t.test('a second project with module: preserve and moduleResolution: Bundler: zero errors', async () => {
    const dir = tempDir('gh-types-bundler', { removeOnExit: true })
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bundler-project', private: true }))
    symlinkSync(join(project.dir, 'node_modules'), join(dir, 'node_modules'))
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'preserve', moduleResolution: 'bundler', target: 'es2022', strict: true, noEmit: true, types: [] } }))
    mkdirSync(join(dir, 'src'))
    writeFileSync(join(dir, 'src', 'gateway.config.ts'), CONFIG)
    const r = await tsc(['-p', '.'], dir)
    assert.equal(r.stdout + r.stderr, '', 'tsc reported errors')
    assert.equal(r.code, 0)
  })
})
