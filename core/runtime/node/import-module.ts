/**
 * Loads a TypeScript config on Node 20 without a loader hook: esbuild bundles it (and whatever it
 * imports: `gatehouse`, its plugins, third-party plugin packages that ship TypeScript) into one
 * ES module, which Node imports as plain JavaScript. A loader hook (tsx) would instead keep a
 * second V8 isolate alive for the life of the gateway (~20 MB RSS).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** Set by bin/gatehouse.js when it bundles the CLI; from the sources, three folders up. */
declare const __GATEHOUSE_ROOT__: string | undefined
/** This package's root, so a config's `import 'gatehouse'` always means the running gateway. */
const ROOT = typeof __GATEHOUSE_ROOT__ === 'string' ? __GATEHOUSE_ROOT__ : resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

/** `gatehouse` and `gatehouse/plugins/<name>` resolve to this package, per its `exports` map. */
const runningGatehouse = {
  name: 'running-gatehouse',
  setup(b: { onResolve(o: { filter: RegExp }, f: (a: { path: string }) => { path: string } | undefined): void }) {
    b.onResolve({ filter: /^gatehouse(\/.*)?$/ }, ({ path }) => {
      if (path === 'gatehouse') return { path: join(ROOT, 'core/index.ts') }
      const plugin = /^gatehouse\/plugins\/([\w-]+)$/.exec(path)
      return plugin ? { path: join(ROOT, 'plugins', plugin[1]!, 'index.ts') } : undefined
    })
  },
}

let loaded = 0

function sharedDependencies(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
  return Object.keys(pkg.dependencies ?? {}).flatMap((name) => [name, `${name}/*`])
}

export async function importModule(path: string): Promise<Record<string, unknown>> {
  const file = resolve(path)
  const { build, stop } = await import('esbuild')
  const result = await build({
    entryPoints: [file],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    plugins: [runningGatehouse],
    // The gateway's own dependencies are shared with the config, not bundled twice.
    external: sharedDependencies(),
    // CommonJS dependencies inside an ES module bundle need a real `require` for Node built-ins.
    banner: { js: "import { createRequire as __gatehouseRequire } from 'node:module'; const require = __gatehouseRequire(import.meta.url);" },
  }).finally(() => stop()) // the esbuild service process would otherwise stay for the gateway's life
    .catch((err: { errors?: { text: string; location?: { file: string; line: number } }[] }) => {
    const lines = err.errors?.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text))
    throw new Error(lines?.join('\n') ?? String(err))
  })
  // Written where this package's node_modules resolve the shared dependencies.
  const dir = join(ROOT, 'node_modules', '.cache', 'gatehouse')
  mkdirSync(dir, { recursive: true })
  const out = join(dir, `config-${process.pid}-${++loaded}.mjs`)
  try {
    writeFileSync(out, result.outputFiles[0]!.text)
    return await import(pathToFileURL(out).href)
  } finally {
    rmSync(out, { force: true })
  }
}
