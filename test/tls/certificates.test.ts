// Certificates in the config and the certificate-source contract. `gatehouse check` reads the
// PEM files and names the field of a bad path, a file that is no PEM, a key that is not its
// certificate's, a host the certificate does not cover, and bad HSTS and limit values. A custom
// source (the shape an ACME source would have) pushes PEM sets, sees a bad set rejected with its
// reasons, and answers an HTTP-01 challenge on the redirect listener.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request } from 'node:https'
import { join } from 'node:path'
import { createTestCa, presentedCertificate } from '../support/certs.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { freePort } from '../support/ports.ts'
import { ROOT } from '../support/runtimes.ts'
import { waitFor } from '../support/process.ts'
import type { CertificateContext, CertificateSource } from '../../plugins/certificates/index.ts'

const ca = createTestCa('check')
const a = ca.issue('a', ['a.test'])
const b = ca.issue('b', ['b.test', '*.b.test'])
const notPem = join(ca.dir, 'not.pem')
writeFileSync(notPem, 'hello\n')
after(() => ca.remove())

function check(name: string, body: string, imports = ''): Promise<{ code: number; stderr: string; stdout: string }> {
  const dir = join(ROOT, 'test-output', 'configs')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `tls-check-${name}.config.ts`)
  writeFileSync(file, `import { defineConfig } from 'gatehouse'\n${imports}\nexport default defineConfig({\n${body}\n  pools: { web: { upstreams: ['http://127.0.0.1:9'] } },\n  routes: [{ pool: 'web' }],\n})\n`)
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/gatehouse.js', 'check', '--config', file], { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    )
  })
}

const problems = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.trim())

test('gatehouse check accepts good certificates, and names the field of each bad one', async () => {
  const good = await check('good', `listen: { port: 8443, tls: { certificates: [{ cert: '${a.cert}', key: '${a.key}' }, { cert: '${b.cert}', key: '${b.key}', hosts: ['x.b.test'] }], redirectHttp: { port: 8080 }, hsts: true } },`)
  assert.equal(good.code, 0, good.stderr)
  assert.match(good.stdout, /is valid/)

  const bad = await check(
    'bad',
    `listen: { port: 8443, tls: {
      certificates: [
        { cert: '${ca.dir}/missing.crt', key: '${a.key}' },
        { cert: '${a.cert}', key: '${b.key}' },
        { cert: '${notPem}', key: '${a.key}' },
        { cert: '${b.cert}', key: '${b.key}', hosts: ['b.test', 'c.test', 'x.y.b.test'] },
      ],
      hsts: { maxAge: '10 years', preload: true },
    } },
    limits: { maxHeaderBytes: '10 parsecs', headerTimeout: '10ms' },`,
  )
  assert.equal(bad.code, 1)
  const lines = problems(bad.stderr)
  const expect = [
    /^listen\.tls\.certificates\[0\]\.cert: cannot read ".*missing\.crt" \(no such file\)$/,
    /^listen\.tls\.certificates\[1\]\.key: ".*b\.key": not the private key of the certificate \(CN=a\.test\) in ".*a\.crt"$/,
    /^listen\.tls\.certificates\[2\]\.cert: ".*not\.pem": no PEM certificate in it/,
    /^listen\.tls\.certificates\[3\]\.hosts\[1\]: "c\.test" is not a name in the certificate ".*b\.crt" \(b\.test, \*\.b\.test\)$/,
    /^listen\.tls\.certificates\[3\]\.hosts\[2\]: "x\.y\.b\.test" is not a name/,
    /^listen\.tls\.hsts\.maxAge: expected an age like "180d"/,
    /^listen\.tls\.hsts\.preload: preload needs maxAge of at least "365d" and includeSubDomains: true$/,
    /^limits\.maxHeaderBytes: expected a size like "10mb"/,
    /^limits\.headerTimeout: expected at least 100ms$/,
  ]
  for (const re of expect) assert.ok(lines.some((l) => re.test(l)), `no line matches ${re}:\n${lines.join('\n')}`)
  assert.equal(lines.length, expect.length, lines.join('\n'))
})

