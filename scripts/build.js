#!/usr/bin/env node
// Builds what the package ships: dist/ with one ES module (+ source map) per TypeScript source in
// core/, plugins/ and bin/ (the CLI's entry and its command composition), and, unless --js, the
// .d.ts (+ declaration map) of core/ and plugins/ from tsc.
//
// JavaScript: esbuild, one output file per source (nothing is bundled: imports stay imports, a
// relative `./x.ts` becomes `./x.js`). ~0.2 s, and esbuild is a production dependency (the config
// loader's fallback), so the container builds without dev packages.
// Declarations: tsc (tsconfig.build.json), the only thing that can write them (~20-50 s here), then
// the fields' doc comments that tsc drops from inferred types (./doc-comments.js).
// Either step is skipped when its output is newer than every source (`--force` rebuilds).
//
//   node scripts/build.js          JS + declarations (prepack, the test setup)
//   node scripts/build.js --js     JS only (npm start, the container)
import { build } from 'esbuild'
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')
const args = new Set(process.argv.slice(2))
const jsOnly = args.has('--js')
const force = args.has('--force')

const sources = ['core', 'plugins', 'bin'].flatMap((dir) => walk(join(root, dir))).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
const inputs = [...sources, fileURLToPath(import.meta.url), join(root, 'scripts', 'doc-comments.js'), join(root, 'tsconfig.build.json'), join(root, 'tsconfig.json')]
const newestInput = Math.max(...inputs.filter((f) => existsSync(f)).map((f) => statSync(f).mtimeMs))

const JS_STAMP = join(dist, '.js-built')
const TYPES_STAMP = join(dist, '.types-built')
const fresh = (stamp) => !force && existsSync(stamp) && statSync(stamp).mtimeMs >= newestInput

if (!fresh(JS_STAMP)) {
  const t0 = Date.now()
  await build({
    entryPoints: sources,
    outdir: dist,
    outbase: root,
    bundle: true, // only so that onResolve sees every import; each one is made external below
    platform: 'neutral',
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    logLevel: 'warning',
    plugins: [{
      name: 'keep-imports',
      setup(b) {
        b.onResolve({ filter: /.*/ }, ({ path, kind }) => {
          if (kind === 'entry-point') return undefined
          return { path: /^\.\.?\//.test(path) ? path.replace(/\.ts$/, '.js') : path, external: true }
        })
      },
    }],
  })
  removeOrphans()
  writeFileSync(JS_STAMP, '')
  console.error(`gatehouse build: ${sources.length} modules → ${relative(root, dist)}/ in ${Date.now() - t0} ms`)
}

if (!jsOnly && !fresh(TYPES_STAMP)) {
  const t0 = Date.now()
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
  const { restoreDocComments } = await import('./doc-comments.js')
  console.error(`gatehouse build: ${restoreDocComments(root, dist)} doc comments restored in declarations`)
  writeFileSync(TYPES_STAMP, '')
  console.error(`gatehouse build: declarations in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}

/** Output whose source was renamed or deleted. Files are overwritten in place, never removed first,
 *  so a gateway or test running from dist/ meanwhile never finds a module missing. */
function removeOrphans() {
  for (const f of walk(dist)) {
    const source = join(root, relative(dist, f)).replace(/(\.d)?\.(js|ts)(\.map)?$/, '.ts')
    if (/\.(js|ts|map)$/.test(f) && !existsSync(source)) rmSync(f)
  }
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
}
