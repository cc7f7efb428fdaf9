/**
 * What the primary and its workers say to each other, besides the feed (feed.ts). Plain JSON.
 *
 * worker → primary: `hello` (its channel listens), `ready` (it serves on `port`), `requests`
 * (a batch of finished requests, for the primary's observers: metrics, access log), `resync` (it
 * missed a feed message), `reloaded` (its answer to `reload`).
 * primary → worker: `start` (the port, whether to send requests, and the feed's sync), `reload`
 * (load the config file again), `records` (start or stop sending requests), `stop` (drain within
 * `graceMs`, then exit).
 */
import type { RequestRecord } from '../gateway/events.ts'
import type { FeedMessage } from './feed.ts'

export type WorkerMessage =
  | { t: 'hello' }
  | { t: 'ready'; port: number }
  | { t: 'requests'; records: RequestRecord[] }
  | { t: 'resync' }
  | { t: 'reloaded'; error?: string }

export type PrimaryMessage =
  | { t: 'start'; port: number; records: boolean; sync: FeedMessage }
  | { t: 'reload'; records: boolean }
  | { t: 'stop'; graceMs: number }

export const messageType = (m: unknown): string | undefined => (typeof m === 'object' && m !== null ? (m as { t?: string }).t : undefined)
