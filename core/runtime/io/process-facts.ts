/** The process facts of runtimes that provide Node's `process` (Node itself, Bun). */
import { rm, writeFile } from 'node:fs/promises'
import type { Runtime } from '../types.ts'

export const processFacts: Pick<Runtime, 'args' | 'cwd' | 'env' | 'exit' | 'onSignal' | 'pid' | 'kill' | 'writeTextFile' | 'removeFile'> = {
  args: process.argv.slice(2),
  cwd: () => process.cwd(),
  env: (name) => process.env[name],
  exit: (code) => process.exit(code),
  onSignal: (signal, fn) => void process.on(signal, fn),
  pid: process.pid,
  kill: (pid, signal) => void process.kill(pid, signal),
  writeTextFile: (path, text) => writeFile(path, text),
  removeFile: (path) => rm(path, { force: true }),
}
