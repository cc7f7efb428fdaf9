/** Entry point: pick the runtime we are running under, then run the CLI. */
import { currentRuntime } from '../runtime/select.ts'
import { main } from './main.ts'

await main(await currentRuntime())
