/**
 * A worker process (`gatehouse __worker`, started by the primary, never by hand): loads the same
 * config file (it holds functions, which cannot cross processes), serves the listen port shared
 * with the other workers, and takes discovery snapshots and health verdicts from the primary's
 * feed instead of running discovery, health checks, observers or control loops. Finished requests
 * go to the primary in batches for its observers. It drains and exits when the primary says
 * `stop` or when the primary's channel closes (a primary that died takes its workers down).
 */
import { createGateway, type Gateway } from '../gateway/create-gateway.ts'
import type { GatewayConfig } from '../config/schema.ts'
import type { RequestRecord } from '../gateway/events.ts'
import type { Logger } from '../types.ts'
import type { Runtime } from '../runtime/types.ts'
import { FeedReceiver, isFeedMessage, type FeedTarget } from './feed.ts'
import { messageType, type PrimaryMessage, type WorkerMessage } from './messages.ts'

/** Finished requests are sent this often, or at this many, whichever comes first. */
const FLUSH_MS = 50
const FLUSH_AT = 256

export interface WorkerDeps {
  runtime: Runtime
  log: Logger
  /** Loads and validates the config file (again at each reload). */
  load(): Promise<GatewayConfig>
}

export async function runWorker({ runtime, log, load }: WorkerDeps): Promise<void> {
  const parent = runtime.workers?.parent()
  if (!parent) {
    console.error('gatehouse: __worker is started by a primary gatehouse (workers in the config), not by hand')
    return runtime.exit(2)
  }
  const send = (m: WorkerMessage) => parent.send(m)
  // Before anything slow: a primary that dies while this worker loads must not leave it behind.
  let orphaned = false
  parent.onClose(() => (orphaned = true))
  const config = await load()
  if (orphaned) return runtime.exit(0)
  let gateway: Gateway | undefined
  let receiver: FeedReceiver | undefined
  const records = recordBatches(send)
  let stopping = false
  const stop = (graceMs: number) => {
    if (stopping) return
    stopping = true
    void (gateway?.stop(graceMs) ?? Promise.resolve())
      .catch(() => {})
      .then(() => records.flush())
      // The channel delivers what was sent before the process exits.
      .finally(() => setTimeout(() => runtime.exit(0), 50))
  }
  // A terminal's Ctrl-C or a SIGHUP reaches the whole process group: the primary decides for its workers.
  runtime.onSignal('SIGINT', () => {})
  runtime.onSignal('SIGHUP', () => {})
  runtime.onSignal('SIGTERM', () => stop(config.shutdown.grace))
  parent.onClose(() => stop(gateway?.state().config.shutdown.grace ?? 0))

  parent.onMessage((raw) => {
    if (isFeedMessage(raw)) {
      if (receiver?.receive(raw) === 'resync') send({ t: 'resync' })
      return
    }
    const m = raw as PrimaryMessage
    switch (messageType(m)) {
      case 'start': {
        const start = m as Extract<PrimaryMessage, { t: 'start' }>
        gateway = createGateway(config, { runtime, log, role: 'worker', port: start.port })
        receiver = new FeedReceiver(feedTarget(gateway))
        receiver.receive(start.sync)
        records.follow(gateway, start.records)
        gateway.start().then(
          (server) => send({ t: 'ready', port: server.port }),
          (err) => {
            const e = err as { code?: string; message?: string }
            console.error(`gatehouse: worker cannot listen on ${config.listen.host}:${start.port}: ${e.code ?? e.message ?? String(err)}`)
            runtime.exit(1)
          },
        )
        return
      }
      case 'reload': {
        const reload = m as Extract<PrimaryMessage, { t: 'reload' }>
        const g = gateway
        if (!g) return send({ t: 'reloaded', error: 'not started' })
        records.follow(g, reload.records)
        load()
          .then((next) => g.reload(next))
          .then(
            () => send({ t: 'reloaded' }),
            (err) => send({ t: 'reloaded', error: String((err as Error)?.message ?? err) }),
          )
        return
      }
      case 'stop':
        return stop((m as Extract<PrimaryMessage, { t: 'stop' }>).graceMs)
    }
  })
  send({ t: 'hello' })
}

/** Where feed messages land: the watcher (snapshots) and the upstream store (verdicts). */
export function feedTarget(gateway: Pick<Gateway, 'watcher' | 'store'>): FeedTarget {
  return {
    push: (source, snapshot) => gateway.watcher.push(source, snapshot),
    forget: (source) => gateway.watcher.forget(source),
    verdict(v) {
      const up = gateway.store.members(v.pool).list().find((u) => u.id === v.id)
      if (!up) return
      up.setHealthy(v.healthy)
      up.setDisabled(v.disabled)
      // Outlier detection runs in each worker on its own traffic: a primary's 0 does not lift a worker's ejection.
      if (v.ejectedUntil > up.ejectedUntil) up.eject(v.ejectedUntil)
    },
  }
}

/** Finished requests, batched to the primary while it wants them (it has request observers). */
function recordBatches(send: (m: WorkerMessage) => void) {
  let batch: RequestRecord[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  let off: (() => void) | undefined
  const flush = () => {
    clearTimeout(timer)
    timer = undefined
    if (!batch.length) return
    send({ t: 'requests', records: batch })
    batch = []
  }
  return {
    flush,
    follow(gateway: Gateway, wanted: boolean) {
      if (wanted === Boolean(off)) return
      if (!wanted) {
        off?.()
        off = undefined
        return flush()
      }
      off = gateway.events.on('request', (r) => {
        batch.push(r)
        if (batch.length >= FLUSH_AT) flush()
        else timer ??= setTimeout(flush, FLUSH_MS)
      })
    },
  }
}

