/** Flag parsing shared by the CLI's commands (and the plugin commands composed in bin/commands.ts). */
import type { LogFormat } from '../log.ts'
import type { Runtime } from '../runtime/types.ts'

/** A command the entry point adds to `gatehouse` (register, registrator): loaded only when run. */
export interface CliCommand {
  /** One line for the usage text. */
  summary: string
  load(): Promise<(runtime: Runtime, args: readonly string[]) => Promise<void>>
}

/** Flags `--name value` / `--name=value`; names in `repeatable` may appear many times. */
export function parseArgs(args: readonly string[], known: readonly string[], repeatable: readonly string[] = []): { flags: Record<string, string>; lists: Record<string, string[]> } | string {
  const flags: Record<string, string> = {}
  const lists: Record<string, string[]> = {}
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(args[i]!)
    if (!m || !(known.includes(m[1]!) || repeatable.includes(m[1]!))) return `unknown argument ${args[i]}`
    const value = m[2] ?? args[++i]
    if (value === undefined) return `--${m[1]} needs a value`
    if (repeatable.includes(m[1]!)) (lists[m[1]!] ??= []).push(value)
    else if (m[1]! in flags) return `--${m[1]} given twice`
    else flags[m[1]!] = value
  }
  return { flags, lists }
}

/** `--log json|text` (or GATEHOUSE_LOG); text by default. */
export function logFormat(runtime: Runtime, args: readonly string[]): LogFormat {
  const i = args.findIndex((a) => a === '--log' || a.startsWith('--log='))
  const v = i < 0 ? runtime.env('GATEHOUSE_LOG') : args[i]!.includes('=') ? args[i]!.split('=')[1] : args[i + 1]
  return v === 'json' ? 'json' : 'text'
}
