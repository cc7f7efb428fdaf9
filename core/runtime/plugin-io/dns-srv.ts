/**
 * One SRV query over UDP, read from the wire so the records' TTL comes along: `resolveSrv()` of
 * `node:dns` (in Node, Bun and Deno alike) drops it, and a refresh that honours the TTL needs it.
 * RFC 1035 §4: a query with recursion desired; the answer's SRV records (RFC 2782) with their
 * TTLs, names decompressed. A truncated answer, or one this reader cannot parse, is left to the
 * caller's fallback (`undefined`); failures reject with the codes `node:dns` uses.
 */
import { createSocket } from 'node:dgram'
import { isIP } from 'node:net'

export interface WireSrvRecord {
  name: string
  port: number
  priority: number
  weight: number
  /** Seconds, as served. */
  ttl: number
}

const TYPE_SRV = 33
const RCODE: Record<number, string> = { 1: 'EFORMERR', 2: 'ESERVFAIL', 3: 'ENOTFOUND', 4: 'ENOTIMP', 5: 'EREFUSED' }

const dnsError = (code: string, message: string) => Object.assign(new Error(`${message} (${code})`), { code })

/** `server` like "127.0.0.1:8600", "[::1]:53" or "10.0.0.2". */
export function querySrv(server: string, name: string, timeoutMs: number, signal?: AbortSignal): Promise<WireSrvRecord[] | undefined> {
  const { host, port } = parseServer(server)
  const id = Math.floor(Math.random() * 0x10000)
  const query = encodeQuery(id, name)
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4')
    let closed = false
    const done = (err: Error | undefined, value?: WireSrvRecord[]) => {
      if (closed) return
      closed = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', cancelled)
      socket.close()
      if (err) reject(err)
      else resolve(value)
    }
    const timer = setTimeout(() => done(dnsError('ETIMEOUT', `SRV ${name}: no answer from ${server}`)), timeoutMs)
    const cancelled = () => done(dnsError('ECANCELLED', `SRV ${name}: cancelled`))
    if (signal?.aborted) return cancelled()
    signal?.addEventListener('abort', cancelled, { once: true })
    socket.on('error', (err) => done(err)) // a connected socket reports ECONNREFUSED (no server there)
    socket.on('message', (msg: Buffer) => {
      if (msg.length < 12 || msg.readUInt16BE(0) !== id) return // not our answer: keep waiting
      try {
        done(undefined, decodeAnswer(msg, name))
      } catch (err) {
        done(err as Error)
      }
    })
    socket.connect(port, host, () => socket.send(query))
  })
}

function parseServer(server: string): { host: string; port: number } {
  const bracketed = /^\[(.+)\](?::(\d+))?$/.exec(server)
  if (bracketed) return { host: bracketed[1]!, port: Number(bracketed[2] ?? 53) }
  if (isIP(server) === 6) return { host: server, port: 53 }
  const [host, port] = server.split(':')
  return { host: host!, port: Number(port ?? 53) }
}

function encodeQuery(id: number, name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').map((l) => Buffer.from(l, 'ascii'))
  const head = Buffer.alloc(12)
  head.writeUInt16BE(id, 0)
  head.writeUInt16BE(0x0100, 2) // recursion desired
  head.writeUInt16BE(1, 4) // one question
  const qname = Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])])
  const tail = Buffer.alloc(4)
  tail.writeUInt16BE(TYPE_SRV, 0)
  tail.writeUInt16BE(1, 2) // class IN
  return Buffer.concat([head, qname, tail])
}

/** The SRV records of an answer; [] for NXDOMAIN or no records; undefined when truncated. */
function decodeAnswer(msg: Buffer, name: string): WireSrvRecord[] | undefined {
  const flags = msg.readUInt16BE(2)
  if (flags & 0x0200) return undefined // truncated: the caller asks over its fallback
  const rcode = flags & 0x000f
  if (rcode === 3) return [] // NXDOMAIN: a real, empty answer
  if (rcode !== 0) throw dnsError(RCODE[rcode] ?? 'EBADRESP', `SRV ${name}: server answered rcode ${rcode}`)
  let at = 12
  for (let q = msg.readUInt16BE(4); q > 0; q--) at = readName(msg, at).next + 4
  const records: WireSrvRecord[] = []
  for (let a = msg.readUInt16BE(6); a > 0; a--) {
    at = readName(msg, at).next
    const type = msg.readUInt16BE(at)
    const ttl = msg.readUInt32BE(at + 4)
    const length = msg.readUInt16BE(at + 8)
    const data = at + 10
    if (type === TYPE_SRV) {
      const target = readName(msg, data + 6).name
      records.push({ priority: msg.readUInt16BE(data), weight: msg.readUInt16BE(data + 2), port: msg.readUInt16BE(data + 4), name: target, ttl })
    }
    at = data + length
  }
  return records
}

/** A possibly compressed name at `at`: its text and the offset after it (RFC 1035 §4.1.4). */
function readName(msg: Buffer, at: number): { name: string; next: number } {
  const labels: string[] = []
  let next = -1
  for (let jumps = 0; ; ) {
    const len = msg[at]
    if (len === undefined) throw dnsError('EBADRESP', 'truncated name in a DNS answer')
    if (len === 0) break
    if ((len & 0xc0) === 0xc0) {
      if (++jumps > 32) throw dnsError('EBADRESP', 'a compression loop in a DNS answer')
      if (next < 0) next = at + 2
      at = ((len & 0x3f) << 8) | msg[at + 1]!
      continue
    }
    labels.push(msg.toString('ascii', at + 1, at + 1 + len))
    at += 1 + len
  }
  return { name: labels.join('.'), next: next < 0 ? at + 1 : next }
}
