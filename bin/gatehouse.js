#!/usr/bin/env node
// Node 20 cannot load TypeScript by itself: register tsx in this process, then run the CLI.
import { register } from 'tsx/esm/api'

register()
await import('../core/cli/run.ts')
