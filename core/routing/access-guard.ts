/**
 * Marks middleware that decides who may pass (auth, IP filters), so the config check can see a
 * pool that one route guards and another leaves open (open-doors.ts). A global symbol, so a
 * plugin built against another copy of gatehouse is recognized too.
 */
const GUARD = Symbol.for('gatehouse.accessGuard')

/** Returns `middleware`, marked as an access guard named `name` (e.g. "jwt"). */
export function accessGuard<M extends object>(name: string, middleware: M): M {
  Object.defineProperty(middleware, GUARD, { value: name })
  return middleware
}

/** The guard's name, or undefined for middleware that lets everyone through. */
export function guardName(middleware: unknown): string | undefined {
  return typeof middleware === 'function' || (typeof middleware === 'object' && middleware !== null)
    ? ((middleware as Record<symbol, string | undefined>)[GUARD] ?? undefined)
    : undefined
}
