/**
 * A bound on password hashes running at once. scrypt runs on libuv's small
 * thread pool (4 threads by default), which file reads and DNS share: with
 * every thread hashing an attacker's guesses, even a static file waits. A
 * few slots, a short queue, and "busy" beyond it keep the pool free for the
 * rest of the server.
 */
export class HashSlots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly maxRunning: number,
    private readonly maxWaiting: number,
  ) {}

  /** A release function once a slot is free, or null at once when the queue is full. */
  async acquire(): Promise<(() => void) | null> {
    if (this.running < this.maxRunning) {
      this.running++;
      return this.releaser();
    }
    if (this.waiting.length >= this.maxWaiting) return null;
    // The slot passes straight from the releaser to the next in line, so `running` stays counted.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }
}
