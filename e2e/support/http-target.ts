import { createServer, type Server } from 'node:http';

/**
 * A local HTTP service for pollers to check, on a fixed port so that it can
 * be stopped (the service goes down) and started again (it comes back). It
 * counts the requests it answered, so tests can hold every check a poller
 * made against what the backend stored.
 */
export class HttpTarget {
  private server: Server | undefined;
  /** Requests answered since construction. */
  requests = 0;
  /** The same, by request path (a service per path tells which services were polled). */
  readonly requestsByPath = new Map<string, number>();

  constructor(
    readonly port: number,
    private readonly body = 'ok',
  ) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.requests++;
      const path = req.url ?? '/';
      this.requestsByPath.set(path, (this.requestsByPath.get(path) ?? 0) + 1);
      res.end(this.body);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  }
}
