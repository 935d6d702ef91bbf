/**
 * How a long-running command learns that it should stop, the same way for every command:
 * Ctrl-C (which a terminal sends to npm and to it, so it comes twice), SIGTERM, SIGHUP, or the
 * end of the process that started it (npm killed alone, with SIGHUP by a closing terminal or a
 * `nohup` setup, leaves its child running otherwise). `stop` is called once, with the reason;
 * later requests are ignored, so a second Ctrl-C cannot cut the clean-up short. The watch also
 * keeps the command alive while it serves.
 */
export function onStopRequest(stop: (why: string) => void): void {
  let requested = false;
  const request = (why: string) => {
    if (requested) return;
    requested = true;
    stop(why);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => request(signal));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) request('the process that started it ended');
  }, 1000);
}
