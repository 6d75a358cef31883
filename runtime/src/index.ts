export * from './logger.ts';
export * from './clock.ts';
export * from './backoff.ts';
export * from './min-heap.ts';
export * from './wakeable-sleep.ts';
export * from './periodic-task.ts';
export * from './disk-spool.ts';
export * from './yield.ts';
