import type { FastifyInstance } from 'fastify';

/**
 * On SIGTERM (Kubernetes) or SIGINT (Ctrl-C): readiness turns 503, the listening socket closes,
 * idle keep-alive connections are closed, requests in flight finish (their responses carry
 * `Connection: close`), then the process exits 0. If they have not finished within `timeoutMs`,
 * it exits 1, dropping them. Repeated signals do not cut the shutdown short: a local runner may
 * send SIGTERM right after the terminal's SIGINT.
 */
export function exitGracefullyOnSignals(app: FastifyInstance, timeoutMs: number): void {
  let shuttingDown = false;

  function shutDown(signal: NodeJS.Signals): void {
    if (shuttingDown) {
      app.log.info({ signal }, 'already shutting down');
      return;
    }
    shuttingDown = true;
    app.log.info({ signal }, 'shutting down: no new connections, finishing requests in flight');

    // Unref'd: it does not keep the process alive, yet fires if anything else still does.
    const deadline = setTimeout(() => {
      app.log.error({ timeoutMs }, 'requests still in flight at the shutdown deadline; dropping them');
      process.exit(1);
    }, timeoutMs);
    deadline.unref();

    // Once closed, nothing holds the event loop and the process ends by itself (exit code 0)
    // after the logger has written its last lines, in order; process.exit() could reorder them.
    app.close().then(
      () => app.log.info('shutdown complete'),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exitCode = 1;
      },
    );
  }

  process.on('SIGTERM', shutDown);
  process.on('SIGINT', shutDown);
}
