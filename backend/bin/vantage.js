#!/usr/bin/env node
// Runs the TypeScript sources of a checkout directly (runtime/ts-hooks.mjs compiles them), so there is no build step.
import '@vantage/runtime/ts-register';

await import('../src/cli.ts');
