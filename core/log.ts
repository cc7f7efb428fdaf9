/** A small structured logger: JSON lines (default) or readable text for a terminal. */
import type { Logger } from './types.ts'

export type LogFormat = 'json' | 'text'

export function createLogger(format: LogFormat = 'json', write: (line: string) => void = (l) => console.log(l)): Logger {
  const emit = (level: string, msg: string, fields?: Record<string, unknown>) => {
    if (format === 'json') write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }))
    else write(`${new Date().toISOString().slice(11, 23)} ${level.padEnd(5)} ${msg}${fields ? ' ' + JSON.stringify(fields) : ''}`)
  }
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  }
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} }
