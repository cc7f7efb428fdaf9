// Basic HTTP-01 issuance with the real CLI under each runtime (Node, Bun, Deno): a pebble per
// runtime validates on the spawned gateway's redirect listener, and curl accepts the certificate
// the gateway then serves for the route's host. TLS-ALPN-01 is Node's only (see plugins/acme).
// Deno needs two permissions beyond deno.json's start task: all of --allow-env (acme-client's
// logger, the debug package, lists every variable) and --allow-write for the store directory.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { echo, startUpstream } from '../support/http-upstream.ts'
import { hasPebble, startPebble } from '../support/pebble.ts'
import { freePort } from '../support/ports.ts'
import { spawnLogged, waitFor } from '../support/process.ts'
import { gatewayCommand, ROOT, RUNTIMES } from '../support/runtimes.ts'
import { acmeDir, curlHttps } from '../support/acme.ts'

if (!hasPebble()) throw new Error('pebble not installed: run .ci/install-deps.sh')

for (const runtime of RUNTIMES) {
  test(`HTTP-01 issuance under ${runtime}`, async () => {
    const [httpPort, tlsPort] = [await freePort(), await freePort()]
    const pebble = await startPebble({ httpPort, tlsPort })
    const up = await startUpstream(echo('app'))
    const store = acmeDir(`acme-${runtime}`)
    const dir = join(ROOT, 'test-output', 'configs')
    mkdirSync(dir, { recursive: true })
    const config = join(dir, `acme-${runtime}-${tlsPort}.config.ts`)
    writeFileSync(config, `import { defineConfig } from 'gatehouse'
import { acme, directoryStore } from 'gatehouse/plugins/acme'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${tlsPort}, tls: {
    certificates: acme({ directory: '${pebble.directory}', directoryCa: '${pebble.directoryCa}', store: directoryStore({ path: '${store}' }), retry: { min: '1s', max: '2s' } }),
    redirectHttp: { port: ${httpPort} },
  } },
  pools: { app: { upstreams: ['${up.url}'] } },
  routes: [{ host: '${runtime}.test', pool: 'app' }],
})
`)
    const { cmd, args } = withAcmePermissions(gatewayCommand(runtime, ['start', '--config', config]), store)
    const proc = spawnLogged(cmd, args, { cwd: ROOT, name: `gatehouse-${runtime}` })
    try {
      const root = await pebble.root()
      await waitFor(async () => (await curlHttps(`${runtime}.test`, tlsPort, root)).ok, {
        timeoutMs: 40_000,
        what: `a certificate for ${runtime}.test under ${runtime}`,
        abort: () => (proc.running() ? undefined : `it exited:\n${proc.tail()}`),
      }).catch((err) => {
        throw new Error(`${err.message}\n--- gateway log ---\n${proc.tail(30)}`)
      })
      assert.equal(JSON.parse((await curlHttps(`${runtime}.test`, tlsPort, root)).body).name, 'app')
      assert.equal(pebble.orders(), 1)
    } finally {
      await proc.stop()
      await up.close()
      await pebble.stop()
    }
  })
}

/** Deno: --allow-env for every variable and --allow-write for the store (other runtimes: unchanged). */
function withAcmePermissions(command: { cmd: string; args: string[] }, store: string): { cmd: string; args: string[] } {
  if (!command.cmd.includes('deno')) return command
  const args = command.args.map((a) => (a.startsWith('--allow-env') ? '--allow-env' : a))
  args.splice(1, 0, `--allow-write=${store}`)
  return { cmd: command.cmd, args }
}
