import { createServer, type Server } from 'node:http';

/**
 * A local HTTP service for pollers to check, on a fixed port so that it can
 * be stopped (the service goes down) and started again (it comes back).
 */
export class HttpTarget {
  private server: Server | undefined;

  constructor(
    readonly port: number,
    private readonly body = 'ok',
  ) {}

  async start(): Promise<void> {
    const server = createServer((_req, res) => res.end(this.body));
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
