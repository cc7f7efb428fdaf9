/**
 * `directoryStore({ path })`: the ACME store as files (the default, `./acme`), through the
 * runtime's file I/O (`ctx.io.files`). Files are written aside and renamed over (never
 * half-written), mode 0600 in directories of mode 0700: they hold private keys. The lock is a file
 * created exclusively; one older than `staleLock` is taken to be left by a process that died
 * mid-order. It shares nothing between machines: use etcdStore() for replicas.
 *
 * Deno: the gateway needs `--allow-write` for this directory (and `--allow-read` for it, which
 * `--allow-read=.` covers when it is under the working directory).
 *
 * @example
 * import { acme, directoryStore } from 'gatehouse/plugins/acme'
 * acme({ email: 'ops@example.com', store: directoryStore({ path: '/var/lib/gatehouse/acme' }) })
 */
import { z } from 'zod'
import { duration } from '../../core/config/duration.ts'
import type { FileIO } from '../../core/plugin/io.ts'
import { checkKey, defineStore, type AcmeStore } from './store.ts'

const optionsSchema = z.strictObject({
  /** Directory of the account, certificates and keys; relative to the working directory. Default "./acme". */
  path: z.string().min(1, { error: 'expected a directory path' }).default('./acme'),
  /** A lock file older than this was left by a process that died mid-order. Default 10m. */
  staleLock: duration().default(600_000),
})

export type DirectoryStoreOptions = z.input<typeof optionsSchema>

export function directoryStore(options: DirectoryStoreOptions = {}): AcmeStore {
  return defineStore('directoryStore', optionsSchema, options, (opts) => {
    let opened: { files: FileIO; root: string } | undefined
    const io = () => {
      if (!opened) throw new Error(`acme directory store ${opts.path}: not open`)
      return opened
    }
    const file = (key: string) => `${io().root}/${checkKey(key)}.json`
    return {
      name: `directory ${opts.path}`,
      async open(ctx) {
        opened = { files: ctx.io.files, root: ctx.io.files.locate(opts.path).path }
      },
      async get(key) {
        const { files } = io()
        const path = file(key)
        try {
          return await files.readText(path)
        } catch (err) {
          if ((await files.version(path)) === undefined) return undefined // missing: not stored
          throw err
        }
      },
      put: (key, value) => io().files.writePrivate(file(key), value),
      delete: (key) => io().files.remove(file(key)),
      async withLock(name, fn) {
        const { files, root } = io()
        const lock = `${root}/locks/${name.replace(/[^A-Za-z0-9._-]/g, '_')}.lock`
        if (!(await takeLock(files, lock, `${new Date().toISOString()}\n`, opts.staleLock))) return { ran: false }
        try {
          return { ran: true, value: await fn() }
        } finally {
          await files.remove(lock).catch(() => {})
        }
      },
    }
  })
}

async function takeLock(files: FileIO, lock: string, holder: string, staleMs: number): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await files.createExclusive(lock, holder)) return true
    const age = Date.now() - ((await files.modifiedAt(lock)) ?? Date.now())
    if (age < staleMs) return false
    await files.remove(lock).catch(() => {}) // left by a process that died: take it over
  }
  return false
}
