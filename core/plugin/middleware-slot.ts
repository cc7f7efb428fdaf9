/**
 * A route's `use` list: middleware plugins or plain Hono handlers `(c, next) => …`. Apart from the
 * generic slots (slots.ts), so the route schema depends on the middleware contract only.
 */
import { z } from 'zod'
import type { GatewayMiddleware } from '../gateway-env.ts'
import type { MiddlewarePlugin } from './contract.ts'
import { report, slotProblems } from './slot-problems.ts'

/** A route's middleware: a MiddlewarePlugin or a plain Hono handler `(c, next) => …`. */
export type RouteMiddleware = MiddlewarePlugin | GatewayMiddleware

/** Falsy entries are allowed and dropped (`cond && plugin()`), as in Vite. */
export const middlewareList = () =>
  z
    .array(z.custom<RouteMiddleware | false | null | undefined>(() => true))
    .superRefine((list, ctx) => list.forEach((v, i) => v && report(ctx, slotProblems('middleware', v, true), [i])))
    .transform((list) => list.filter((x): x is RouteMiddleware => Boolean(x)))
