/**
 * The contract every discovery plugin honours (DESIGN.md §2, §7), as one reusable node:test
 * suite: `discoveryContract(name, setup)`, where `setup` builds a fresh plugin over a fresh
 * source and says how to change that source. `runPlugin` drives a plugin outside a gateway,
 * recording what it emits and logs; plugin tests use it for their own cases too.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { DiscoveryContext, DiscoveryPlugin, DiscoverySnapshot } from '../../core/types.ts'
import { toUpstream, upstreamListSchema } from '../../core/pools/upstream-input.ts'
import { nodeRuntime } from '../../core/runtime/node/index.ts'

export interface DiscoveryHarness {
  /** A plugin attached to pool `pool` (default "web"), already pointed at the source. */
  plugin: DiscoveryPlugin
  pool?: string
  mutate: {
    /** Makes the source list `url` too (e.g. "http://127.0.0.1:7101"); resolves once the source has it. */
    add(url: string): Promise<void>
    remove(url: string): Promise<void>
    /** Puts the source in a bad state (unparseable file, resolver down, an invalid entry); a later add must still show. */
    corrupt(): Promise<void>
  }
  /** How long a change may take to show up, in ms: the plugin's documented bound. Default 1000. */
  boundMs?: number
  cleanup(): Promise<void>
}

export interface LogLine { level: 'info' | 'warn' | 'error'; msg: string; fields?: Record<string, unknown> }

export interface PluginRun {
  emits: DiscoverySnapshot[]
  logs: LogLine[]
  /** Warn and error lines. */
  problems(): LogLine[]
  /** Sorted upstream origins of `pool` in the latest emit ([] before any). */
  current(pool: string): string[]
  /** Waits until the latest emit's upstreams of `pool` satisfy `ok` (within `timeoutMs`); returns them. */
  until(pool: string, ok: (urls: string[]) => boolean, timeoutMs: number, what: string): Promise<string[]>
  abort(): void
}

/** Sorted origins of a pool's upstreams; throws when one is not a valid upstream. */
export function urlsOf(snapshot: DiscoverySnapshot, pool: string): string[] {
  return upstreamListSchema.parse(snapshot.pools[pool] ?? []).map((u) => toUpstream(u).url.origin).sort()
}

