/** Entry point under Bun and Deno (Node: bin/gatehouse.js): pick the runtime we are running under, then run the CLI. */
import { main } from '../core/cli/main.ts'
import { currentRuntime } from '../core/runtime/select.ts'
import { pluginCommands } from './commands.ts'

await main(await currentRuntime(), pluginCommands)
