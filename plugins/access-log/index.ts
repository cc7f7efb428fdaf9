/**
 * Access and event logs: one line per request when it really ended (time, method, host, path
 * without query, route, pool, upstream, status, total and upstream time, bytes, retries and why,
 * client address, consumer; `wake` ms for a request that waited for its pool to wake, `refused` when
 * a scaling pool turned it away), plus a line whenever an upstream stops or starts taking requests
 * and why (health checks, ejection, operator). Never a header: no Authorization, no cookie.
 *
 * `format: 'json'` (default) for log shippers, `'text'` for a terminal. `level` drops the lines
 * below it: requests log at info (2xx/3xx), warn (4xx) or error (5xx, no upstream answered).
 * The core already logs pool changes, rejected discovery snapshots and scaling decisions (wake,
 * ready, sleep, scale out/in, with their reason) on its own logger; add `'pool'`, `'discovery'` and
 * `'scale'` to `events` when this log goes somewhere else (`write`).
 *
 * @example
 * observe: [accessLog({ format: 'text' })]
 * observe: [accessLog({ level: 'warn', events: ['health', 'pool', 'discovery', 'scale'], write: (line) => sink.send(line) })]
 */
import { z } from 'zod'
import { definePlugin } from '../../core/plugin/define.ts'
import type { ObserverPlugin } from '../../core/types.ts'
import { eventJson, eventText, LEVELS, requestJson, requestLevel, requestText, type Level } from './format.ts'
import { healthFlips } from './health-flips.ts'
import { scaleLine } from './scale-lines.ts'
import { batchLines } from './batch.ts'

const optionsSchema = z.strictObject({
  /** JSON lines, or readable text for a terminal. Default json. */
  format: z.enum(['json', 'text']).default('json'),
  /** Least severe line written. Default info (everything). */
  level: z.enum(['info', 'warn', 'error']).default('info'),
  /** Event lines besides requests: availability flips ("health"), pool changes, discovery results, scaling decisions ("scale"). Default ["health"]. */
  events: z
    .array(z.enum(['health', 'pool', 'discovery', 'scale']))
    .default(['health']),
  /** Where lines go, one call per line. Default: stdout (console.log), lines of one event-loop turn written together. */
  write: z
    .custom<(line: string) => void>((v) => typeof v === 'function', { error: 'expected a function (line: string) => void' })
    .optional(),
})

export type AccessLogOptions = z.input<typeof optionsSchema>

export function accessLog(options: AccessLogOptions = {}): ObserverPlugin {
  return definePlugin('observer', 'accessLog', optionsSchema, options, (o) => {
    const write = o.write ?? batchLines((text) => console.log(text))
    const min = LEVELS[o.level]
    const event = (level: Level, type: string, msg: string, fields: Record<string, unknown>) => {
      if (LEVELS[level] < min) return
      const now = Date.now()
      write(o.format === 'json' ? eventJson(now, level, type, msg, fields) : eventText(now, level, msg))
    }
    return {
      start({ gateway, signal }) {
        const off: (() => void)[] = []
        off.push(
          gateway.events.on('request', (r) => {
            const level = requestLevel(r)
            if (LEVELS[level] >= min) write(o.format === 'json' ? requestJson(r, level) : requestText(r, level))
          }),
        )
        if (o.events.includes('health')) {
          const flips = healthFlips(gateway, signal)
          off.push(
            gateway.events.on('health', (e) => {
              const f = flips(e)
              if (f) event(f.available ? 'info' : 'warn', 'health', f.text, { pool: f.pool, upstream: f.upstream, available: f.available, reason: f.reason })
            }),
          )
        }
        if (o.events.includes('pool')) {
          off.push(gateway.events.on('pool', (e) => event('info', 'pool', `pool ${e.pool}: ${e.change} upstream ${e.upstream} (${e.source})`, { ...e })))
        }
        if (o.events.includes('discovery')) {
          off.push(
            gateway.events.on('discovery', (e) => {
              if (!e.ok) event('error', 'discovery', `discovery ${e.source}: snapshot rejected, keeping the last good one`, { source: e.source, problems: e.problems })
            }),
          )
        }
        if (o.events.includes('scale')) {
          off.push(
            gateway.events.on('scale', (e) => {
              const line = scaleLine(e)
              event(line.level, 'scale', line.text, { ...e })
            }),
          )
        }
        signal.addEventListener('abort', () => off.forEach((f) => f()))
      },
    }
  })
}

export default accessLog
