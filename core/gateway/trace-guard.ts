/**
 * An access guard (auth, IP filter) as a span of a traced request: from its start until it lets
 * the request on (`next()`: "passed") or answers it itself (the status it answered). An untraced
 * request costs one context read; a route's other middleware is not wrapped.
 */
import type { RouteMiddleware } from '../plugin/slots.ts'
import { guardOf } from '../plugin/middleware.ts'
import type { GatewayMiddleware } from '../types.ts'

export function traceGuard(m: RouteMiddleware, handler: GatewayMiddleware): GatewayMiddleware {
  const guard = guardOf(m)
  if (!guard) return handler
  const name = typeof m === 'object' ? m.name : guard
  return async (c, next) => {
    const trace = c.get('trace')
    if (!trace) return handler(c, next)
    let end: ((outcome: string) => void) | undefined = trace.guard(name)
    const finish = (outcome: string) => {
      end?.(outcome)
      end = undefined
    }
    try {
      const res = await handler(c, () => {
        finish('passed')
        return next()
      })
      finish(String(res instanceof Response ? res.status : c.res.status))
      return res
    } catch (err) {
      finish(String((err as { status?: number })?.status ?? 500)) // an HTTPException's status, as app.onError answers it
      throw err
    }
  }
}
