// The user-facing contract of `gatehouse check --config FILE` (and `start` with a bad config):
// exit 1, one stderr line per bad field naming its path and the reason, and no server started.
// Each config is a real module under test-output/configs/ so `from 'gatehouse'` resolves through
// the package's self-reference, and the real CLI (bin/gatehouse.js) runs as a child process.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { canConnect, freePort } from '../support/ports.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const DIR = 'test-output/configs'
mkdirSync(`${ROOT}${DIR}`, { recursive: true })

const UP = `upstreams: ['http://127.0.0.1:9']`

/** A config module listening on 127.0.0.1:port; `body` is the rest of the object literal. */
function cfg(port: number, body: string, imports = ''): string {
  return [
    `import { defineConfig } from 'gatehouse'`,
    imports,
    `export default defineConfig({`,
    `  listen: { port: ${port}, host: '127.0.0.1' },`,
    `  ${body}`,
    `})`,
    '',
  ].join('\n')
}

function writeConfig(name: string, source: string): string {
  const rel = `${DIR}/${name}.ts`
  writeFileSync(`${ROOT}${rel}`, source)
  return rel
}

interface Result { code: number | null; stdout: string; stderr: string }

function gatehouse(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/gatehouse.js', ...args], { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

/** The problem lines: the CLI prints `gatehouse: invalid FILE:` then one indented line each. */
const problemLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.trim())

function assertLine(stderr: string, re: RegExp): void {
  assert.ok(problemLines(stderr).some((l) => re.test(l)), `no stderr problem line matches ${re}\n--- stderr ---\n${stderr}`)
}

const DURATION = /expected a duration like "2s"/
const PATH_RULE = /expected a path like "\/"/
const HOST_RULE = /expected a host like "api\.example\.com"/
const URL_RULE = /expected an upstream URL like "http:\/\/127\.0\.0\.1:8000"/
const HEADER_NAME = /expected an HTTP header name/

interface Case { name: string; source: (port: number) => string; expect: RegExp[] }

const pool = (extra: string) => `pools: { web: { ${UP}, ${extra} } }, routes: [{ pool: 'web' }],`
const route = (extra: string) => `pools: { web: { ${UP} } }, routes: [{ pool: 'web', ${extra} }],`

