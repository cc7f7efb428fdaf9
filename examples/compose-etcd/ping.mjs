// Seed 004's "ping" app: counts visits in redis and says which replica answered.
import { createServer } from 'node:http'
import { hostname } from 'node:os'
import { createClient } from 'redis' // the gatehouse image's own dependency

const db = createClient({ url: process.env.REDIS_URL ?? 'redis://redis:6379' })
db.on('error', (err) => console.error(`redis: ${err.message}`))
await db.connect()

createServer(async (req, res) => {
  if (req.url === '/health') return res.end('ok\n')
  try {
    res.end(`${await db.incr('count')} (from ${hostname()})\n`)
  } catch {
    res.writeHead(503).end('redis unavailable\n')
  }
}).listen(8000, () => console.log(`ping app on :8000 (${hostname()})`))
