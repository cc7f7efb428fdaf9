// The pure parts of the ACME source: its plugin shape (kind, problems instead of throws), which
// hosts can be ordered, renewal timing, backoff, the order rate limit, the self-signed fallback,
// and the ACME Renewal Information certificate id (RFC 9773), checked against a certificate
// openssl made with the RFC example's serial.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { acme, directoryStore, etcdStore } from '../../plugins/acme/index.ts'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { skipReason } from '../../plugins/acme/hosts.ts'
import { OrderRate, renewalTime, retryDelay } from '../../plugins/acme/schedule.ts'
import { fallbackCertificate } from '../../plugins/acme/fallback-certificate.ts'
import { ariCertId } from '../../plugins/acme/renewal-info.ts'
import { inspectKeyPair } from '../../core/runtime/io/certificates.ts'
import { createTestCa } from '../support/certs.ts'

test('acme() is a certificates plugin; bad options (its own and its store\'s) are problems, not throws', () => {
  const ok = acme({ email: 'ops@example.com', store: directoryStore({ path: 'x' }) })
  assert.equal(ok.kind, 'certificates')
  assert.equal(ok.name, 'acme')
  assert.deepEqual(ok.problems, undefined)
  assert.equal(typeof ok.challenge, 'function')
  const bad = acme({ email: 'nope', store: etcdStore({ lockTtl: '1s' }) })
  assert.equal(bad.kind, 'certificates')
  assert.deepEqual(bad.problems?.map((p) => p.split(':')[0]), ['email', 'store'])
  assert.match(bad.problems![1]!, /^store: etcdStore\(\): lockTtl: expected at least 2s/)
  assert.throws(() => assertValidPlugin(bad), /acme\(\): email: /)
})

test('orderable hosts: DNS names of two labels or more; wildcards, IPs and single labels are skipped with a reason', () => {
  for (const ok of ['app.test', 'a.b.example.com', 'xn--bcher-kva.example']) assert.equal(skipReason(ok), undefined, ok)
  assert.match(skipReason('*.example.com')!, /wildcard/)
  assert.match(skipReason('10.0.0.1')!, /IP address/)
  assert.match(skipReason('[::1]')!, /IP address/)
  assert.match(skipReason('localhost')!, /two labels/)
  assert.match(skipReason('-bad.example')!, /DNS name/)
})

test('renewal at two thirds of the life; backoff doubles from min to max; at most max orders per window', () => {
  assert.equal(renewalTime({ notBefore: '2025-01-01T00:00:00Z', notAfter: '2025-01-31T00:00:00Z' }), Date.parse('2025-01-21T00:00:00Z'))
  assert.deepEqual([1, 2, 3, 4, 10].map((n) => retryDelay(n, { min: 1000, max: 5000 })), [1000, 2000, 4000, 5000, 5000])
  const rate = new OrderRate(2, 1000)
  assert.deepEqual([rate.take(0), rate.take(10), rate.take(20)], [true, true, false])
  assert.equal(rate.nextFree(20), 1000)
  assert.equal(rate.take(1001), true)
})

test('the fallback certificate is self-signed, matches its key and names no host', () => {
  const f = fallbackCertificate()
  const pair = inspectKeyPair(f.cert, f.key)
  assert.ok(pair.ok)
  assert.equal(pair.facts.subject, 'CN=gatehouse')
  assert.ok(pair.facts.notAfter.getTime() > Date.now() + 300 * 86_400_000)
})

test('ARI certificate id: base64url(authority key id) "." base64url(DER serial), leading zero kept', () => {
  const ca = createTestCa('ari')
  try {
    const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: ca.dir }).toString()
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'l.key', '-out', 'l.csr', '-subj', '/CN=ari.test'])
    writeFileSync(join(ca.dir, 'l.ext'), 'authorityKeyIdentifier=keyid\nsubjectAltName=DNS:ari.test\n')
    openssl(['x509', '-req', '-in', 'l.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', '0x87654321', '-days', '1', '-out', 'l.crt', '-extfile', 'l.ext'])
    const aki = /Identifier:\s*(?:keyid:)?([0-9A-F:]+)/i.exec(openssl(['x509', '-in', 'l.crt', '-noout', '-ext', 'authorityKeyIdentifier']))![1]!.replace(/:/g, '')
    const expected = `${Buffer.from(aki, 'hex').toString('base64url')}.AIdlQyE` // the serial part as in RFC 9773's example
    assert.equal(ariCertId(readFileSync(join(ca.dir, 'l.crt'), 'utf8')), expected)
  } finally {
    ca.remove()
  }
})
