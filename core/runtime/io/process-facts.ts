/** The process facts of runtimes that provide Node's `process` (Node itself, Bun). */
import type { Runtime } from '../types.ts'

export const processFacts: Pick<Runtime, 'args' | 'cwd' | 'env' | 'exit' | 'onSignal'> = {
  args: process.argv.slice(2),
  cwd: () => process.cwd(),
  env: (name) => process.env[name],
  exit: (code) => process.exit(code),
  onSignal: (signal, fn) => void process.on(signal, fn),
}