const cases: Case[] = [
  { name: 'bad duration', source: (p) => cfg(p, pool(`timeouts: { connect: 'fast' }`)),
    expect: [new RegExp(`^pools\\.web\\.timeouts\\.connect: ${DURATION.source}`)] },
  { name: 'negative retries', source: (p) => cfg(p, pool('retries: -1')), expect: [/^pools\.web\.retries: .*(>=\s*0|small)/i] },
  { name: 'float retries', source: (p) => cfg(p, pool('retries: 1.5')), expect: [/^pools\.web\.retries: expected a whole number from 0 to 10$/] },
  { name: 'unknown top-level key (typo rotues)', source: (p) => cfg(p, `pools: { web: { ${UP} } }, rotues: [{ pool: 'web' }],`),
    expect: [/^rotues: unknown field \(did you mean "routes"\?\)$/] },
  { name: 'unknown pool key', source: (p) => cfg(p, pool('balancr: null')),
    expect: [/^pools\.web\.balancr: unknown field \(did you mean "balancer"\?\)$/] },
  { name: 'route naming an undefined pool', source: (p) => cfg(p, `pools: { web: { ${UP} } }, routes: [{ pool: 'api' }],`),
    expect: [/^routes\[0\]\.pool: no pool named "api" \(defined: web\)/] },
  { name: 'path without leading slash', source: (p) => cfg(p, route(`path: 'api/*'`)), expect: [new RegExp(`^routes\\[0\\]\\.path: ${PATH_RULE.source}`)] },
  { name: '* in the middle of a path', source: (p) => cfg(p, route(`path: '/a/*/b'`)), expect: [new RegExp(`^routes\\[0\\]\\.path: ${PATH_RULE.source}`)] },
  { name: 'host with a scheme', source: (p) => cfg(p, route(`host: 'https://api.example.com'`)), expect: [new RegExp(`^routes\\[0\\]\\.host: ${HOST_RULE.source}`)] },
  { name: 'host with a port (in a list)', source: (p) => cfg(p, route(`host: ['a.example.com', 'b.example.com:8080']`)),
    expect: [new RegExp(`^routes\\[0\\]\\.host\\[1\\]: ${HOST_RULE.source}`)] },
  { name: 'upstream URL without a scheme', source: (p) => cfg(p, `pools: { web: { upstreams: ['127.0.0.1:9000'] } },`),
    expect: [new RegExp(`^pools\\.web\\.upstreams\\[0\\]: ${URL_RULE.source}`)] },
  { name: 'upstream URL with a path', source: (p) => cfg(p, `pools: { web: { upstreams: [{ url: 'http://127.0.0.1:9000/app' }] } },`),
    expect: [new RegExp(`^pools\\.web\\.upstreams\\[0\\]\\.url: ${URL_RULE.source}`)] },
  { name: 'pool without upstreams or discovery', source: (p) => cfg(p, `pools: { web: { retries: 1 } },`),
    expect: [/^pools\.web: expected "upstreams" or "discovery"/] },
  { name: 'a string as balancer', source: (p) => cfg(p, pool(`balancer: 'round-robin'`)), expect: [/^pools\.web\.balancer: expected a balancer plugin/] },
  { name: 'bad header name in requestHeaders.set', source: (p) => cfg(p, route(`requestHeaders: { set: { 'x bad': '1' } }`)),
    expect: [new RegExp(`^routes\\[0\\]\\.requestHeaders\\.set\\b.*x bad.*: ${HEADER_NAME.source}`)] },
  { name: 'bad header name in requestHeaders.remove', source: (p) => cfg(p, route(`requestHeaders: { remove: ['x:y'] }`)),
    expect: [new RegExp(`^routes\\[0\\]\\.requestHeaders\\.remove\\[0\\]: ${HEADER_NAME.source}`)] },
  { name: 'invalid rewrite regex', source: (p) => cfg(p, route(`rewrite: { pattern: '(unclosed', replacement: '/' }`)),
    expect: [/^routes\[0\]\.rewrite\.pattern: expected a valid regular expression/] },
  { name: 'bad trustedProxies CIDR', source: (p) => cfg(p, `trustedProxies: ['10.0.0.0/8', '10.0.0.0/33'], ${pool('retries: 1')}`),
    expect: [/^trustedProxies\[1\]: expected an IP address or CIDR/] },
  { name: 'port out of range', source: () => cfg(70000, `pools: { web: { ${UP} } },`), expect: [/^listen\.port: .*(<=\s*65535|big)/i] },
  { name: 'plugin factory with bad options', source: (p) => cfg(p, pool('balancer: hash({ on: 42 })'), `import { hash } from 'gatehouse/plugins/hash'`),
    expect: [/^pools\.web\.balancer: hash\(\): on: expected "client-ip"/] },
  { name: 'no default export', source: (p) => cfg(p, `pools: { web: { ${UP} } },`).replace('export default defineConfig(', 'export const config = defineConfig('),
    expect: [/export default defineConfig/] },
  // The reason must point at the spot: file:line and the parser's message, not just "failed".
  { name: 'syntax error', source: (p) => cfg(p, `pools: { web: { ${UP} },`),
    expect: [/^cannot load: .*syntax-error\.ts:\d+\b.*(expected|unexpected)/i] },
]

/** Runs `check` on a config and asserts the failure contract: exit 1, the lines, no listener. */
async function expectRejected(command: 'check' | 'start', name: string, source: (port: number) => string, expect: RegExp[]) {
  const port = await freePort()
  const file = writeConfig(name, source(port))
  const res = command === 'check' ? await gatehouse(['check', '--config', file]) : await startUntilExit(file, port)
  assert.equal(res.code, 1, `exit code\n--- stderr ---\n${res.stderr}`)
  assert.match(res.stderr, /^gatehouse: invalid .+:$/m)
  for (const re of expect) assertLine(res.stderr, re)
  assert.doesNotMatch(res.stderr, /\n\s+at .*\.ts:\d+/, 'stderr shows a stack trace instead of a config error')
  assert.equal(await canConnect(port, 500), false, `something listens on ${port}`)
}

const slug = (s: string) => s.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase()

test('check: each mistake exits 1 and names the field and the reason', { concurrency: 6 }, async (t) => {
  assert.ok(new Set(cases.map((c) => c.name)).size >= 12)
  await Promise.all(cases.map((c) => t.test(c.name, () => expectRejected('check', slug(c.name), c.source, c.expect))))
})

test('check: a config with several mistakes prints every one, one line each', async () => {
  const source = (p: number) => [
    `import { defineConfig } from 'gatehouse'`,
    `export default defineConfig({`,
    `  listen: { port: -1 },`,
    `  rotues: [],`,
    `  pools: { web: { ${UP}, retries: 99, timeouts: { idle: '5 minutes' } } },`,
    `  routes: [{ path: 'x', pool: 'web' }],`,
    `})`,
  ].join('\n')
  const expect = [/^listen\.port: /, /^pools\.web\.retries: /, new RegExp(`^pools\\.web\\.timeouts\\.idle: ${DURATION.source}`),
    new RegExp(`^routes\\[0\\]\\.path: ${PATH_RULE.source}`), /^rotues: unknown field/]
  const port = await freePort()
  const file = writeConfig('several-mistakes', source(port))
  const res = await gatehouse(['check', '--config', file])
  assert.equal(res.code, 1)
  for (const re of expect) assertLine(res.stderr, re)
  assert.equal(problemLines(res.stderr).length, expect.length, res.stderr)
})

