/** File discovery: the contract, the file's rules, and one gateway following the file live. */
import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { file } from '../../plugins/file/index.ts'
import { startGateway } from '../support/gateway.ts'
import { echo, startUpstream } from '../support/http-upstream.ts'
import { discoveryContract, runPlugin, sleep } from './discovery.contract.ts'

const FIXTURE = join(import.meta.dirname, '../fixtures/file-registry.json')

function tempRegistry(content?: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'gh-file-'))
  const path = join(dir, 'registry.json')
  const write = (c: unknown) => writeFileSync(path, typeof c === 'string' ? c : JSON.stringify(c))
  /** Writes a sibling and renames it over the file, as editors and deploy tools do. */
  const replace = (c: unknown) => {
    writeFileSync(`${path}.tmp`, typeof c === 'string' ? c : JSON.stringify(c))
    renameSync(`${path}.tmp`, path)
  }
  if (content !== undefined) write(content)
  return { dir, path, write, replace, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

discoveryContract('file', async () => {
  const reg = tempRegistry()
  const urls = new Set(['http://127.0.0.1:7100'])
  const write = () => reg.write({ pools: { web: [...urls] } })
  write()
  return {
    plugin: file({ path: reg.path }),
    mutate: {
      add: async (url) => (urls.add(url), write()),
      remove: async (url) => (urls.delete(url), write()),
      corrupt: async () => reg.write('{ "pools": { "web": ['),
    },
    cleanup: async () => reg.remove(),
  }
})

describe('file discovery', () => {
  it('validates its options at the factory call, naming the field', () => {
    assert.throws(() => assertValidPlugin(file({} as never)), /file\(\): path: /)
    assert.throws(() => assertValidPlugin(file({ path: 'x.json', debounce: 'soon' })), /file\(\): debounce: expected a duration/)
  })

  it('reads pools and routes from the file', async (t) => {
    const reg = tempRegistry()
    copyFileSync(FIXTURE, reg.path)
    const run = await runPlugin(file({ path: reg.path }))
    t.after(() => (run.abort(), reg.remove()))
    assert.deepEqual(run.current('web'), ['http://127.0.0.1:8001', 'http://127.0.0.1:8002'])
    assert.deepEqual(run.current('api'), ['http://127.0.0.1:9001'])
    assert.equal(run.emits[0]!.routes?.length, 2)
    assert.deepEqual(run.emits[0]!.routes![0], { host: 'api.example.com', path: '/v1/*', pool: 'api', stripPrefix: '/v1' })
    reg.write({ pools: { web: ['http://127.0.0.1:8001'] } })
    await run.until('web', (u) => u.length === 1, 1000, 'routes dropped from the file')
    assert.deepEqual(run.emits.at(-1)!.routes, [], 'a file without routes reports none (not "unchanged")')
  })

  it('follows atomic rename-replace, again and again (the directory is watched)', async (t) => {
    const reg = tempRegistry({ pools: { web: ['http://127.0.0.1:8001'] } })
    const run = await runPlugin(file({ path: reg.path }))
    t.after(() => (run.abort(), reg.remove()))
    for (const port of [8002, 8003, 8004]) {
      reg.replace({ pools: { web: [`http://127.0.0.1:${port}`] } })
      await run.until('web', (u) => u.join() === `http://127.0.0.1:${port}`, 1000, `replace with :${port}`)
    }
  })

  it('rejects an invalid file with an error naming the field, and keeps serving the last good one', async (t) => {
    const reg = tempRegistry({ pools: { web: ['http://127.0.0.1:8001'] } })
    const run = await runPlugin(file({ path: reg.path }))
    t.after(() => (run.abort(), reg.remove()))
    const cases: Array<[content: unknown, message: RegExp]> = [
      [{ pools: { web: ['http://127.0.0.1:8001', { url: 'ftp://x' }] } }, /^file .*registry\.json: pools\.web\[1\]\.url: expected an upstream URL/],
      [{ pools: { web: [{ url: 'http://127.0.0.1:1', weight: 0 }] } }, /pools\.web\[0\]\.weight: /],
      [{ pool: {} }, /\(root\)|pool/],
      ['{ "pools": ', /invalid JSON/],
      ['', /the file is empty/],
      [{ routes: [{ path: 'no-slash', pool: 'web' }] }, /routes\[0\]\.path: expected a path like/],
    ]
    for (const [content, message] of cases) {
      const errors = run.logs.filter((l) => l.level === 'error').length
      reg.write(content)
      await run.until('web', () => run.logs.filter((l) => l.level === 'error').length > errors, 1000, `error for ${JSON.stringify(content)}`)
      assert.match(run.logs.at(-1)!.msg, message)
      assert.match(run.logs.at(-1)!.msg, /keeping the last good snapshot/)
    }
    assert.equal(run.emits.length, 1, 'no invalid file may be emitted')
    reg.write({ pools: { web: ['http://127.0.0.1:8009'] } })
    await run.until('web', (u) => u.join() === 'http://127.0.0.1:8009', 1000, 'recovery')
  })

  it('refuses routes with `use` middleware (JSON has no functions)', async (t) => {
    const reg = tempRegistry({ pools: {}, routes: [{ path: '/*', pool: 'web', use: ['jwt'] }] })
    const run = await runPlugin(file({ path: reg.path }))
    t.after(() => (run.abort(), reg.remove()))
    assert.equal(run.emits.length, 0)
    assert.match(run.logs[0]!.msg, /routes\[0\]\.use: middleware cannot come from a file .* gateway\.config\.ts \(no snapshot yet\)/)
  })

  it('accepts a plain array for the attached pool (or `pool`), and says when there is no pool', async (t) => {
    const reg = tempRegistry(['http://127.0.0.1:8001'])
    t.after(() => reg.remove())
    const attached = await runPlugin(file({ path: reg.path }), 'web')
    const named = await runPlugin(file({ path: reg.path, pool: 'api' }), undefined)
    const none = await runPlugin(file({ path: reg.path }), undefined)
    ;[attached, named, none].forEach((r) => r.abort())
    assert.deepEqual(attached.current('web'), ['http://127.0.0.1:8001'])
    assert.deepEqual(named.current('api'), ['http://127.0.0.1:8001'])
    assert.equal(none.emits.length, 0)
    assert.match(none.logs[0]!.msg, /a plain list of upstreams needs a pool/)
  })

  it('waits for a missing file (and directory) and picks it up when it appears', async (t) => {
    const reg = tempRegistry()
    const path = join(reg.dir, 'later', 'registry.json')
    const run = await runPlugin(file({ path, poll: '200ms' }))
    t.after(() => (run.abort(), reg.remove()))
    assert.equal(run.emits.length, 0)
    assert.match(run.logs.find((l) => l.level === 'error')!.msg, /cannot read it \(ENOENT\) \(no snapshot yet\)/)
    mkdirSync(join(reg.dir, 'later'))
    writeFileSync(path, JSON.stringify({ pools: { web: ['http://127.0.0.1:8001'] } }))
    await run.until('web', (u) => u.length === 1, 1000, 'the file once it exists (stat poll)')
  })
})

describe('file discovery end to end', () => {
  it('a gateway follows the file: a dropped upstream gets no traffic, an added one does, no restart', async (t) => {
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((n) => startUpstream(echo(n))))
    const reg = tempRegistry({ pools: { web: [a!.url, b!.url] } })
    const gw = await startGateway({ pools: { web: { discovery: file({ path: reg.path }) } }, routes: [{ path: '/*', pool: 'web' }] })
    t.after(async () => (await gw.stop(), await Promise.all([a, b, c].map((u) => u!.close())), reg.remove()))
    const hits = async (n: number) => {
      const names: string[] = []
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${gw.url}/x`)
        assert.equal(res.status, 200)
        names.push(((await res.json()) as { name: string }).name)
      }
      return names
    }
    assert.deepEqual(new Set(await hits(10)), new Set(['a', 'b']))

    reg.replace({ pools: { web: [a!.url] } })
    await sleep(1000)
    const seenByB = b!.seen.length
    assert.deepEqual(new Set(await hits(20)), new Set(['a']))
    assert.equal(b!.seen.length, seenByB, 'no request may reach the dropped upstream')

    reg.write({ pools: { web: [a!.url, c!.url] } })
    await sleep(1000)
    const names = await hits(20)
    assert.ok(names.filter((n) => n === 'c').length >= 5, `the added upstream takes traffic: ${names}`)
  })
})
