/**
 * One read-then-watch session against etcd, the plugin's only I/O:
 *
 * 1. read every key under the prefixes at ONE revision R (the second range is read "as of" R);
 * 2. report that state;
 * 3. watch the prefixes from R + 1, so every change after the read, including one made before the
 *    watch was in place, is replayed by etcd; apply each watch response and report again.
 *
 * The session ends (its promise resolves with the reason) when the watch breaks: etcd stopped,
 * restarted, the stream ended, or R was compacted away. The caller then backs off and starts a new
 * session, which re-reads everything: a fresh read cannot miss what happened while we were away.
 */
import type { Etcd3, IKeyValue, IWatchResponse, Watcher } from 'etcd3'

export interface SessionHooks {
  /** Called with all keys (etcd's whole truth under the prefixes) after the read and after each change. */
  onState(kvs: ReadonlyMap<string, string>, revision: string): void
  /** Test seam: runs between the read and the watch (a change made here must not be lost). */
  afterRead?(revision: string): Promise<void> | void
  /** How long creating the watch may take before the session counts as failed, ms. */
  watchTimeout: number
}

/** Prefixes to read and watch: one that lies inside another is covered by it. */
export function coveringPrefixes(prefixes: readonly string[]): string[] {
  const unique = [...new Set(prefixes)].sort((a, b) => a.length - b.length)
  return unique.filter((p, i) => !unique.slice(0, i).some((q) => p.startsWith(q)))
}

/** Runs one session until the watch breaks or `signal` aborts; resolves with why it ended. Rejects when the read fails. */
export async function runSession(client: Etcd3, prefixes: readonly string[], hooks: SessionHooks, signal: AbortSignal): Promise<string> {
  const [first, ...rest] = coveringPrefixes(prefixes)
  const kvs = new Map<string, string>()
  const head = await client.getAll().prefix(first!).exec()
  const revision = head.header.revision
  for (const kv of head.kvs) kvs.set(kv.key.toString(), kv.value.toString())
  for (const p of rest) {
    const res = await client.getAll().prefix(p).revision(revision).exec()
    for (const kv of res.kvs) kvs.set(kv.key.toString(), kv.value.toString())
  }
  if (signal.aborted) return 'stopped'
  hooks.onState(kvs, revision)
  await hooks.afterRead?.(revision)

  const from = String(BigInt(revision) + 1n)
  const watchers: Watcher[] = []
  let open = true
  let end: (reason: string) => void = () => {}
  const ended = new Promise<string>((resolve) => (end = (reason) => ((open = false), resolve(reason))))
  const onAbort = () => end('stopped')
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    if (signal.aborted) return 'stopped'
    for (const p of [first!, ...rest]) {
      const watcher = client.watch().prefix(p).startRevision(from).watcher()
      watchers.push(watcher)
      watcher.on('disconnected', (err) => end(`watch disconnected: ${err.message}`))
      watcher.on('error', (err) => end(`watch failed: ${err.message}`))
      watcher.on('end', () => end('watch ended'))
      watcher.on('data', (res: IWatchResponse) => {
        if (!open || !res.events.length) return // ended, or a progress notification
        for (const ev of res.events) apply(kvs, ev.type, ev.kv)
        hooks.onState(kvs, res.header.revision)
      })
    }
    const timer = setTimeout(() => end(`watch not established within ${hooks.watchTimeout} ms`), hooks.watchTimeout)
    Promise.all(watchers.map((w) => (w.id !== null ? undefined : new Promise((r) => w.once('connected', r))))).then(() => clearTimeout(timer))
    ended.then(() => clearTimeout(timer))
    return await ended
  } finally {
    signal.removeEventListener('abort', onAbort)
    // Detach the watchers (not awaited: the caller closes the client next, which ends the stream).
    for (const w of watchers) {
      w.removeAllListeners('data')
      w.cancel().catch(() => {})
    }
  }
}

function apply(kvs: Map<string, string>, type: string, kv: IKeyValue): void {
  const key = kv.key.toString()
  if (type === 'Delete') kvs.delete(key)
  else kvs.set(key, kv.value.toString())
}