test('check: cross-field mistakes are reported together with field mistakes', () =>
  expectRejected('check', 'cross-field-and-field', (p) => cfg(p, [
    `pools: { web: { ${UP}, retries: -1 }, empty: {} },`,
    `routes: [{ pool: 'web' }, { pool: 'missing' }],`,
  ].join('\n')), [/^pools\.web\.retries: /, /^pools\.empty: expected "upstreams" or "discovery"/, /^routes\[1\]\.pool: no pool named "missing"/]))

test('check: the repo gateway.config.ts is valid (exit 0)', async () => {
  const res = await gatehouse(['check', '--config', 'gateway.config.ts'])
  assert.equal(res.code, 0, res.stderr)
  assert.match(res.stdout, /gateway\.config\.ts is valid \(1 pools, 1 routes\)/)
  assert.equal(res.stderr, '')
})

test('check: a pool guarded on one route and open on another is valid, with a warning naming both routes', async () => {
  const port = await freePort()
  const file = writeConfig('open-door', cfg(port, [
    `pools: { api: { ${UP} } },`,
    `routes: [{ host: 'api.example.com', path: '/admin/*', pool: 'api', use: [jwt({ secret: 'a-secret-of-at-least-32-characters!!' })] }, { path: '/*', pool: 'api' }],`,
  ].join('\n'), `import { jwt } from 'gatehouse/plugins/jwt'`))
  const res = await gatehouse(['check', '--config', file])
  assert.equal(res.code, 0, res.stderr)
  assert.match(res.stderr, /^gatehouse: warning: routes\[1\] \(any host, path \/\*\) reaches pool "api" without auth, while routes\[0\] \(host api\.example\.com, path \/admin\/\*\) guards it with jwt/m)
})

/** Runs `start` and waits for it to exit; a gateway that keeps serving is killed and fails the test. */
function startUntilExit(file: string, port: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/gatehouse.js', 'start', '--config', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c })
    child.stderr.on('data', (c: Buffer) => { stderr += c })
    const timer = setTimeout(async () => {
      const listening = await canConnect(port, 500)
      child.kill('SIGKILL')
      reject(new Error(`start kept running for 20s (listening on ${port}: ${listening})\n${stderr}`))
    }, 20_000)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

test('start: a bad config exits 1 with the same lines and never listens', () =>
  expectRejected('start', 'start-bad', (p) => cfg(p, pool(`timeouts: { firstByte: '10 seconds' }`)),
    [new RegExp(`^pools\\.web\\.timeouts\\.firstByte: ${DURATION.source}`)]))

test('start: a pool without a source exits 1 and never listens', () =>
  expectRejected('start', 'start-no-source', (p) => cfg(p, `pools: { web: {} }, routes: [{ pool: 'web' }],`),
    [/^pools\.web: expected "upstreams" or "discovery"/]))

test('check: a misplaced plugin and four bad plugin options are all named in one run, each at its slot', async () => {
  const port = await freePort()
  const file = writeConfig('plugin-mistakes', [
    `import { defineConfig } from 'gatehouse'`,
    `import { docker } from 'gatehouse/plugins/docker'`,
    `import { file } from 'gatehouse/plugins/file'`,
    `import { hash } from 'gatehouse/plugins/hash'`,
    `import { jwt } from 'gatehouse/plugins/jwt'`,
    `import { rateLimit } from 'gatehouse/plugins/rate-limit'`,
    `export default defineConfig({`,
    `  listen: { port: ${port}, host: '127.0.0.1' },`,
    `  observe: [docker()],`,
    `  discovery: [file({ path: 'routes.json', debounce: 'soon' })],`,
    `  pools: { web: { ${UP}, balancer: hash({ on: 42 }) } },`,
    `  routes: [{ pool: 'web', use: [jwt({ secret: 'short' }), rateLimit({ rate: 'lots' })] }],`,
    `})`,
  ].join('\n'))
  const res = await gatehouse(['check', '--config', file])
  assert.equal(res.code, 1, res.stderr)
  const expect = [
    /^observe\[0\]: expected an observer plugin \(metrics\(\), accessLog\(\), tracing\(\), admin\(\) …\), got a discovery plugin \(docker\)$/,
    new RegExp(`^discovery\\[0\\]: file\\(\\): debounce: ${DURATION.source}`),
    /^pools\.web\.balancer: hash\(\): on: expected "client-ip"/,
    /^routes\[0\]\.use\[0\]: jwt\(\): secret: use at least 32 bytes/,
    /^routes\[0\]\.use\[1\]: rateLimit\(\): rate: expected "<count>\/<duration>"/,
  ]
  for (const re of expect) assertLine(res.stderr, re)
  assert.equal(problemLines(res.stderr).length, expect.length, res.stderr)
})
