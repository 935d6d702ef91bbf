/**
 * The gateway Service's load balancer: a TCP listener on 127.0.0.1 that hands each connection to
 * one of the Service's ready pods in turn, as a cloud load balancer does with
 * `externalTrafficPolicy: Local`. A pod that stops being ready gets no new connection; the ones
 * it has stay until it closes them. The only port the rehearsal publishes.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Backend {
  address: string;
  port: number;
}

export class LoadBalancer {
  private server?: Server;
  private next = 0;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly backends: () => Backend[]) {}

  /** Listens on 127.0.0.1:port; fails with one line when the port is taken. */
  listen(port: number): Promise<void> {
    const server = createServer({ allowHalfOpen: true }, (client) => this.forward(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new Error(
            error.code === 'EADDRINUSE'
              ? `Port ${port} on 127.0.0.1 is taken: set GATEWAY_PORT to a free port`
              : `Cannot listen on 127.0.0.1:${port}: ${error.message}`,
          ),
        ),
      );
      server.listen(port, '127.0.0.1', () => resolve());
    });
  }

  private forward(client: Socket): void {
    const backends = this.backends();
    if (backends.length === 0) {
      client.destroy();
      return;
    }
    const backend = backends[this.next++ % backends.length]!;
    const upstream = connect({ host: backend.address, port: backend.port, allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.setNoDelay(true);
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.once('error', () => upstream.destroy());
    upstream.once('error', () => client.destroy());
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
