/**
 * Which version one request goes to: a tag host's version or a tester's override header, else the client's sticky
 * version while it still takes traffic, else the weights (by a hash of the client, or at random).
 * An override or a cookie naming a version that is not published (failed, drained, never
 * started) is ignored: the request is weighed like any other.
 */
import type { ReleaseConfig } from '../config/release-schema.ts'
import type { BalanceContext } from '../types.ts'
import { versionAt, type VersionTable } from './version-table.ts'

export const OVERRIDE_HEADER = 'x-gatehouse-version'

export interface Assignment {
  /** Undefined: the table weighs nothing yet (every available upstream may answer). */
  version: string | undefined
  /** A Set-Cookie value for the response: the client was given a version it did not hold. */
  setCookie?: string
}

/** What the request path knows beyond the balance context: the version a tag host named (tag-host.ts), who auth middleware said the client is. */
export interface AssignFacts {
  pinned?: string
  consumer?: string
}

export function assignVersion(table: VersionTable, settings: ReleaseConfig, ctx: BalanceContext, { pinned, consumer }: AssignFacts = {}, random: () => number = Math.random): Assignment {
  if (!table.weighted.length) return { version: undefined }
  if (pinned !== undefined && table.byVersion.has(pinned)) return { version: pinned }
  if (settings.overrides) {
    const wanted = ctx.header(OVERRIDE_HEADER)
    if (wanted !== undefined && table.byVersion.has(wanted)) return { version: wanted }
  }
  const sticky = settings.sticky
  if (sticky && 'cookie' in sticky) {
    const held = ctx.cookie(sticky.cookie)
    const version = held !== undefined ? safeDecode(held) : undefined
    if (version !== undefined && table.byVersion.has(version)) return { version }
    const given = versionAt(table, random() * table.total)!.name
    return { version: given, setCookie: `${sticky.cookie}=${encodeURIComponent(given)}; Path=/; HttpOnly; SameSite=Lax` }
  }
  if (sticky && 'hash' in sticky) {
    const key = sticky.hash === 'ip' ? ctx.clientIp : sticky.hash === 'consumer' ? (consumer ?? ctx.clientIp) : (ctx.header(sticky.hash.slice(7)) ?? ctx.clientIp)
    return { version: versionAt(table, (fnv1a(key) / 0x1_0000_0000) * table.total)!.name }
  }
  return { version: versionAt(table, random() * table.total)!.name }
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s)
  } catch {
    return undefined
  }
}

/** 32-bit FNV-1a: cheap, stable across runtimes and restarts (a client keeps its place in the weights). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}
