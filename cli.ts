#!/usr/bin/env node
// The package's bin (dist/cli.js). Everything lives in src/cli/main.ts; this
// file only hands it the arguments and turns its result into the exit code.
import { main } from './src/cli/main.js';

// exitCode rather than process.exit(): pending stdout/stderr writes still flush.
process.exitCode = await main(process.argv.slice(2));
// …unless nothing will ever take them (a reader that stopped reading our stdout):
// the command is done, and a write stuck in a pipe must not keep the process alive.
setTimeout(() => process.exit(), 2000).unref();
