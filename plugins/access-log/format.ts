/**
 * One access-log line per request, as JSON (for log shippers) or as readable text (for a
 * terminal). Only what the record holds is written: no header, so never an Authorization or a
 * cookie; the query string and any userinfo of an absolute-form target are cut off the path, since
 * tokens travel there too.
 */
import type { RequestRecord } from '../../core/gateway/events.ts'

export type Level = 'info' | 'warn' | 'error'
export const LEVELS: Record<Level, number> = { info: 0, warn: 1, error: 2 }

/** 5xx and requests no upstream answered are errors, 4xx warnings, the rest info. */
export function requestLevel(r: RequestRecord): Level {
  return r.status >= 500 || r.error ? 'error' : r.status >= 400 ? 'warn' : 'info'
}

/** The path without query, fragment or userinfo, and at most 1024 characters. */
export function safePath(path: string): string {
  const cut = path.search(/[?#]/)
  const p = (cut < 0 ? path : path.slice(0, cut)).replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1')
  return p.length > 1024 ? p.slice(0, 1024) + '…' : p
}

export function requestJson(r: RequestRecord, level: Level): string {
  return JSON.stringify({
    time: iso(r.time),
    level,
    type: 'request',
    method: r.method,
    host: r.host.slice(0, 256),
    path: safePath(r.path),
    route: r.route,
    pool: r.pool,
    upstream: r.upstream,
    status: r.status,
    durationMs: r.durationMs,
    upstreamMs: r.upstreamMs,
    wake: r.wakeMs,
    bytes: r.bytes,
    tries: r.tries,
    retries: r.retryReasons.length,
    retryReasons: r.retryReasons.length ? r.retryReasons : undefined,
    error: r.error,
    refused: r.refused,
    client: r.clientIp,
    requestId: r.requestId,
    consumer: r.consumer,
    worker: r.worker,
    grpcStatus: r.grpcStatus,
  })
}

/** `12:00:01.250 info  200 GET app.example.com/users 12ms → web http://10.0.0.5:8000 (wake 850ms, ttfb 10ms, 1.2 kB) from 10.0.0.9 [web] id=4bf9…` */
export function requestText(r: RequestRecord, level: Level): string {
  let line = `${clock(r.time)} ${level.padEnd(5)} ${r.status} ${r.method} ${clean(r.host.slice(0, 256))}${clean(safePath(r.path))} ${r.durationMs}ms`
  if (r.pool) line += ` → ${r.pool}${r.upstream ? ` ${r.upstream}` : ''}`
  const extra: string[] = []
  if (r.wakeMs !== undefined) extra.push(`wake ${r.wakeMs}ms`)
  if (r.upstreamMs !== undefined) extra.push(`ttfb ${r.upstreamMs}ms`)
  if (r.bytes !== undefined) extra.push(size(r.bytes))
  if (r.retryReasons.length) extra.push(`retried: ${r.retryReasons.join(', ')}`)
  if (r.error) extra.push(`error: ${r.error}`)
  if (r.refused) extra.push(`refused: ${r.refused}`)
  if (r.grpcStatus !== undefined) extra.push(`grpc-status ${r.grpcStatus}`)
  if (extra.length) line += ` (${extra.join(', ')})`
  line += ` from ${r.clientIp}`
  if (r.consumer) line += ` as ${clean(r.consumer)}`
  if (r.route) line += ` [${clean(r.route)}]`
  if (r.requestId) line += ` id=${clean(r.requestId)}`
  return line
}

export function eventJson(time: number, level: Level, type: string, msg: string, fields: Record<string, unknown>): string {
  return JSON.stringify({ time: iso(time), level, type, msg, ...fields })
}

export function eventText(time: number, level: Level, msg: string): string {
  return `${clock(time)} ${level.padEnd(5)} ${clean(msg)}`
}

const clock = (t: number) => iso(t).slice(11, 23)

let second = NaN
let secondText = ''
/** ISO 8601 in UTC; formatting a Date costs more than the rest of a line, so once per second. */
function iso(t: number): string {
  const s = Math.floor(t / 1000)
  if (s !== second) {
    second = s
    secondText = new Date(s * 1000).toISOString().slice(0, 20)
  }
  return `${secondText}${String(t - s * 1000).padStart(3, '0')}Z`
}

/** Control characters would forge lines on a terminal: shown as \xNN. */
function clean(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

function size(n: number): string {
  return n < 1000 ? `${n} B` : n < 1e6 ? `${(n / 1e3).toFixed(1)} kB` : `${(n / 1e6).toFixed(1)} MB`
}
