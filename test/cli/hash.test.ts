/**
 * `gatehouse hash-password` and `gatehouse hash-key` through the real CLI (bin/gatehouse.js): the
 * secret piped on stdin, or typed at a terminal (a pty made by `script`) where it must not echo.
 * The printed hash is what basic-auth and api-key accept: it verifies the secret, and a gateway
 * started with it lets that secret in.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'
import { hashProblem, parseHash } from '../../plugins/basic-auth/password.ts'
import { run, requireBinary, waitFor } from '../support/process.ts'
import { ROOT } from '../support/runtimes.ts'

const BIN = join(ROOT, 'bin/gatehouse.js')
const cli = (args: string[], input?: string) => run(process.execPath, [BIN, ...args], { input, timeoutMs: 60_000 })

test('hash-password: a piped password (less its newline) → a PBKDF2 hash basic-auth accepts', async () => {
  const r = await cli(['hash-password'], 'correct horse battery staple\n')
  assert.equal(r.code, 0, r.stderr)
  const hash = r.stdout.trim()
  assert.match(hash, /^\$pbkdf2-sha256\$i=600000\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/)
  assert.equal(hashProblem(hash), undefined)
  assert.equal(await parseHash(hash).verify('correct horse battery staple'), true)
  assert.equal(await parseHash(hash).verify('correct horse battery staple\n'), false)
  const again = await cli(['hash-password'], 'correct horse battery staple\n')
  assert.notEqual(again.stdout.trim(), hash, 'a fresh salt each time')
})

test('hash-password --iterations; bad arguments and an empty stdin are refused', async () => {
  const r = await cli(['hash-password', '--iterations', '2000'], 'pw')
  assert.match(r.stdout, /^\$pbkdf2-sha256\$i=2000\$/)
  assert.equal(await parseHash(r.stdout.trim()).verify('pw'), true)
  const low = await cli(['hash-password', '--iterations', '10'], 'pw')
  assert.equal(low.code, 2)
  assert.match(low.stderr, /--iterations: expected a whole number from 1000/)
  const empty = await cli(['hash-key'], '')
  assert.equal(empty.code, 1)
  assert.match(empty.stderr, /no API key on stdin/)
  const extra = await cli(['hash-key', '--salt', 'x'], 'k')
  assert.equal(extra.code, 2)
  assert.match(extra.stderr, /unknown argument --salt/)
})

test('hash-key: the SHA-256 hex digest api-key expects (= printf %s "$KEY" | sha256sum)', async () => {
  const key = 'k_live_4f9c2b7e1d'
  const r = await cli(['hash-key'], `${key}\n`)
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, createHash('sha256').update(key).digest('hex') + '\n')
})

/** Runs the CLI on a pseudo-terminal; `answers` are typed (with Enter) each after its prompt appears. */
async function onTerminal(args: string[], answers: { after: RegExp; type: string }[]): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ')
  const child = spawn(requireBinary('script'), ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let screen = ''
  child.stdout.on('data', (c) => (screen += c))
  child.stderr.on('data', (c) => (screen += c))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  let seen = 0
  for (const { after, type } of answers) {
    // Typed only once the prompt is up: raw mode is on by then, so the terminal cannot echo it.
    await waitFor(() => after.test(screen.slice(seen)), { timeoutMs: 30_000, what: `prompt ${after}`, abort: () => (child.exitCode !== null ? screen : undefined) })
    seen = screen.length
    child.stdin.write(`${type}\r`)
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const code = await exited
  clearTimeout(timer)
  return { code, screen }
}

test('on a terminal: prompts on stderr, never echoes the secret, asks for a password twice', async () => {
  const key = await onTerminal(['hash-key'], [{ after: /API key: /, type: 'tty-key-123' }])
  assert.equal(key.code, 0, key.screen)
  assert.ok(!key.screen.includes('tty-key-123'), `the key was echoed:\n${key.screen}`)
  assert.ok(key.screen.includes(createHash('sha256').update('tty-key-123').digest('hex')), key.screen)

  const pw = await onTerminal(['hash-password', '--iterations', '1000'], [{ after: /password: /, type: 's3cret-pw' }, { after: /password again: /, type: 's3cret-pw' }])
  assert.equal(pw.code, 0, pw.screen)
  assert.ok(!pw.screen.includes('s3cret-pw'), `the password was echoed:\n${pw.screen}`)
  const hash = /\$pbkdf2-sha256\$\S+/.exec(pw.screen)?.[0]
  assert.ok(hash, pw.screen)
  assert.equal(await parseHash(hash).verify('s3cret-pw'), true)

  const differ = await onTerminal(['hash-password'], [{ after: /password: /, type: 'one' }, { after: /password again: /, type: 'two' }])
  assert.equal(differ.code, 1)
  assert.match(differ.screen, /the two entries differ/)
})
