/**
 * How `npm run rehearse -- --apply` reaches the running rehearsal of the same stack and
 * GATEWAY_PORT (which no two rehearsals share): a Unix socket in the runs folder. It may come from
 * another checkout of the project (a changed copy of the sources, say). The applying process captures and builds, then sends the
 * objects and images; the rehearsal converges, sending its log lines back, then `ok` or the error.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import * as path from 'node:path';
import type { KubernetesObject, RolloutOrder } from '../capture/kubernetes-objects.js';
import { runsFolder } from './leftovers.js';

export interface ApplyRequest {
  objects: KubernetesObject[];
  rolloutOrder: RolloutOrder;
  images: [string, string][];
}

type Reply = { log: string } | { ok: true } | { error: string };

export function socketPath(stack: string, gatewayPort: number): string {
  return path.join(runsFolder, `${stack}-${gatewayPort}.sock`);
}

/** Serves apply requests one at a time; `handle` gets a log function for the requester. */
export function serveApply(socket: string, handle: (request: ApplyRequest, log: (line: string) => void) => Promise<void>): Promise<Server> {
  mkdirSync(path.dirname(socket), { recursive: true, mode: 0o700 });
  rmSync(socket, { force: true });
  let queue = Promise.resolve();
  // Half-open: the request ends with the client's end, and the replies still flow back.
  const server = createServer({ allowHalfOpen: true }, (connection) => {
    let text = '';
    connection.setEncoding('utf8');
    connection.on('data', (chunk: string) => (text += chunk));
    connection.on('end', () => {
      const send = (reply: Reply) => connection.write(`${JSON.stringify(reply)}\n`);
      queue = queue.then(async () => {
        try {
          await handle(JSON.parse(text) as ApplyRequest, (line) => send({ log: line }));
          send({ ok: true });
        } catch (error) {
          send({ error: (error as Error).message });
        }
        connection.end();
      });
    });
    connection.on('error', () => undefined);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve(server));
  });
}

/** Sends the request; resolves once the rehearsal has converged, rejects with its error. */
export function requestApply(socket: string, request: ApplyRequest, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const connection = createConnection(socket);
    let buffered = '';
    let settled = false;
    connection.setEncoding('utf8');
    connection.on('connect', () => connection.end(JSON.stringify(request)));
    connection.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const reply = JSON.parse(line) as Reply;
        if ('log' in reply) log(reply.log);
        else if ('ok' in reply) (settled = true), resolve();
        else (settled = true), reject(new Error(reply.error));
      }
    });
    connection.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
          ? new Error('No rehearsal of this stack is running on this GATEWAY_PORT: start one with npm run rehearse')
          : error,
      ),
    );
    connection.on('close', () => settled || reject(new Error('the rehearsal closed the connection before it had converged')));
  });
}
