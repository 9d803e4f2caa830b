#!/usr/bin/env node
// The `comm-bridge` executable: loads the TypeScript sources through tsx, so the package runs
// straight from a clone after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
