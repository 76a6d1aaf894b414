#!/usr/bin/env node
// The package's bin (dist/cli.js). Everything lives in src/cli/main.ts; this
// file only hands it the arguments and turns its result into the exit code.
import { main } from './src/cli/main.js';

// exitCode rather than process.exit(): pending stdout/stderr writes still flush.
process.exitCode = await main(process.argv.slice(2));