test('HSTS preload needs a year and includeSubDomains; maxBodySize must be a size; the factory names itself', async () => {
  const res = await check(
    'bad2',
    `listen: { tls: { certificates: certificateFiles([{ cert: '${a.cert}', key: '${ca.dir}/nope.key' }]), hsts: { maxAge: '180d', preload: true } } },`,
    `import { certificateFiles } from 'gatehouse/plugins/certificates'`,
  )
  assert.equal(res.code, 1)
  assert.match(res.stderr, /certificateFiles\(\): \[0\]\.key: cannot read ".*nope\.key" \(no such file\)/)
  const res2 = await check(
    'bad3',
    `listen: { tls: { certificates: [{ cert: '${a.cert}', key: '${a.key}' }], hsts: { maxAge: '180d', preload: true } } },`,
  )
  assert.match(res2.stderr, /listen\.tls\.hsts\.preload: preload needs maxAge of at least "365d" and includeSubDomains: true/)
  const dir = join(ROOT, 'test-output', 'configs')
  const file = join(dir, 'tls-check-body.config.ts')
  writeFileSync(file, `import { defineConfig } from 'gatehouse'\nexport default defineConfig({ pools: { web: { upstreams: ['http://127.0.0.1:9'] } }, routes: [{ pool: 'web', maxBodySize: '10 parsecs' }, { pool: 'web', path: '/x', maxBodySize: '1.5mb' }] })\n`)
  const res3 = await new Promise<string>((resolve) => execFile(process.execPath, ['bin/gatehouse.js', 'check', '--config', file], { cwd: ROOT }, (_e, _o, stderr) => resolve(stderr)))
  assert.deepEqual(problems(res3), ['routes[0].maxBodySize: expected a size like "10mb" (b, kb, mb, gb; 1kb = 1024) or a whole number of bytes'])
})

// A custom source: the shape an ACME source has (its own store, update() on issue, challenge()).
let up: Upstream
let gw: TestGateway
let ctx: CertificateContext | undefined
let redirectPort: number
const pem = (leaf: { cert: string; key: string }) => ({ cert: readFileSync(leaf.cert, 'utf8'), key: readFileSync(leaf.key, 'utf8') })
const source: CertificateSource = {
  kind: 'certificates',
  name: 'memory',
  start(c) {
    ctx = c
    c.update([pem(a)])
  },
  challenge: (token) => (token === 'tok123' ? 'tok123.thumbprint' : undefined),
}

before(async () => {
  up = await startUpstream(echo('app'))
  redirectPort = await freePort()
  gw = await startGateway({
    listen: { tls: { certificates: source, redirectHttp: { port: redirectPort } } },
    pools: { app: { upstreams: [up.url] } },
    routes: [{ pool: 'app' }],
  })
})
after(async () => {
  await gw?.stop()
  await up?.close()
})

test('a custom certificate source: its sets are checked and swapped in, a bad set is rejected whole with reasons', async () => {
  assert.equal((await presentedCertificate(gw.port, 'a.test')).serial, a.serial)
  const rejected = ctx!.update([pem(b), { cert: pem(a).cert, key: pem(b).key }])
  assert.deepEqual(rejected, ['[1].key: not the private key of the certificate (CN=a.test)'])
  assert.deepEqual(ctx!.update([{ ...pem(a), hosts: ['nope.test'] }]), ['[0].hosts: "nope.test" is not a name in the certificate (a.test)'])
  assert.deepEqual(ctx!.update([]), ['no certificate in the set'])
  assert.equal((await presentedCertificate(gw.port, 'a.test')).serial, a.serial, 'a rejected set changed the certificate')
  assert.deepEqual(ctx!.update([pem(b), pem(a)]), [])
  await waitFor(async () => (await presentedCertificate(gw.port, 'x.b.test')).serial === b.serial, { timeoutMs: 2000, what: 'the b certificate' })
  assert.equal((await presentedCertificate(gw.port, 'a.test')).serial, a.serial)
  assert.equal((await presentedCertificate(gw.port)).serial, b.serial, 'the first certificate of the set is the default')
  const status = await new Promise<number>((resolve, reject) =>
    request({ host: '127.0.0.1', port: gw.port, servername: 'x.b.test', headers: { host: 'x.b.test' }, ca: ca.caPem }, (res) => (res.resume(), resolve(res.statusCode!)))
      .on('error', reject)
      .end(),
  )
  assert.equal(status, 200)
})

test('the redirect listener answers ACME HTTP-01 challenges from the source, and redirects everything else', async () => {
  const hit = await fetch(`http://127.0.0.1:${redirectPort}/.well-known/acme-challenge/tok123`, { headers: { host: 'a.test' } })
  assert.equal(hit.status, 200)
  assert.equal(await hit.text(), 'tok123.thumbprint')
  assert.equal((await fetch(`http://127.0.0.1:${redirectPort}/.well-known/acme-challenge/other`)).status, 404)
  // fetch() would not send our Host header.
  const other = await new Promise<{ status: number; location?: string }>((resolve, reject) =>
    httpRequest({ host: '127.0.0.1', port: redirectPort, path: '/x?y=1', headers: { host: 'a.test' } }, (res) => (res.resume(), resolve({ status: res.statusCode!, location: res.headers.location })))
      .on('error', reject)
      .end(),
  )
  assert.deepEqual(other, { status: 308, location: `https://a.test:${gw.port}/x?y=1` })
})
