/**
 * `node --import ./runtime/ts-register.mjs file.ts`: loads our TypeScript
 * through ts-hooks.mjs, with stack traces pointing into the .ts sources.
 */
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./ts-hooks.mjs', import.meta.url);
