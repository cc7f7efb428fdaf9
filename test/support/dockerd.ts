// A private Docker daemon (Debian's docker.io) for Docker discovery tests.
//
// Everything lives in one temp dir so several test dockerds can run in
// parallel next to a system one: own socket, data/exec root, pidfile, and an
// own containerd that we start ourselves. (dockerd 20.10 silently reuses the
// system containerd whenever /run/containerd/containerd.sock exists, sharing
// its "moby" namespace; passing --containerd is the only way to opt out.)
// No bridge/iptables/ip-forward: containers use --network host, so the host
// network config is never touched and no NET_ADMIN-only features are needed.
//
// The test image is built offline with `docker import` from Debian's static
// busybox, every applet symlinked in /bin. A test serves a page with:
//   await d.docker(['run', '-d', '--name', 'web', '--network', 'host', d.image, 'sh', '-c',
//     `mkdir -p /www && echo Hello > /www/index.html && exec httpd -f -p 127.0.0.1:${port} -h /www`])
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync, copyFileSync, symlinkSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { cleanEnv, onExit, requireBinary, run, spawnLogged, tempDir, waitFor, which, type LoggedProcess, type RunResult } from './process.ts'

export const TEST_IMAGE = 'gatehouse-test/busybox:1'

export interface Dockerd {
  socketPath: string
  /** Tag of the imported busybox image (has sh, httpd, wget, …). */
  image: string
  /** Runs the docker CLI against this daemon only. */
  docker(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<RunResult>
  /** Removes containers, stops dockerd and containerd, unmounts and deletes the temp dir. */
  stop(): Promise<void>
}

export function hasDocker(): boolean {
  return ['dockerd', 'containerd', 'runc', 'docker'].every((b) => !!which(b))
}

// Prefer Debian's CLI: it matches the daemon's API version, whereas another
// `docker` earlier in PATH (e.g. /usr/local/bin) may be any version.
function dockerCli(): string {
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : requireBinary('docker')
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8))))
    .filter((m): m is string => !!m && (m === dir || m.startsWith(dir + '/')))
}

// dockerd bind-mounts its data root (to make it rshared) and leaves nsfs
// mounts in its exec root; after an unclean stop these must go before rm -rf.
function unmountAll(dir: string): void {
  for (let i = 0; i < 5; i++) {
    const mounts = mountsUnder(dir).sort((a, b) => b.length - a.length)
    if (mounts.length === 0) return
    for (const m of mounts) try { execFileSync('umount', ['-l', m], { stdio: 'ignore' }) } catch {}
  }
}

// After a SIGKILLed daemon, containerd shims re-parent to init and keep the
// containers running. Shims name our containerd socket in their argv, so find
// them by our dir; kill their container processes first, then the shims.
function killLeftovers(dir: string): void {
  const parentOf = new Map<number, number>()
  const shims: number[] = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!pid || pid === process.pid) continue
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      parentOf.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) shims.push(pid)
    } catch {} // exited meanwhile
  }
  const doomed = new Set(shims)
  for (let grew = true; grew; ) {
    grew = false
    for (const [pid, ppid] of parentOf) {
      if (doomed.has(ppid) && !doomed.has(pid)) {
        doomed.add(pid)
        grew = true
      }
    }
  }
  // Descendants were added after their parents: reverse kills containers before shims.
  for (const pid of [...doomed].reverse()) try { process.kill(pid, 'SIGKILL') } catch {}
}

/** Synchronous so it can also run from the process exit hook after a crash. */
function removeAll(dir: string): void {
  killLeftovers(dir)
  unmountAll(dir)
  rmSync(dir, { recursive: true, force: true })
}

