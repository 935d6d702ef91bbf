/**
 * How a long-running command learns that it should stop, the same way for every command:
 * Ctrl-C (which a terminal sends to npm and to it, so it comes twice), SIGTERM, SIGHUP, or the
 * end of the process that started it (npm killed alone, with SIGHUP by a closing terminal or a
 * `nohup` setup, leaves its child running otherwise: npm passes on SIGINT and SIGTERM only). `stop`
 * is called once, with the reason in words a person reads; later requests are ignored, so a second
 * Ctrl-C cannot cut the clean-up short. Every listener is a lasting `process.on`: with `once`, the
 * second signal would find none and end the process mid-clean-up. The watch also keeps the command
 * alive while it serves; a command that ends by itself (the bench) ends the watch with the function
 * returned, once nothing is left to clean up.
 */
export function onStopRequest(stop: (why: string) => void): () => void {
  let requested = false;
  const request = (why: string) => {
    if (requested) return;
    requested = true;
    stop(why);
  };
  const reasons = { SIGINT: 'Ctrl-C (SIGINT)', SIGTERM: 'SIGTERM', SIGHUP: 'SIGHUP (its terminal closed)' } as const;
  const listeners = Object.entries(reasons).map(([signal, why]) => [signal, () => request(why)] as const);
  for (const [signal, listener] of listeners) process.on(signal, listener);
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) request(`the process that started it (pid ${parent}) ended`);
  }, 1000);
  return () => {
    clearInterval(watch);
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
}
