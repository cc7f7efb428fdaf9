/** Entry point (built to dist/bin/run.js, which bin/gatehouse.js imports on every runtime): pick the runtime we are running under, then run the CLI with the plugin commands. */
import { main } from '../core/cli/main.ts'
import { currentRuntime } from '../core/runtime/select.ts'
import { pluginCommands } from './commands.ts'

await main(await currentRuntime(), pluginCommands)
