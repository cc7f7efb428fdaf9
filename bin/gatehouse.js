#!/usr/bin/env node
// The `gatehouse` command: the CLI as built JavaScript (dist/, written by scripts/build.js from
// bin/run.ts, core/ and plugins/; in a checkout, `npm ci` and `npm start` build it), so every
// runtime starts it without compiling.
import '../dist/bin/run.js'
