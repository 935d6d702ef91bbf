import { createConnection, createServer } from 'node:net';
import { eventually } from './eventually.js';
import type { ManagedProcess } from './managed-process.js';
import { UserError } from './user-error.js';

/*
 * TCP ports on this machine, for the commands and the tests alike: free ones picked by the kernel,
 * the one check that a port is free before a component is to listen there, and the wait until a
 * started process listens.
 */

/**
 * `count` distinct ports nobody listens on right now (the kernel picks them). They are held open
 * together until all are chosen: one at a time, the kernel may hand out a port it just gave and
 * got back, and two components of one system would collide.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve, reject) => {
            server.once('error', reject);
            server.listen(0, host, resolve);
          }),
      ),
    );
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP address for a free port');
      return address.port;
    });
  } finally {
    await Promise.all(
      servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))),
    );
  }
}

/** A port nobody listens on right now (the kernel picks it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host);
  if (port === undefined) throw new Error('no free port');
  return port;
}

/** Fails with an actionable one-line message when `port` is already taken on `host`. */
export async function ensurePortFree(host: string, port: number, owner: string, hint: string): Promise<void> {
  const server = createServer();
  const failure = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    server.once('error', resolve);
    server.listen(port, host, () => resolve(undefined));
  });
  if (!failure) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return;
  }
  if (failure.code === 'EADDRINUSE') {
    throw new UserError(`port ${port} on ${host} is already in use, so the ${owner} cannot listen there; ${hint}`);
  }
  throw new UserError(`the ${owner} cannot listen on ${host}:${port}: ${failure.message}`);
}

/** Whether something accepts TCP connections on host:port right now. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Waits until `managed` listens on host:port; fails at once if it ends first, with what it
 * last wrote (nginx's own message when its configuration is wrong, for instance).
 */
export async function waitUntilListening(managed: ManagedProcess, host: string, port: number, timeoutMs = 15000): Promise<void> {
  await eventually(
    `${managed.name} listens on ${host}:${port}`,
    () => {
      if (!managed.running) throw new UserError(`${managed.name} stopped while starting: ${managed.recentOutput() || 'no output'}`);
      return accepts(host, port);
    },
    timeoutMs,
    50,
    () =>
      new UserError(
        `${managed.name} did not listen on ${host}:${port} within ${timeoutMs / 1000} s: ${managed.recentOutput() || 'no output'}`,
      ),
  );
}
