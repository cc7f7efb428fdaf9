// Automatic HTTPS against a real ACME CA (pebble): a host named by a config route and one added
// at run time by the file registry each get a certificate that curl accepts (SNI, pebble's
// root), over HTTP-01 on the redirect listener; wildcard and IP hosts are skipped; a handshake
// naming a host no route names gets the fallback and orders nothing; the store's files are 0600;
// TLS-ALPN-01 issues on Node when it is the only challenge; `gatehouse check` names bad options.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { nodeRuntime } from '../../core/runtime/node/index.ts'
import { execFile } from 'node:child_process'
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { acme, directoryStore } from '../../plugins/acme/index.ts'
import { file } from '../../plugins/file/index.ts'
import { admin, type AdminPlugin } from '../../plugins/admin/index.ts'
import { presentedCertificate } from '../support/certs.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { hasPebble, startPebble, type Pebble } from '../support/pebble.ts'
import { freePort } from '../support/ports.ts'
import { waitFor } from '../support/process.ts'
import { ROOT } from '../support/runtimes.ts'
import { acmeDir, curlHttps, startLoggedGateway, type LoggedGateway } from '../support/acme.ts'

if (!hasPebble()) throw new Error('pebble not installed: run .ci/install-deps.sh')

let pebble: Pebble
let up: Upstream
let gw: LoggedGateway
let tlsPort: number
let root: string
let adm: AdminPlugin
const dir = acmeDir('acme')
const registry = join(dir, 'routes.json')
const store = join(dir, 'store')

before(async () => {
  const httpPort = await freePort()
  tlsPort = await freePort()
  pebble = await startPebble({ httpPort, tlsPort })
  root = await pebble.root()
  up = await startUpstream(echo('app'))
  writeFileSync(registry, JSON.stringify({ routes: [] }))
  adm = admin({ listen: { port: 0 } })
  gw = await startLoggedGateway({
    observe: [adm],
    listen: {
      host: '127.0.0.1',
      port: tlsPort,
      tls: {
        certificates: acme({ directory: pebble.directory, directoryCa: pebble.directoryCa, store: directoryStore({ path: store }), retry: { min: '1s', max: '2s' } }),
        redirectHttp: { port: httpPort },
      },
    },
    discovery: [file({ path: registry, poll: '200ms' })],
    pools: { app: { upstreams: [up.url] } },
    routes: [{ host: ['app.test', '*.wild.test', '127.0.0.5'], pool: 'app' }],
  })
})
after(async () => {
  await gw?.stop()
  await up?.close()
  await pebble?.stop()
})

const served = (host: string) => waitFor(async () => (await curlHttps(host, tlsPort, root)).ok, { timeoutMs: 30_000, what: `a certificate for ${host}` })

test('a config route host gets a certificate curl accepts; wildcard and IP hosts are skipped, logged once', async () => {
  await served('app.test')
  const res = await curlHttps('app.test', tlsPort, root)
  assert.equal(JSON.parse(res.body).name, 'app')
  assert.ok(gw.lines.some((l) => /acme: certificate for app\.test issued, valid until/.test(l)), gw.lines.join('\n'))
  assert.equal(gw.lines.filter((l) => /no certificate for \*\.wild\.test: a wildcard/.test(l)).length, 1)
  assert.equal(gw.lines.filter((l) => /no certificate for 127\.0\.0\.5: an IP address/.test(l)).length, 1)
  const listing = gw.gateway.certificates()!
  assert.equal(listing.managed.find((c) => c.host === 'app.test')?.state, 'valid')
  assert.equal(listing.managed.find((c) => c.host === '*.wild.test')?.state, 'skipped')
  assert.ok(listing.served.some((c) => c.hosts.includes('app.test')))
  const api = await (await fetch(`http://127.0.0.1:${adm.port}/api/certificates`)).json()
  assert.equal(api.managed.find((c: { host: string }) => c.host === 'app.test')?.state, 'valid')
  assert.match(api.managed.find((c: { host: string }) => c.host === '127.0.0.5')?.lastError, /an IP address/)
  // Private keys on disk: files 0600 in directories 0700.
  const certFile = join(store, 'certs', 'app.test.json')
  assert.equal(statSync(certFile).mode & 0o777, 0o600)
  assert.equal(statSync(join(store, 'certs')).mode & 0o777, 0o700)
  assert.ok(readdirSync(join(store, 'account')).length === 1)
})

test('a host discovery adds at run time gets its certificate without a restart', async () => {
  const before = pebble.orders()
  assert.equal((await curlHttps('api.test', tlsPort, root)).ok, false, 'api.test has no certificate before a route names it')
  writeFileSync(registry, JSON.stringify({ routes: [{ host: 'api.test', pool: 'app' }] }))
  await served('api.test')
  assert.equal(pebble.orders(), before + 1)
  assert.equal(JSON.parse((await curlHttps('api.test', tlsPort, root)).body).name, 'app')
})