async function buildImageTar(dir: string): Promise<string> {
  const busybox = '/bin/busybox' // busybox-static: the image has no libc
  if (!existsSync(busybox)) throw new Error(`${busybox} missing: run .ci/install-deps.sh (busybox-static)`)
  const rootfs = join(dir, 'rootfs')
  mkdirSync(join(rootfs, 'bin'), { recursive: true })
  mkdirSync(join(rootfs, 'tmp'))
  copyFileSync(busybox, join(rootfs, 'bin', 'busybox'))
  const list = await run(busybox, ['--list'])
  for (const applet of list.stdout.split('\n').map((s) => s.trim())) {
    if (applet && applet !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', applet))
  }
  const tar = join(dir, 'image.tar')
  const res = await run('tar', ['-C', rootfs, '--owner=0', '--group=0', '--numeric-owner', '-cf', tar, '.'])
  if (res.code !== 0) throw new Error(`tar failed: ${res.stderr}`)
  return tar
}

export async function startDockerd(opts: { timeoutMs?: number } = {}): Promise<Dockerd> {
  const timeoutMs = opts.timeoutMs ?? 60_000
  const dockerdBin = requireBinary('dockerd')
  const containerdBin = requireBinary('containerd')
  const cli = dockerCli()
  const dir = tempDir('gh-dockerd')
  const unregister = onExit(() => removeAll(dir))
  const socketPath = join(dir, 'docker.sock')
  const ctdDir = join(dir, 'containerd')
  const ctdSock = join(ctdDir, 'containerd.sock')
  mkdirSync(ctdDir)
  mkdirSync(join(dir, 'cli'))
  // Our own config so /etc/containerd/config.toml (CRI plugin, /var/lib paths) is ignored.
  writeFileSync(
    join(ctdDir, 'config.toml'),
    [
      'version = 2',
      `root = "${ctdDir}/root"`,
      `state = "${ctdDir}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${ctdSock}"`,
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${ctdDir}/opt"`,
      '',
    ].join('\n'),
  )
  // An explicit (empty) daemon.json so the host's /etc/docker/daemon.json is ignored.
  writeFileSync(join(dir, 'daemon.json'), '{}\n')

  const cliEnv = cleanEnv(['DOCKER_'], { DOCKER_CONFIG: join(dir, 'cli') })
  const docker = (args: string[], o: { input?: string; timeoutMs?: number } = {}) =>
    run(cli, ['-H', `unix://${socketPath}`, ...args], { env: cliEnv, ...o })

  const procs: LoggedProcess[] = []
  const tails = () => procs.map((p) => `--- ${p.name} log tail ---\n${p.tail()}`).join('\n')

  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      const [containerd, dockerd] = procs
      if (dockerd?.running()) {
        const ids = await docker(['ps', '-aq'], { timeoutMs: 10_000 }).catch(() => undefined)
        const list = ids?.stdout.split('\n').filter(Boolean) ?? []
        if (list.length) await docker(['rm', '-f', '-v', ...list], { timeoutMs: 30_000 }).catch(() => {})
      }
      await dockerd?.stop(15_000)
      await containerd?.stop(10_000)
      removeAll(dir)
      unregister()
    })())

  try {
    const ctd = spawnLogged(containerdBin, ['--config', join(ctdDir, 'config.toml')], {
      env: cleanEnv(['CONTAINERD_']),
      name: 'containerd',
    })
    procs.push(ctd)
    await waitFor(() => existsSync(ctdSock), {
      timeoutMs,
      what: 'containerd socket',
      abort: () => (ctd.running() ? undefined : 'containerd exited'),
    })

    const dockerd = spawnLogged(
      dockerdBin,
      [
        `--config-file=${join(dir, 'daemon.json')}`,
        `--host=unix://${socketPath}`,
        `--data-root=${join(dir, 'data')}`,
        `--exec-root=${join(dir, 'exec')}`,
        `--pidfile=${join(dir, 'docker.pid')}`,
        `--containerd=${ctdSock}`,
        '--bridge=none',
        '--iptables=false',
        '--ip6tables=false',
        '--ip-forward=false', // would flip the host-wide net.ipv4.ip_forward sysctl
        '--ip-masq=false',
        '--userland-proxy=false',
        '--storage-driver=vfs', // works on any filesystem, no overlay mounts
        '--shutdown-timeout=2',
      ],
      { env: cleanEnv(['DOCKER_']), name: 'dockerd' },
    )
    procs.push(dockerd)
    await waitFor(async () => (await docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 5000 })).code === 0, {
      timeoutMs,
      intervalMs: 200,
      what: `dockerd on ${socketPath}`,
      abort: () => (dockerd.running() ? (ctd.running() ? undefined : 'containerd exited') : 'dockerd exited'),
    })

    const tar = await buildImageTar(join(dir, 'image'))
    const imp = await docker(['import', '--change', 'CMD ["sh"]', tar, TEST_IMAGE])
    if (imp.code !== 0) throw new Error(`docker import failed: ${imp.stderr}`)
  } catch (err) {
    const logs = tails()
    await stop().catch(() => {})
    throw new Error(`startDockerd: ${(err as Error).message}\n${logs}`)
  }

  return { socketPath, image: TEST_IMAGE, docker, stop }
}
