/**
 * The fallback config loader for what Node cannot import itself (./import-module.ts): esbuild
 * bundles the config and what it imports (third-party plugins that ship TypeScript included) into
 * one ES module, which Node imports as plain JavaScript. `gatehouse` and this package's own
 * dependencies stay external, so the config shares the running gateway's modules.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** `.js` when this runs from dist/, `.ts` from the sources (a checkout's tests). */
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
/** The running copy of `gatehouse` and of `gatehouse/plugins/<name>`, as URLs the bundle imports. */
const SELF = new URL(`../../index${EXT}`, import.meta.url).href
const plugin = (name: string) => new URL(`../../../plugins/${name}/index${EXT}`, import.meta.url).href

/** The package root: the nearest folder above this file with a package.json. */
function packageRoot(): string {
  for (let d = dirname(fileURLToPath(import.meta.url)); ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d
    if (dirname(d) === d) throw new Error('gatehouse: no package.json above ' + import.meta.url)
  }
}

const runningGatehouse = {
  name: 'running-gatehouse',
  setup(b: { onResolve(o: { filter: RegExp }, f: (a: { path: string }) => { path: string; external: boolean } | undefined): void }) {
    b.onResolve({ filter: /^gatehouse(\/.*)?$/ }, ({ path }) => {
      if (path === 'gatehouse') return { path: SELF, external: true }
      const name = /^gatehouse\/plugins\/([\w-]+)$/.exec(path)?.[1]
      return name ? { path: plugin(name), external: true } : undefined
    })
  },
}

let loaded = 0

export async function bundleAndImport(file: string): Promise<Record<string, unknown>> {
  const root = packageRoot()
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
  const { build, stop } = await import('esbuild')
  const result = await build({
    entryPoints: [file],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    write: false,
    logLevel: 'silent',
    plugins: [runningGatehouse],
    // The gateway's own dependencies are shared with the config, not bundled twice.
    external: Object.keys(pkg.dependencies ?? {}).flatMap((name) => [name, `${name}/*`]),
    // CommonJS dependencies inside an ES module bundle need a real `require` for Node built-ins.
    banner: { js: "import { createRequire as __gatehouseRequire } from 'node:module'; const require = __gatehouseRequire(import.meta.url);" },
  }).finally(() => stop()) // the esbuild service process would otherwise stay for the gateway's life
    .catch((err: { errors?: { text: string; location?: { file: string; line: number } }[] }) => {
    const lines = err.errors?.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text))
    throw new Error(lines?.join('\n') ?? String(err))
  })
  // Written where this package's node_modules resolve the shared dependencies.
  const dir = join(root, 'node_modules', '.cache', 'gatehouse')
  mkdirSync(dir, { recursive: true })
  const out = join(dir, `config-${process.pid}-${++loaded}.mjs`)
  try {
    writeFileSync(out, result.outputFiles[0]!.text)
    return await import(pathToFileURL(out).href)
  } finally {
    rmSync(out, { force: true })
  }
}
