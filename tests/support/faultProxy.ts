import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export type ProxyMode = 'up' | 'down' | 'stall';

/**
 * A TCP proxy in front of the test influxd that a test can take down (connections refused, open
 * ones cut) or stall (connections accepted, nothing answered): an InfluxDB outage or a hung
 * InfluxDB without stopping the influxd the other tests share.
 */
export class FaultProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  mode: ProxyMode = 'up';

  private constructor(private readonly target: URL) {}

  static async start(targetUrl: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(new URL(targetUrl));
    await proxy.listen();
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Refuses new connections and cuts the open ones, like a stopped InfluxDB. */
  async down(): Promise<void> {
    this.mode = 'down';
    this.cutAll();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  /** Accepts connections again on the same port. */
  async up(): Promise<void> {
    this.mode = 'up';
    this.cutAll();
    if (!this.server) await this.listen();
  }

  /** Accepts connections and never answers, like a hung InfluxDB. */
  async stall(): Promise<void> {
    this.cutAll();
    this.mode = 'stall';
    if (!this.server) await this.listen();
  }

  async stop(): Promise<void> {
    await this.down();
  }

  private cutAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private listen(): Promise<void> {
    const server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => client.destroy());
      if (this.mode !== 'up') return;
      const upstream = connect(Number(this.target.port), this.target.hostname);
      this.sockets.add(upstream);
      upstream.on('close', () => {
        this.sockets.delete(upstream);
        client.destroy();
      });
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }
}
