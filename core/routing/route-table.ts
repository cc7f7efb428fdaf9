/**
 * The compiled route table. Lookup order, documented in the README ("Routing"):
 *   1. host tier: exact host, then `*.` wildcard, then routes without a host;
 *   2. within a tier: an exact path before any pattern, then the pattern with the higher
 *      specificity score (path-pattern.ts);
 *   3. at equal path specificity, routes with more method/header conditions first;
 *   4. then config order.
 * The first route whose conditions all hold wins. Host lookups and exact paths are Map hits, and
 * patterns are indexed by their segments (pattern-index.ts), so a lookup's cost
 * does not grow with the number of routes.
 */
import { compilePath, matchPath, type PathMatcher } from './path-pattern.ts'
import { wildcardKey } from './host-pattern.ts'
import { PatternIndex } from './pattern-index.ts'

export interface RouteRule<T> {
  hosts?: readonly string[]
  path: string
  methods?: readonly string[]
  /** Header name → exact value, or `true` for "present". */
  headers?: Readonly<Record<string, string | true>>
  payload: T
}

export interface RouteRequest {
  host: string
  method: string
  path: string
  header(name: string): string | undefined
}

interface Entry<T> {
  path: PathMatcher
  methods?: ReadonlySet<string>
  headers?: readonly (readonly [string, string | true])[]
  order: number
  payload: T
}

interface Bucket<T> {
  exact: Map<string, Entry<T>[]>
  patterns: Entry<T>[]
  index: PatternIndex<Entry<T>>
}

export interface RouteMatch<T> {
  payload: T
  params: Record<string, string>
}

export class RouteTable<T> {
  private readonly hosts = new Map<string, Bucket<T>>()
  private readonly wildcards = new Map<string, Bucket<T>>()
  private readonly anyHost: Bucket<T> = newBucket()

  constructor(rules: readonly RouteRule<T>[]) {
    rules.forEach((rule, order) => {
      const entry: Entry<T> = {
        path: compilePath(rule.path),
        methods: rule.methods?.length ? new Set(rule.methods.map((m) => m.toUpperCase())) : undefined,
        headers: rule.headers ? Object.entries(rule.headers).map(([k, v]) => [k.toLowerCase(), v] as const) : undefined,
        order,
        payload: rule.payload,
      }
      if (!rule.hosts?.length) add(this.anyHost, entry)
      for (const host of rule.hosts ?? []) {
        const h = host.toLowerCase()
        if (h.startsWith('*.')) add(bucketFor(this.wildcards, h.slice(1)), entry)
        else add(bucketFor(this.hosts, h), entry)
      }
    })
    for (const b of [...this.hosts.values(), ...this.wildcards.values(), this.anyHost]) sortBucket(b)
  }

  match(req: RouteRequest): RouteMatch<T> | undefined {
    const exact = this.hosts.get(req.host)
    if (exact) {
      const m = matchBucket(exact, req)
      if (m) return m
    }
    const key = wildcardKey(req.host)
    const wild = key && this.wildcards.get(key)
    if (wild) {
      const m = matchBucket(wild, req)
      if (m) return m
    }
    return matchBucket(this.anyHost, req)
  }
}

function newBucket<T>(): Bucket<T> {
  return { exact: new Map(), patterns: [], index: new PatternIndex() }
}

function bucketFor<T>(map: Map<string, Bucket<T>>, key: string): Bucket<T> {
  let b = map.get(key)
  if (!b) map.set(key, (b = newBucket()))
  return b
}

function add<T>(bucket: Bucket<T>, e: Entry<T>): void {
  if (e.path.kind === 'exact') {
    const list = bucket.exact.get(e.path.path) ?? []
    list.push(e)
    bucket.exact.set(e.path.path, list)
  } else bucket.patterns.push(e)
}

const conditions = (e: Entry<unknown>) => (e.methods ? 1 : 0) + (e.headers?.length ?? 0)
const byPrecedence = (a: Entry<unknown>, b: Entry<unknown>) =>
  b.path.score - a.path.score || conditions(b) - conditions(a) || a.order - b.order

function sortBucket<T>(b: Bucket<T>): void {
  b.patterns.sort(byPrecedence)
  for (const list of b.exact.values()) list.sort(byPrecedence)
  for (const e of b.patterns) b.index.add(e.path.kind === 'pattern' ? e.path.keys : [], e)
}

function matchBucket<T>(b: Bucket<T>, req: RouteRequest): RouteMatch<T> | undefined {
  const exact = b.exact.get(req.path)
  if (exact) {
    for (const e of exact) if (conditionsHold(e, req)) return { payload: e.payload, params: {} }
  }
  return b.index.find(req.path, matchPattern<T>, req)
}

function matchPattern<T>(e: Entry<T>, req: RouteRequest): RouteMatch<T> | undefined {
  const params = matchPath(e.path, req.path)
  return params && conditionsHold(e, req) ? { payload: e.payload, params } : undefined
}

function conditionsHold(e: Entry<unknown>, req: RouteRequest): boolean {
  if (e.methods && !e.methods.has(req.method)) return false
  if (e.headers) {
    for (const [name, want] of e.headers) {
      const got = req.header(name)
      if (got === undefined || (want !== true && got !== want)) return false
    }
  }
  return true
}
