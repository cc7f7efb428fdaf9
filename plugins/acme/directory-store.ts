/**
 * `directoryStore({ path })`: the ACME store as files (the default, `./acme`). Files are written
 * aside and renamed over (never half-written), mode 0600 in directories of mode 0700: they hold
 * private keys. The lock is a file created exclusively; one older than `staleLock` is taken to
 * be left by a process that died mid-order. It shares nothing between machines: use etcdStore()
 * for replicas.
 *
 * @example
 * import { acme, directoryStore } from 'gatehouse/plugins/acme'
 * acme({ email: 'ops@example.com', store: directoryStore({ path: '/var/lib/gatehouse/acme' }) })
 */
import { z } from 'zod'
import { randomBytes } from 'node:crypto'
import { pid } from 'node:process'
import { mkdir, open, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { duration } from '../../core/config/duration.ts'
import { parseOptions } from '../../core/config/errors.ts'
import { checkKey, type AcmeStore } from './store.ts'

const optionsSchema = z.strictObject({
  path: z.string().min(1, { error: 'expected a directory path' }).default('./acme').describe('Directory of the account, certificates and keys; relative to the working directory. Default "./acme".'),
  staleLock: duration().default(600_000).describe('A lock file older than this was left by a process that died mid-order. Default 10m.'),
})

export type DirectoryStoreOptions = z.input<typeof optionsSchema>

export function directoryStore(options: DirectoryStoreOptions = {}): AcmeStore {
  const opts = parseOptions('directoryStore', optionsSchema, options)
  const root = resolve(opts.path)
  const file = (key: string) => join(root, `${checkKey(key)}.json`)
  return {
    name: `directory ${opts.path}`,
    async open() {
      await mkdir(root, { recursive: true, mode: 0o700 })
    },
    async get(key) {
      try {
        return await readFile(file(key), 'utf8')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw err
      }
    },
    async put(key, value) {
      const target = file(key)
      await mkdir(dirname(target), { recursive: true, mode: 0o700 })
      const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`
      await writeFile(tmp, value, { mode: 0o600 })
      await rename(tmp, target)
    },
    async delete(key) {
      await rm(file(key), { force: true })
    },
    async withLock(name, fn) {
      const lock = join(root, 'locks', `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.lock`)
      await mkdir(dirname(lock), { recursive: true, mode: 0o700 })
      const taken = await takeLock(lock, opts.staleLock)
      if (!taken) return { ran: false }
      try {
        return { ran: true, value: await fn() }
      } finally {
        await unlink(lock).catch(() => {})
      }
    },
  }
}

async function takeLock(lock: string, staleMs: number): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lock, 'wx', 0o600)
      await handle.writeFile(`${pid} ${new Date().toISOString()}\n`)
      await handle.close()
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs
      if (age < staleMs) return false
      await unlink(lock).catch(() => {}) // left by a process that died: take it over
    }
  }
  return false
}
