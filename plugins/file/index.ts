/**
 * File discovery: the embedded default registry. A JSON file lists the pools' upstreams (and
 * optionally routes); the gateway picks up every change within a second, without a restart, so
 * a deploy script (or a person) only rewrites one file.
 *
 * ```json
 * { "pools": { "web": ["http://127.0.0.1:8001", { "url": "http://127.0.0.1:8002", "weight": 2, "labels": { "zone": "a" } }] },
 *   "routes": [{ "host": "app.example.com", "path": "/*", "pool": "web" }] }
 * ```
 * Under `pools.<name>.discovery` the file may also be a plain array of upstreams for that pool.
 *
 * How changes are seen: the file's DIRECTORY is watched (so an editor's or `mv`'s atomic
 * rename-over is caught, which a watch on the file itself misses), a change is read `debounce`
 * after the first event (a burst of writes is read once), and a slow stat poll (`poll`) catches
 * what watching misses (network filesystems, a directory created later). A file that cannot be
 * read, parsed or validated is rejected whole with an error naming the field, and the last good
 * snapshot keeps serving: nothing is emitted until the file is valid again.
 *
 * @example
 * import { file } from 'gatehouse/plugins/file'
 * pools: { web: { discovery: file({ path: './upstreams.json' }) } }
 */
import { z } from 'zod'
import { duration } from '../../core/config/duration.ts'
import { definePlugin } from '../../core/plugin/define.ts'
import type { DiscoveryPlugin } from '../../core/types.ts'
import { parseRegistry } from './parse.ts'

const optionsSchema = z.strictObject({
  /** The registry file; relative to the working directory. */
  path: z.string().min(1, { error: 'expected the path of a JSON file' }),
  /** Pool a plain-array file fills. Default: the pool this source is attached to. */
  pool: z.string().min(1).optional(),
  /** Wait after a change event before reading, to read a burst of writes once. Default 100ms. */
  debounce: duration().default(100),
  /** Stat poll, the safety net for missed watch events. Default 2s. */
  poll: duration()
    .default(2_000)
    .refine((ms) => ms >= 100, { error: 'expected at least 100ms' }),
})

export type FileOptions = z.input<typeof optionsSchema>

export function file(options: FileOptions): DiscoveryPlugin {
  return definePlugin('discovery', 'file', optionsSchema, options, (opts) => {
    return {
      async start({ emit, reject: rejected, signal, pool, log, io }) {
        const { locate, readText, version: fileVersion, watchDirectory } = io.files
        if (signal.aborted) return
        const { path, dir, base } = locate(opts.path)
        const label = `file ${path}`
        let lastText: string | undefined // what was last read, valid or not: unchanged text is not re-parsed
        let good = false // a snapshot was emitted; the next failure keeps it
        let failing = false
        let seen: string | undefined // fileVersion at the last poll
        let debounceTimer: ReturnType<typeof setTimeout> | undefined
        let queue = Promise.resolve()

        const reject = (reason: string, problems?: string[]) => {
          failing = true
          log.error(`${label}: ${reason} (${good ? 'keeping the last good snapshot' : 'no snapshot yet'})`, problems && { problems })
          rejected?.(problems ?? [reason])
        }

        const load = async () => {
          let text: string
          try {
            text = await readText(path)
          } catch (err) {
            if (signal.aborted || lastText === '\0missing') return
            lastText = '\0missing'
            return reject(`cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
          }
          if (signal.aborted || text === lastText) return
          lastText = text
          const result = parseRegistry(text, opts.pool ?? pool)
          if (!result.ok) return reject(result.problems.join('; '), result.problems)
          if (failing) log.info(`${label}: valid again, applying it`)
          failing = false
          good = true
          emit(result.snapshot)
        }
        // One read at a time, in order: the last one always sees the newest text.
        const reload = () => (queue = queue.then(load))
        const schedule = () => {
          if (!signal.aborted) debounceTimer ??= setTimeout(() => ((debounceTimer = undefined), void reload()), opts.debounce)
        }

        const unwatch = watchDirectory(dir, base, schedule, (err) =>
          log.warn(`${label}: cannot watch ${dir} (${err.message}); polling every ${opts.poll}ms instead`),
        )
        const poll = setInterval(async () => {
          const version = await fileVersion(path)
          if (version !== seen) ((seen = version), schedule())
        }, opts.poll)
        signal.addEventListener(
          'abort',
          () => {
            unwatch()
            clearInterval(poll)
            clearTimeout(debounceTimer)
          },
          { once: true },
        )

        seen = await fileVersion(path)
        await reload() // the first snapshot is out before start() resolves
      },
    }
  })
}

export default file
