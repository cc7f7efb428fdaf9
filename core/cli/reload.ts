/**
 * Reloading the config of a running gateway (as nginx `-s reload`, without a restart): on SIGHUP,
 * `gatehouse reload` (which sends SIGHUP to the pid in `--pid-file`), or a change of the config
 * file under `--watch`. The file is loaded and checked afresh; a bad one is refused with every bad
 * field in the log and the running config keeps serving; a good one is swapped in whole.
 */
import { isConfigError } from '../config/errors.ts'
import type { GatewayConfig } from '../config/schema.ts'
import type { Gateway } from '../gateway/create-gateway.ts'
import type { FileIO } from '../plugin/io.ts'
import type { Logger } from '../types.ts'

export interface ReloaderDeps {
  gateway: Pick<Gateway, 'state' | 'reload'>
  log: Logger
  file: string
  load(): Promise<GatewayConfig>
}

/** Returns `reload(why)`: one at a time; requests while one runs fold into one more run after it. */
export function configReloader({ gateway, log, file, load }: ReloaderDeps): (why: string) => Promise<void> {
  let running: Promise<void> | undefined
  let again: string | undefined
  const once = async (why: string): Promise<void> => {
    const serving = `the running config (generation ${gateway.state().generation}) keeps serving`
    let config: GatewayConfig
    try {
      config = await load()
    } catch (err) {
      if (isConfigError(err)) return log.error(`reload (${why}): ${file} is invalid; ${serving}`, { problems: err.problems })
      return log.error(`reload (${why}): cannot load ${file}; ${serving}`, { error: String((err as Error)?.message ?? err) })
    }
    try {
      await gateway.reload(config)
    } catch (err) {
      log.error(`reload (${why}): cannot apply ${file}; ${serving}`, { error: String((err as Error)?.message ?? err) })
    }
  }
  const reload = (why: string): Promise<void> => {
    if (running) {
      again = why
      return running
    }
    running = once(why).finally(() => {
      running = undefined
      const next = again
      again = undefined
      if (next) void reload(next)
    })
    return running
  }
  return reload
}

/**
 * `--watch`: reloads when the config file changes (its directory is watched, as editors rename a
 * new file over the old one; a poll of its version catches what the watch misses). Only the file
 * itself is watched, not modules it imports.
 */
export function watchConfig(files: FileIO, file: string, onChange: () => void, log: Logger, signal: AbortSignal, { debounceMs = 200, pollMs = 2_000 } = {}): void {
  const { path, dir, base } = files.locate(file)
  let timer: ReturnType<typeof setTimeout> | undefined
  let seen: string | undefined
  const changed = async () => {
    const version = await files.version(path)
    if (version === seen || signal.aborted) return
    seen = version
    onChange()
  }
  const schedule = () => void (timer ??= setTimeout(() => ((timer = undefined), void changed()), debounceMs))
  void files.version(path).then((v) => (seen = v))
  const unwatch = files.watchDirectory(dir, base, schedule, (err) => log.warn(`--watch: cannot watch ${dir} (${err.message}); polling every ${pollMs} ms`))
  const poll = setInterval(schedule, pollMs)
  ;(poll as { unref?: () => void }).unref?.()
  signal.addEventListener('abort', () => {
    unwatch()
    clearInterval(poll)
    clearTimeout(timer)
  })
  log.info(`watching ${path}: a change reloads the config`)
}

/** `gatehouse reload --pid-file FILE`: sends SIGHUP to the gateway whose pid the file holds. */
export async function sendReload(pidText: string, kill: (pid: number) => void): Promise<string> {
  const pid = Number(pidText.trim())
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`the pid file holds ${JSON.stringify(pidText.trim().slice(0, 40))}, not a process id`)
  kill(pid)
  return `sent SIGHUP to gatehouse (pid ${pid}): it reloads its config; its log says whether the new one was taken`
}
