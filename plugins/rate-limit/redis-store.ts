/**
 * Buckets in Redis, shared by every gateway that names the same server and prefix. All Redis
 * I/O of the plugin is in this file. Each request is one atomic script (the token bucket of
 * bucket.ts in Lua, on Redis' own clock, so gateways with skewed clocks agree) in one round trip.
 *
 * The client is node-redis (`redis` on npm), loaded on first use. It never queues commands
 * while disconnected (`disableOfflineQueue`) and every call has a deadline, so a Redis outage
 * costs a request at most `timeout` before the caller's `onStoreError` decides. While the
 * connection is down calls fail at once; a request at least a second after the failure opens a
 * new one. Its socket does not keep the process alive.
 */
import type { RedisClientType } from 'redis'
import type { BucketLimit, BucketStore, TakeResult } from './bucket.ts'

const SCRIPT = `
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = capacity
if b[1] then
  tokens = math.min(capacity, tonumber(b[1]) + math.max(0, now - tonumber(b[2])) * per_ms)
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_ms) + 1000)
return { allowed, tostring(tokens) }
`

export interface RedisStoreOptions {
  url: string
  /** Prepended to every key. */
  prefix: string
  /** Deadline of one call, connecting included (ms). */
  timeout: number
  /** Told about connection errors (the caller throttles). */
  onError: (message: string) => void
}

/** After a connection fails or drops, the next connection is tried this much later at the earliest. */
const RETRY_MS = 1000

interface Connection {
  client: Promise<RedisClientType>
  /** When it failed or dropped; 0 while usable. */
  failedAt: number
}

export function redisStore(opts: RedisStoreOptions): BucketStore {
  let conn: Connection | undefined

  // Reconnection is driven by requests, not timers: an idle gateway makes no attempts and
  // nothing keeps the process alive (node-redis' own reconnect loop would).
  const open = (): Connection => {
    const self = { failedAt: 0 } as Connection
    const fail = () => (self.failedAt ||= Date.now())
    self.client = (async () => {
      const { createClient } = await import('redis')
      const c = createClient({
        url: opts.url,
        disableOfflineQueue: true,
        socket: { connectTimeout: Math.max(opts.timeout, 1000), reconnectStrategy: false },
      }) as RedisClientType
      c.on('error', (err: Error) => opts.onError(`redis ${opts.url}: ${err.message || String(err)}`))
      c.on('end', fail)
      const connected = c.connect().catch(fail)
      c.unref()
      await Promise.race([connected, new Promise((r) => setTimeout(r, opts.timeout))])
      return c
    })()
    return self
  }

  const take = async (key: string, limit: BucketLimit): Promise<TakeResult> => {
    if (!conn || (conn.failedAt && Date.now() - conn.failedAt >= RETRY_MS)) {
      const old = conn
      conn = open()
      old?.client.then((c) => c.destroy(), () => {}).catch(() => {})
    }
    const current = conn
    const c = await current.client
    if (!c.isReady) {
      current.failedAt ||= Date.now() // dropped, or still not connected after `timeout`
      throw new Error('redis is not connected')
    }
    const reply = await c.sendCommand<[number, string]>(
      ['EVAL', SCRIPT, '1', opts.prefix + key, String(limit.capacity), String(limit.perMs)],
      { timeout: opts.timeout },
    )
    return { allowed: reply[0] === 1, tokens: Number(reply[1]) }
  }

  return {
    take: (key, limit) => withDeadline(take(key, limit), opts.timeout),
  }
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis did not answer within ${ms} ms`)), ms + 50)
  })
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer))
}
