/**
 * The file plugin's only contact with the runtime: read, stat and watch one file. Node, Bun and
 * Deno all provide `node:fs` and `node:path`, so this works on all three; a runtime without them
 * swaps this one file.
 */
import { watch, type FSWatcher } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'

/** Absolute path, its directory and its file name. Relative paths resolve against the working directory. */
export function locate(path: string): { path: string; dir: string; base: string } {
  const abs = resolve(path)
  return { path: abs, dir: dirname(abs), base: basename(abs) }
}

export const readText = (path: string): Promise<string> => readFile(path, 'utf8')

/** Changes whenever the file is replaced or written (inode, size, mtime); undefined when it is missing. */
export async function fileVersion(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path)
    return `${s.ino}:${s.size}:${s.mtimeMs}`
  } catch {
    return undefined
  }
}

/**
 * Watches a DIRECTORY and calls `onChange` for events on `base` (or unnamed events). The directory,
 * not the file: editors and deploy tools replace a file by renaming a new one over it, and a watch
 * on the old inode would go quiet. Returns a close function; when watching is impossible (no such
 * directory, no inotify slots) it returns a no-op and the caller's stat poll keeps things current.
 */
export function watchDirectory(dir: string, base: string, onChange: () => void, onError: (err: Error) => void): () => void {
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
}
