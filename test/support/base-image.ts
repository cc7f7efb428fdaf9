// A stand-in for `node:26-slim`, for building the Dockerfile on a machine whose private
// dockerd cannot pull images (test/container/image.test.ts passes it as `--build-arg BASE=`).
//
// It is `docker import`ed from a tarball of *this machine's* runtime:
//   - the current LTS node binary (test/support/node-binary.js, the one `npm test` runs on) at /usr/bin/node (+ /usr/local/bin/node, where the official image has it)
//     and every library `ldd` lists for it, at the same (merged-/usr) paths as on the host;
//   - npm (/usr/lib/node_modules/npm, /usr/bin/npm and npx), for the Dockerfile's `npm ci`;
//   - static busybox as /bin/sh and all its applets (/usr/bin/env for npm's shebang, mkdir, chown, …),
//     so RUN steps work as on Debian;
//   - /etc/passwd and /etc/group with root, /tmp 1777, and the host's CA bundle. The bundle plus
//     NODE_EXTRA_CA_CERTS (set in the image) make npm trust the registry the way it does on this host
//     (which may sit behind a TLS-intercepting egress proxy); the official image needs neither.
// Nothing of the host's npm config (~/.npmrc, the global npmrc) goes in.
//
// The tarball is cached under test-output/ keyed by the node binary, its libraries, npm's version
// and busybox, so reruns skip the copying; the import itself (~0.1 GB into vfs) happens each time.
import { chmodSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { ROOT } from './gateway.ts'
import { nodeBinary, resolveNodeVersion } from './node-binary.js'
import { run, tempDir } from './process.ts'
import type { Dockerd } from './dockerd.ts'

export const NODE_BASE_IMAGE = 'gatehouse-test/node-base:1'

const BUSYBOX = '/bin/busybox' // busybox-static: no libraries of its own
const NPM_DIR = '/usr/lib/node_modules/npm'
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'

export interface BaseImage {
  tag: string
  /** Node version inside the image (the current LTS). */
  nodeVersion: string
  /** How it was made, for the test log. */
  tarball: string
  cached: boolean
}

/** Shared libraries of `binary` as ldd prints them (absolute paths, the loader included). */
export async function lddLibraries(binary: string): Promise<string[]> {
  const res = await run('ldd', [binary])
  if (res.code !== 0) throw new Error(`ldd ${binary} failed: ${res.stderr || res.stdout}`)
  const libs: string[] = []
  for (const line of res.stdout.split('\n')) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)", "/lib64/ld-linux-x86-64.so.2 (0x…)", "linux-vdso.so.1 (0x…)"
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line)
    if (m) libs.push(m[1]!)
    else if (/not found/.test(line)) throw new Error(`ldd ${binary}: ${line.trim()}`)
  }
  if (!libs.some((l) => basename(l).startsWith('ld-linux'))) throw new Error(`ldd ${binary}: no dynamic loader in\n${res.stdout}`)
  return libs
}

/** Where `path` lives on the host with its directory symlinks resolved (/lib/x → /usr/lib/x), the file name kept. */
function hostPath(path: string): string {
  return join(realpathSync(dirname(path)), basename(path))
}

/** Copies `src` (following symlinks) to the same path under `rootfs`. */
function copyIn(rootfs: string, src: string, mode?: number): void {
  const dest = join(rootfs, hostPath(src))
  mkdirSync(dirname(dest), { recursive: true })
  copyFileSync(src, dest)
  chmodSync(dest, mode ?? statSync(src).mode & 0o7777)
}

function exists(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}

