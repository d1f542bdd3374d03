#!/usr/bin/env node
import { main } from './main.js';

// process.exit rather than exitCode: a runtime's worker threads must not keep a finished command alive.
process.exit(await main(process.argv.slice(2)));
