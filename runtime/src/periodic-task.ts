import type { Logger } from './logger.ts';

/**
 * Runs `work` every `intervalMs`, never overlapping itself: a tick that comes
 * while the last run is still going is skipped. Errors are logged, never
 * thrown; the timer does not keep the process alive; `stop` waits for a
 * running pass to finish.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly work: () => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.intervalMs).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.work()
      .then(() => undefined)
      .catch((err: unknown) => this.log.error(`${this.name} failed: ${(err as Error)?.stack ?? String(err)}`))
      .finally(() => (this.running = undefined));
  }
}
