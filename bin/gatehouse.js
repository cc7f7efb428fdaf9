#!/usr/bin/env node
// Node 20 cannot run TypeScript. A loader hook (tsx) would keep a second V8 isolate alive for the
// gateway's whole life (~20 MB RSS), so instead esbuild bundles the CLI once at start (~0.1 s) and
// Node runs plain JavaScript. Dependencies stay external, resolved from this package's node_modules.
import { build, stop } from 'esbuild'
import { mkdirSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const cache = join(root, 'node_modules', '.cache', 'gatehouse')
const outfile = join(cache, `cli-${process.pid}.mjs`)

mkdirSync(cache, { recursive: true })
await build({
  // An entry that only exports: run.ts would start the gateway inside import() (top-level await),
  // so the bundle could not be deleted until exit, and a killed gateway would leave it behind.
  stdin: {
    contents:
      "export { main } from './core/cli/main.ts'\nexport { currentRuntime } from './core/runtime/select.ts'\nexport { pluginCommands } from './bin/commands.ts'\n",
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  logLevel: 'warning',
  define: { __GATEHOUSE_ROOT__: JSON.stringify(root) },
})
// esbuild keeps a service process alive after a build; loading the config restarts it when needed.
await stop()
let cli
try {
  cli = await import(pathToFileURL(outfile).href)
} finally {
  rmSync(outfile, { force: true })
}
await cli.main(await cli.currentRuntime(), cli.pluginCommands)
