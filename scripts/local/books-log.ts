/**
 * The books API's log, as the local run's terminal shows it. The API writes pino's JSON, which the
 * cluster's log collectors read, two lines per request ("incoming request" with the method and
 * path, "request completed" with the status and time, joined by `reqId`). A person at a terminal
 * wants one line per request instead: `GET /books 200 3.1 ms`. The API itself is unchanged.
 */

/** pino's numeric levels above info, by name, for the lines that are not about a request. */
const levelNames: Record<number, string> = { 40: 'warning', 50: 'error', 60: 'fatal' };

/** Requests seen but not yet answered, kept per process; a client that never waits leaves one. */
const pendingLimit = 1000;

interface PinoLine {
  level?: number;
  msg?: string;
  reqId?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
  err?: { message?: string };
}

function parse(line: string): PinoLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A formatter for one books process's output: each line in, the line to show out, or undefined
 * for a line that shows nothing by itself (a request not yet answered). Lines that are not
 * pino's JSON pass through as they are.
 */
export function booksLogFormatter(): (line: string) => string | undefined {
  const pending = new Map<string, string>();
  return (line) => {
    const entry = parse(line);
    if (!entry) return line;
    if (entry.reqId !== undefined && entry.req !== undefined && entry.res === undefined) {
      pending.set(entry.reqId, `${entry.req.method ?? '?'} ${entry.req.url ?? '?'}`);
      if (pending.size > pendingLimit) pending.delete(pending.keys().next().value ?? '');
      return undefined;
    }
    if (entry.reqId !== undefined && entry.res !== undefined) {
      const request = pending.get(entry.reqId) ?? '(request)';
      pending.delete(entry.reqId);
      const time = entry.responseTime === undefined ? '' : ` ${entry.responseTime.toFixed(1)} ms`;
      return `${request} ${entry.res.statusCode ?? '?'}${time}`;
    }
    const level = levelNames[entry.level ?? 0];
    const error = entry.err?.message === undefined ? '' : `: ${entry.err.message}`;
    return `${level === undefined ? '' : `${level}: `}${entry.msg ?? line}${error}`;
  };
}
