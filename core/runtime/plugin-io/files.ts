/**
 * Files for plugins (read, stat, watch one file; private writes for the ACME store), on `node:fs`
 * and `node:path`, which Node, Bun and Deno all provide; a runtime without them brings its own FileIO.
 */
import { watch, type FSWatcher } from 'node:fs'
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { basename, dirname, resolve } from 'node:path'

const PRIVATE_FILE = 0o600
const PRIVATE_DIR = 0o700
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
  async writePrivate(path, text) {
    await mkdir(dirname(path), { recursive: true, mode: PRIVATE_DIR })
    const aside = `${path}.${randomBytes(4).toString('hex')}.tmp`
    try {
      await writeFile(aside, text, { mode: PRIVATE_FILE })
      await rename(aside, path)
    } catch (err) {
      await rm(aside, { force: true }).catch(() => {})
      throw err
    }
  },
  async createExclusive(path, text) {
    await mkdir(dirname(path), { recursive: true, mode: PRIVATE_DIR })
    try {
      const handle = await open(path, 'wx', PRIVATE_FILE)
      try {
        await handle.writeFile(text)
      } finally {
        await handle.close()
      }
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw err
    }
  },
  remove: (path) => rm(path, { force: true }),
  async modifiedAt(path) {
    try {
      return (await stat(path)).mtimeMs
    } catch {
      return undefined
    }
  },
}