async function buildRootfs(rootfs: string, node: string, libs: string[]): Promise<void> {
  // The host's top-level layout: on merged-/usr Debian, /bin /sbin /lib /lib64 are symlinks into /usr.
  for (const top of ['bin', 'sbin', 'lib', 'lib64']) {
    const p = `/${top}`
    if (exists(p) && lstatSync(p).isSymbolicLink()) symlinkSync(readlinkSync(p), join(rootfs, top))
    else mkdirSync(join(rootfs, top), { recursive: true })
  }
  for (const d of ['usr/bin', 'usr/sbin', 'usr/lib', 'usr/lib64', 'usr/local/bin', 'etc/ssl/certs', 'root', 'tmp']) {
    mkdirSync(join(rootfs, d), { recursive: true })
  }
  chmodSync(join(rootfs, 'tmp'), 0o1777)
  chmodSync(join(rootfs, 'root'), 0o700)

  copyIn(rootfs, node, 0o755)
  if (hostPath(node) !== '/usr/bin/node') {
    mkdirSync(join(rootfs, 'usr/bin'), { recursive: true })
    copyFileSync(join(rootfs, hostPath(node)), join(rootfs, 'usr/bin/node'))
    chmodSync(join(rootfs, 'usr/bin/node'), 0o755)
  }
  symlinkSync('/usr/bin/node', join(rootfs, 'usr/local/bin/node'))
  for (const lib of libs) copyIn(rootfs, lib)
  // The loader is also reachable at the path ldd printed (e.g. /lib64/ld-linux-x86-64.so.2, the ELF interpreter).
  for (const lib of libs) if (!exists(join(rootfs, lib))) throw new Error(`base image: ${lib} not reachable in the rootfs`)

  cpSync(NPM_DIR, join(rootfs, 'usr/lib/node_modules/npm'), { recursive: true, verbatimSymlinks: true })
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/bin/npm'))
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/bin/npx'))

  copyIn(rootfs, BUSYBOX, 0o755)
  const applets = await run(BUSYBOX, ['--list-full'])
  if (applets.code !== 0) throw new Error(`busybox --list-full failed: ${applets.stderr}`)
  for (const applet of applets.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
    const at = join(rootfs, applet)
    if (basename(applet) === 'busybox' || exists(at)) continue // e.g. bin/x and usr/bin/x are one dir on merged /usr
    mkdirSync(dirname(at), { recursive: true })
    symlinkSync('/bin/busybox', at)
  }

  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n')
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n')
  writeFileSync(join(rootfs, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n')
  if (existsSync(CA_BUNDLE)) copyFileSync(CA_BUNDLE, join(rootfs, 'etc/ssl/certs/ca-certificates.crt'))
}

function fingerprint(parts: string[]): string {
  const h = createHash('sha256')
  for (const p of parts) {
    const st = statSync(p)
    h.update(`${p}\0${realpathSync(p)}\0${st.size}\0${st.mtimeMs}\n`)
  }
  h.update(readFileSync(join(NPM_DIR, 'package.json')))
  h.update(readFileSync(new URL(import.meta.url))) // this builder's own changes invalidate the cache
  return h.digest('hex').slice(0, 16)
}

/** Builds (or reuses the cached tarball of) the stand-in base and imports it into `d` as NODE_BASE_IMAGE. */
export async function importNodeBaseImage(d: Dockerd, opts: { tag?: string } = {}): Promise<BaseImage> {
  const tag = opts.tag ?? NODE_BASE_IMAGE
  const node = realpathSync(nodeBinary('lts'))
  for (const need of [BUSYBOX, NPM_DIR]) if (!existsSync(need)) throw new Error(`base image: ${need} missing (busybox-static, npm)`)
  const libs = await lddLibraries(node)
  const cacheDir = join(ROOT, 'test-output', 'container')
  mkdirSync(cacheDir, { recursive: true })
  const tarball = join(cacheDir, `node-base-${fingerprint([node, BUSYBOX, CA_BUNDLE, ...libs].filter(existsSync))}.tar`)
  const cached = existsSync(tarball)
  if (!cached) {
    const work = tempDir('gh-base-image', { removeOnExit: true })
    const partial = `${tarball}.${process.pid}.partial`
    try {
      const rootfs = join(work, 'rootfs')
      mkdirSync(rootfs)
      await buildRootfs(rootfs, node, libs)
      // Older tarballs (another node, npm or builder) go; partial ones of a concurrent run stay.
      for (const old of readdirSync(cacheDir)) if (/^node-base-[0-9a-f]+\.tar$/.test(old)) rmSync(join(cacheDir, old), { force: true })
      const tar = await run('tar', ['-C', rootfs, '--owner=0', '--group=0', '--numeric-owner', '-cf', partial, '.'], { timeoutMs: 120_000 })
      if (tar.code !== 0) throw new Error(`tar failed: ${tar.stderr}`)
      renameSync(partial, tarball)
    } finally {
      rmSync(work, { recursive: true, force: true })
      rmSync(partial, { force: true })
    }
  }
  const imp = await d.docker(
    [
      'import',
      '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--change', `ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt`,
      '--change', 'CMD ["node"]',
      tarball,
      tag,
    ],
    { timeoutMs: 180_000 },
  )
  if (imp.code !== 0) throw new Error(`docker import ${tag} failed: ${imp.stderr}`)
  return { tag, nodeVersion: `v${resolveNodeVersion('lts')}`, tarball, cached }
}
