/**
 * Files for plugins (read, stat, watch one file), on `node:fs` and `node:path`, which Node, Bun and
 * Deno all provide; a runtime without them brings its own FileIO.
 */
import { watch, type FSWatcher } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import type { FileIO } from '../../plugin/io.ts'

export const nodeFiles: FileIO = {
  locate(path) {
    const abs = resolve(path)
    return { path: abs, dir: dirname(abs), base: basename(abs) }
  },
  readText: (path) => readFile(path, 'utf8'),
  async version(path) {
    try {
      const s = await stat(path)
      return `${s.ino}:${s.size}:${s.mtimeMs}`
    } catch {
      return undefined
    }
  },
  watchDirectory(dir, base, onChange, onError) {
    let watcher: FSWatcher
    try {
      watcher = watch(dir, { persistent: true }, (_event, name) => {
        if (name === null || String(name) === base) onChange()
      })
    } catch (err) {
      onError(err as Error)
      return () => {}
    }
    watcher.on('error', (err) => {
      watcher.close()
      onError(err)
    })
    return () => watcher.close()
  },
}
