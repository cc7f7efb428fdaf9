/**
 * A small container engine of real processes' worth for the core's scaling tests: replicas are
 * real node:http servers on loopback ports, started and stopped by a real Scaler, reported by a
 * real discovery source. Like a container, a replica joins the pool as soon as it "starts" (the
 * Docker plugin adds a container on its start event) but listens only `bootMs` later, so the
 * core's readiness gate is what keeps requests off it. `bootMs: Infinity` never listens (a
 * container that never turns ready). The Docker and Swarm scalers have their own tests against a
 * real dockerd; this one lets the core's timing be measured without an engine's seconds.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createH2cServer } from 'node:http2'
import type { DiscoveryContext, DiscoveryPlugin, ScaleAction, Scaler } from '../../core/types.ts'
import { freePort } from './ports.ts'

export interface Replica {
  name: string
  port: number
  server?: Server
  state: 'running' | 'paused' | 'stopped'
  startedAt: number
  listeningAt?: number
}

export interface LocalReplicas {
  plugin: DiscoveryPlugin
  replicas: Replica[]
  /** Every scale call, in order. */
  calls: { replicas: number; action: ScaleAction; at: number }[]
  running(): number
  /** Makes `count` replicas exist, stopped (the pool starts asleep). */
  close(): Promise<void>
}

type Handler = (req: IncomingMessage, res: ServerResponse, replica: Replica) => void

export function localReplicas(opts: { pool: string; replicas: number; bootMs: number; handler?: Handler; running?: number; settings?: Record<string, string>; onServer?: (s: Server) => void; /** How long the engine takes to act on a scale call (Docker's start is not instant). */ actMs?: number; /** h2c: replicas speak cleartext HTTP/2 only, as gRPC servers do. */ protocol?: 'h2c' }): LocalReplicas {
  const replicas: Replica[] = Array.from({ length: opts.replicas }, (_, i) => ({ name: `r${i + 1}`, port: 0, state: 'stopped', startedAt: 0 }))
  const calls: LocalReplicas['calls'] = []
  const ctxs: DiscoveryContext[] = [] // several gateways may watch the same engine
  const handler: Handler = opts.handler ?? ((_req, res, r) => res.end(`${r.name}\n`))

  const emit = () => ctxs.forEach((ctx) => ctx.emit({ pools: { [opts.pool]: replicas.filter((r) => r.state === 'running').map((r) => ({ url: `${opts.protocol ?? 'http'}://127.0.0.1:${r.port}`, id: r.name })) } }))

  const start = async (r: Replica) => {
    if (r.state === 'paused') {
      r.state = 'running'
      return
    }
    r.port ||= await freePort()
    r.state = 'running'
    r.startedAt = Date.now()
    const serve = (req: IncomingMessage, res: ServerResponse) => handler(req, res, r)
    const server = (opts.protocol === 'h2c' ? createH2cServer(serve as never) : createServer(serve)) as Server
    r.server = server
    opts.onServer?.(server)
    if (Number.isFinite(opts.bootMs))
      setTimeout(() => r.state === 'running' && r.server === server && server.listen(r.port, '127.0.0.1', () => (r.listeningAt = Date.now())), opts.bootMs)
  }
  const stop = (r: Replica, how: 'stop' | 'pause') => {
    if (how === 'pause' && r.state === 'running') {
      r.state = 'paused'
      return
    }
    r.state = 'stopped'
    r.listeningAt = undefined
    const s = r.server
    r.server = undefined
    s?.closeAllConnections?.()
    s?.close()
  }

  const scaler: Scaler = {
    asleep: (pool) => (pool === opts.pool ? replicas.filter((r) => r.state !== 'running').length : 0),
    running: (pool) => (pool === opts.pool ? replicas.filter((r) => r.state === 'running').length : 0),
    settings: (pool) => (pool === opts.pool ? opts.settings : undefined),
    async scale(pool, n, action) {
      calls.push({ replicas: n, action, at: Date.now() })
      if (pool !== opts.pool) throw new Error(`no pool ${pool}`)
      if (opts.actMs) await new Promise((r) => setTimeout(r, opts.actMs))
      const up = replicas.filter((r) => r.state === 'running')
      for (const r of replicas) if (up.length < n && r.state !== 'running') (await start(r), up.push(r))
      for (const r of [...up].reverse()) if (up.length > n && r.state === 'running') (stop(r, action.how), up.splice(up.indexOf(r), 1))
      // Paused replicas hold memory: a stop also stops them.
      if (action.how === 'stop') for (const r of replicas) if (r.state === 'paused') stop(r, 'stop')
      emit()
    },
  }

  const plugin: DiscoveryPlugin = {
    kind: 'discovery',
    name: 'localReplicas',
    async start(c) {
      ctxs.push(c)
      c.signal.addEventListener('abort', () => ctxs.splice(ctxs.indexOf(c), 1), { once: true })
      if (ctxs.length === 1) for (const r of replicas.slice(0, opts.running ?? 0)) await start(r)
      c.scaler?.(scaler)
      emit()
    },
  }
  return {
    plugin,
    replicas,
    calls,
    running: () => replicas.filter((r) => r.state === 'running').length,
    close: async () => {
      for (const r of replicas) stop(r, 'stop')
    },
  }
}