test('a TLS handshake naming a host no route names gets the fallback and never causes an order', async () => {
  const before = pebble.orders()
  for (const name of ['unknown.test', 'evil.example', 'app.test.evil']) {
    const cert = await presentedCertificate(tlsPort, name)
    assert.equal(cert.subject, 'CN=gatehouse', `${name} got ${cert.subject}`)
    assert.equal((await curlHttps(name, tlsPort, root)).ok, false)
  }
  await new Promise((r) => setTimeout(r, 2_500)) // a few ticks of the order loop
  assert.equal(pebble.orders(), before)
  assert.ok(!gw.lines.some((l) => /unknown\.test|evil/.test(l)), 'an unknown SNI was logged as if managed')
  assert.equal(gw.gateway.certificates()!.managed.some((c) => c.host.includes('unknown')), false)
})

test('TLS-ALPN-01 on Node: a gateway with no plain-HTTP listener gets its certificate on the TLS port', {
  skip: nodeRuntime.tlsAlpnChallenges ? false : `this Node (${process.version}) does not offer TLS-ALPN-01 (README: Automatic HTTPS)`,
}, async () => {
  const port = await freePort()
  const ca = await startPebble({ httpPort: await freePort(), tlsPort: port }) // nothing listens on its HTTP-01 port
  const g = await startLoggedGateway({
    listen: {
      host: '127.0.0.1',
      port,
      tls: { certificates: acme({ directory: ca.directory, directoryCa: ca.directoryCa, store: directoryStore({ path: join(dir, 'alpn') }), challenges: ['tls-alpn-01'] }) },
    },
    pools: { app: { upstreams: [up.url] } },
    routes: [{ host: 'alpn.test', pool: 'app' }],
  }, 'alpn')
  try {
    const caRoot = await ca.root()
    await waitFor(async () => (await curlHttps('alpn.test', port, caRoot)).ok, { timeoutMs: 30_000, what: 'a certificate for alpn.test' })
    assert.equal(JSON.parse((await curlHttps('alpn.test', port, caRoot)).body).name, 'app')
    assert.equal(ca.orders(), 1)
  } finally {
    await g.stop()
    await ca.stop()
  }
})

/** `gatehouse check` on a config whose listener's certificate source is `source` (code); its exit code and stderr. */
async function checkWith(name: string, source: string): Promise<{ code: number; stderr: string }> {
  const cfgDir = join(ROOT, 'test-output', 'configs')
  mkdirSync(cfgDir, { recursive: true })
  const cfg = join(cfgDir, `${name}.config.ts`)
  writeFileSync(cfg, `import { defineConfig } from 'gatehouse'
import { acme, directoryStore, etcdStore } from 'gatehouse/plugins/acme'
export default defineConfig({
  listen: { port: 8443, tls: { certificates: ${source} } },
  routes: [],
})
`)
  return new Promise((resolve) =>
    execFile(process.execPath, ['bin/gatehouse.js', 'check', '--config', cfg], { cwd: ROOT, timeout: 30_000 }, (err, _out, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr })),
  )
}

test('gatehouse check names each bad acme option at its slot', async () => {
  const { code, stderr } = await checkWith('acme-check', `acme({ email: 'not-an-email', directory: 'ftp://ca', challenges: ['dns-01'], directoryCa: '${dir}/missing.pem', retry: { min: '1h', max: '1m' }, newOrders: { max: 0 }, store: {} })`)
  assert.equal(code, 1)
  // All of them in one run (definePlugin: problems, not a throw that would hide the others).
  for (const re of [/email: expected an email address/, /directory: expected the URL of an ACME directory/, /challenges\[0\]: expected "http-01" or "tls-alpn-01"/,
    /directoryCa: cannot read ".*missing\.pem" \(no such file\)/, /retry\.min: retry\.min must not exceed retry\.max/, /newOrders\.max: /, /store: expected an ACME store/]) {
    assert.match(stderr, new RegExp(`listen\\.tls\\.certificates: acme\\(\\): ${re.source}`))
  }
})

test('gatehouse check names a store\'s bad options under acme(): store', async () => {
  const etcd = await checkWith('acme-check-etcd', `acme({ store: etcdStore({ endpoints: ['ftp://etcd'], lockTtl: '1s' }) })`)
  assert.equal(etcd.code, 1)
  assert.match(etcd.stderr, /listen\.tls\.certificates: acme\(\): store: etcdStore\(\): endpoints\[0\]: expected an etcd client URL/)
  assert.match(etcd.stderr, /listen\.tls\.certificates: acme\(\): store: etcdStore\(\): lockTtl: expected at least 2s/)
  const files = await checkWith('acme-check-files', `acme({ store: directoryStore({ path: '', staleLock: 'soon' }) })`)
  assert.equal(files.code, 1)
  assert.match(files.stderr, /listen\.tls\.certificates: acme\(\): store: directoryStore\(\): path: expected a directory path/)
  assert.match(files.stderr, /listen\.tls\.certificates: acme\(\): store: directoryStore\(\): staleLock: /)
})
