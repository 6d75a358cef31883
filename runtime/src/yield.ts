/**
 * Lets timers, sockets and other requests run before the caller goes on.
 * Long work made of many awaits can still hold the event loop when what it
 * awaits settles within microtasks (the embedded PGlite answers that way):
 * this awaits a macrotask turn. For loops over chunks of work.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
