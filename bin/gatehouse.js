#!/usr/bin/env node
// The `gatehouse` command: the CLI as built JavaScript (dist/, written by scripts/build.js; in a
// checkout, `npm ci` and `npm start` build it), so every runtime starts it without compiling.
import '../dist/core/cli/run.js'