/** Starts `plugin` (attached to `pool`, if given); resolves when its start() does. */
export async function runPlugin(plugin: DiscoveryPlugin, pool?: string): Promise<PluginRun> {
  const emits: DiscoverySnapshot[] = []
  const logs: LogLine[] = []
  const controller = new AbortController()
  const line = (level: LogLine['level']) => (msg: string, fields?: Record<string, unknown>) => void logs.push({ level, msg, fields })
  const ctx: DiscoveryContext = {
    emit: (s) => void emits.push(structuredClone(s)),
    signal: controller.signal,
    pool,
    log: { info: line('info'), warn: line('warn'), error: line('error') },
    io: nodeRuntime.io,
  }
  await plugin.start(ctx)
  const current = (p: string) => (emits.length ? urlsOf(emits.at(-1)!, p) : [])
  return {
    emits,
    logs,
    problems: () => logs.filter((l) => l.level !== 'info'),
    current,
    abort: () => controller.abort(),
    async until(p, ok, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const urls = current(p)
        if (ok(urls)) return urls
        if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs}ms; upstreams: [${urls}]; last logs: ${JSON.stringify(logs.slice(-3))}`)
        await sleep(20)
      }
    },
  }
}

const A = 'http://127.0.0.1:7101'
const B = 'http://127.0.0.1:7102'
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Handles a plugin may create; after abort there must be no more of each than before start. */
const HANDLES = ['Timeout', 'FSEventWrap', 'StatWatcher', 'QueryReqWrap', 'GetAddrInfoReqWrap']
const count = (kind: string) => process.getActiveResourcesInfo().filter((k) => k === kind).length

export function discoveryContract(name: string, setup: () => Promise<DiscoveryHarness>): void {
  type Case = (h: DiscoveryHarness & { bound: number; pool: string }, run: PluginRun) => Promise<void>
  /** A fresh harness and a started plugin for each case; always cleaned up. */
  const started = (body: Case) => async () => {
    const h = await setup()
    const pool = h.pool ?? 'web'
    const run = await runPlugin(h.plugin, pool).catch(async (err) => (await h.cleanup(), Promise.reject(err)))
    try {
      await body({ ...h, pool, bound: h.boundMs ?? 1000 }, run)
    } finally {
      run.abort()
      await h.cleanup()
    }
  }

  describe(`discovery contract: ${name}`, () => {
    it('has a name and emits a first snapshot by the time start() resolves', started(async ({ plugin, pool }, run) => {
      assert.ok(plugin.name.length > 0)
      assert.ok(run.emits.length >= 1, 'no snapshot emitted before start() resolved')
      assert.ok(Array.isArray(run.emits[0]!.pools[pool]), `first snapshot has no pool "${pool}"`)
    }))

    it('emits whole, valid snapshots (each lists all current upstreams)', started(async ({ mutate, bound, pool }, run) => {
      const initial = run.current(pool)
      await mutate.add(A)
      await run.until(pool, (urls) => urls.includes(A), bound, `${A} added`)
      await mutate.add(B)
      const both = await run.until(pool, (urls) => urls.includes(B), bound, `${B} added`)
      assert.deepEqual(both, [...new Set([...initial, A, B])].sort(), 'the emit after the second add must still hold the first')
      for (const snapshot of run.emits) urlsOf(snapshot, pool) // throws on an invalid upstream
    }))

    it('shows an added upstream and drops a removed one within the bound', started(async ({ mutate, bound, pool }, run) => {
      await mutate.add(A)
      await run.until(pool, (urls) => urls.includes(A), bound, `${A} added`)
      await mutate.add(B)
      await run.until(pool, (urls) => urls.includes(B), bound, `${B} added`)
      await mutate.remove(A)
      const after = await run.until(pool, (urls) => !urls.includes(A), bound, `${A} removed`)
      assert.ok(after.includes(B), 'removing one upstream must keep the others')
    }))

    it('keeps the last good snapshot through a bad input, logs it, and recovers', started(async ({ mutate, bound, pool }, run) => {
      await mutate.add(A)
      const good = await run.until(pool, (urls) => urls.includes(A), bound, `${A} added`)
      const [emitted, logged] = [run.emits.length, run.problems().length]
      await mutate.corrupt()
      await sleep(bound * 1.5)
      for (const s of run.emits.slice(emitted)) assert.deepEqual(urlsOf(s, pool), good, 'a bad input must not change the pool')
      assert.ok(run.problems().length > logged, 'a bad input must be logged (warn or error)')
      await mutate.add(B)
      await run.until(pool, (urls) => urls.includes(A) && urls.includes(B), bound * 2, 'recovery after the bad input')
    }))

    it('stops when the signal aborts: no emits after it, no timers or watchers left', async () => {
      const h = await setup()
      const before = HANDLES.map(count)
      try {
        const run = await runPlugin(h.plugin, h.pool ?? 'web')
        const leftovers = (when: string) =>
          HANDLES.forEach((kind, i) => assert.ok(count(kind) <= before[i]!, `${kind}: ${count(kind)} ${when}, ${before[i]} before start`))
        run.abort()
        await sleep(10) // closed handles are released; a timer the plugin forgot to clear is still pending
        leftovers('pending right after abort')
        const emitted = run.emits.length
        await h.mutate.add(A)
        await sleep((h.boundMs ?? 1000) * 1.5)
        assert.equal(run.emits.length, emitted, 'emitted after the signal aborted')
        leftovers('left after abort')
      } finally {
        await h.cleanup()
      }
    })
  })
}
