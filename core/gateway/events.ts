/**
 * What the gateway reports while it runs, for metrics, access logs and the admin dashboard.
 * Emitting costs nothing when nobody listens: the request path checks `has('request')` first.
 */
import type { FailureKind } from '../runtime/failure-kind.ts'
import type { Refusal } from '../pools/admission.ts'

/** One line of the access log: a request from arrival to its last byte (or its failure). */
export interface RequestRecord {
  /** Arrival, ms since epoch. */
  time: number
  method: string
  host: string
  /** Normalized path (logs only; metrics label by route, never by raw path). */
  path: string
  route?: string
  pool?: string
  /** Origin of the upstream that answered (or was tried last). */
  upstream?: string
  /** Status sent to the client. */
  status: number
  durationMs: number
  /** Time to the upstream's response head, from sending to it. */
  upstreamMs?: number
  /** Response body bytes sent to the client (proxied responses). */
  bytes?: number
  /** The request body's declared length (Content-Length; 0 without a body), when it declared one. */
  requestBytes?: number
  /** Upstreams tried; more than 1 means retries. */
  tries: number
  /** Why earlier tries failed, in order. */
  retryReasons: FailureKind[]
  /** Why the last try failed, when no upstream answered. */
  error?: FailureKind
  clientIp: string
  /** X-Request-Id: a trusted proxy's, or generated (sent upstream and returned). */
  requestId?: string
  consumer?: string
  /** Time it waited for its pool to wake (ms), when it did. */
  wakeMs?: number
  /** Why a scaling pool answered it 503 itself (the response's x-gatehouse-error), when it did. */
  refused?: Refusal['reason']
  /** Why the gateway refused it before any middleware or upstream saw it, when it did. */
  rejected?: Rejection
  /** With `workers`: the process id of the worker that served it (logs only, never sent to clients). */
  worker?: number
  /** A gRPC call's status (`grpc-status`): the upstream's, or the gateway's own answer's (core/proxy/grpc.ts). */
  grpcStatus?: number
}

/** Refusals before routing (request-checks.ts), of the target, for want of a route, or for a declared body over the route's limit. */
export type Rejection = 'bad-request' | 'method-not-allowed' | 'expectation-failed' | 'bad-target' | 'no-route' | 'body-too-large' | 'grpc-without-trailers'

export interface PoolChange {
  pool: string
  change: 'added' | 'removed' | 'updated'
  upstream: string
  id: string
  source: string
}

export interface HealthChange {
  pool: string
  upstream: string
  id: string
  available: boolean
  healthy: boolean
  ejectedUntil: number
  /** Switched off by an operator (admin API). */
  disabled: boolean
}

export interface DiscoveryResult {
  source: string
  ok: boolean
  problems?: string[]
}

/** A scaling pool moved (core/scale/pool-scale.ts): woke, became ready, slept, paused, scaled out or in. */
export interface ScaleEvent {
  pool: string
  action: 'wake' | 'ready' | 'wake-failed' | 'pause' | 'sleep' | 'out' | 'in'
  /** Replicas before and the target after (for `ready`: those running when the first answered). */
  from: number
  to: number
  reason: string
  /** How long it took: the engine's action, or for `ready`/`wake-failed` the wake from its start. */
  ms?: number
  /** The engine refused or failed. */
  error?: string
}

/** A release moved (core/release/pool-release.ts): a version became stable, a canary started, stepped, was promoted or rolled back, an operator acted. */
export interface ReleaseEvent {
  pool: string
  action: 'stable' | 'start' | 'step' | 'promote' | 'rollback' | 'switch' | 'switch-back' | 'pause' | 'resume' | 'weights'
  /** The version it concerns. */
  version: string
  /** The weights in force afterwards, in percent by version. */
  weights: Record<string, number>
  reason: string
  /** The analysis behind a step, promotion or rollback: each side's requests, error rate and p99 over the window. */
  figures?: { canary: ReleaseFigures; stable: ReleaseFigures }
}

export interface ReleaseFigures {
  requests: number
  errorRate: number
  p99Ms: number
}

export interface GatewayEventMap {
  request: RequestRecord
  pool: PoolChange
  health: HealthChange
  discovery: DiscoveryResult
  scale: ScaleEvent
  release: ReleaseEvent
}

type Listener<T> = (event: T) => void

export class GatewayEvents {
  private readonly listeners: { [K in keyof GatewayEventMap]?: Listener<GatewayEventMap[K]>[] } = {}

  on<K extends keyof GatewayEventMap>(kind: K, listener: Listener<GatewayEventMap[K]>): () => void {
    const list = (this.listeners[kind] ??= []) as Listener<GatewayEventMap[K]>[]
    list.push(listener)
    return () => void list.splice(list.indexOf(listener), 1)
  }

  has(kind: keyof GatewayEventMap): boolean {
    return (this.listeners[kind]?.length ?? 0) > 0
  }

  emit<K extends keyof GatewayEventMap>(kind: K, event: GatewayEventMap[K]): void {
    for (const listener of (this.listeners[kind] ?? []) as Listener<GatewayEventMap[K]>[]) {
      try {
        listener(event)
      } catch {
        // An observer's bug must never fail a request.
      }
    }
  }
}
