/**
 * Steady writes through the gateway, as clients make them: each worker creates a book of an id no
 * one used, replaces its title, and deletes every other one, each write once (a client does not
 * know whether a write that failed was applied, so it never sends it again). Then what the API
 * holds is checked against what it acknowledged: nothing acknowledged is lost, and nothing is
 * applied twice (a create answered 409, a delete answered 404, for ids only this load writes).
 */
import { randomInt } from 'node:crypto';
import { isbn10 } from '../../support/book-writes.js';

export type WriteMethod = 'POST' | 'PUT' | 'DELETE';

export interface WriteExchange {
  method: WriteMethod;
  id: number;
  /** Date.now() when sent and when answered (or failed). */
  sentAt: number;
  endedAt: number;
  /** The answer's status, or undefined when the request failed without one. */
  status?: number;
  retryAfter?: string;
  body: string;
  /** A failure without an answer (reset, timeout). */
  failure?: string;
}

/** Longer than the gateway takes on a write at the most (its retry budget, a connect, a read): longer is a hang. */
const requestTimeoutMs = 20_000;

const titles = { created: (id: number) => `Created ${id}`, replaced: (id: number) => `Replaced ${id}` };

export class SteadyWrites {
  private running = true;
  private readonly exchanges: WriteExchange[] = [];
  private readonly workers: Promise<void>[];
  /** Ids far from any other test's and the seed books' (which start with 1), different on every run. */
  private next = randomInt(0, 10_000_000);

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
    workers = 3,
    private readonly pauseMs = 40,
  ) {
    this.workers = Array.from({ length: workers }, () => this.work());
  }

  /** Writes answered (or failed) so far. */
  get count(): number {
    return this.exchanges.length;
  }

  /** Stops writing, waits for the writes in flight, and answers every one. */
  async stop(): Promise<WriteExchange[]> {
    this.running = false;
    await Promise.all(this.workers);
    return this.exchanges;
  }

  private async work(): Promise<void> {
    while (this.running) {
      const id = isbn10(this.next++, 200_000_000);
      const created = await this.send('POST', id, { id, title: titles.created(id) });
      if (created.status === 201) {
        const replaced = await this.send('PUT', id, { title: titles.replaced(id) });
        if (replaced.status === 200 && id % 2 === 0) await this.send('DELETE', id);
      }
      await new Promise((resolve) => setTimeout(resolve, this.pauseMs));
    }
  }

  private async send(method: WriteMethod, id: number, body?: unknown): Promise<WriteExchange> {
    const sentAt = Date.now();
    const path = method === 'POST' ? '/books' : `/books/${id}`;
    let exchange: WriteExchange;
    try {
      const response = await fetch(`${this.url}${path}`, {
        method,
        headers: { ...this.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      const text = await response.text();
      exchange = {
        method,
        id,
        sentAt,
        endedAt: Date.now(),
        status: response.status,
        retryAfter: response.headers.get('retry-after') ?? undefined,
        body: text,
      };
    } catch (error) {
      exchange = {
        method,
        id,
        sentAt,
        endedAt: Date.now(),
        body: '',
        failure: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      };
    }
    this.exchanges.push(exchange);
    return exchange;
  }
}

/** Whether an exchange succeeded: the status each write answers when it is applied. */
export function succeeded(exchange: WriteExchange): boolean {
  return exchange.status === { POST: 201, PUT: 200, DELETE: 204 }[exchange.method];
}

/** A JSON error of the gateway or the API, with its status. */
export function isJsonError(exchange: WriteExchange, statuses: number[]): boolean {
  if (exchange.status === undefined || !statuses.includes(exchange.status)) return false;
  try {
    return typeof (JSON.parse(exchange.body) as { error?: unknown }).error === 'string';
  } catch {
    return false;
  }
}

/** Every book the API holds, id to title, through the gateway's pages. */
export async function storedBooks(url: string): Promise<Map<number, string>> {
  const books = new Map<number, string>();
  for (let path: string | undefined = '/books?limit=200'; path !== undefined;) {
    const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    for (const book of (await response.json()) as { id: number; title: string }[]) books.set(book.id, book.title);
    path = /^<([^>]+)>; rel="next"$/.exec(response.headers.get('link') ?? '')?.[1];
  }
  return books;
}

/**
 * What the API holds that contradicts what it acknowledged: a write acknowledged and lost, or one
 * applied twice. A write that failed may or may not have been applied, once.
 */
export function contradictions(exchanges: readonly WriteExchange[], stored: ReadonlyMap<number, string>): string[] {
  const problems: string[] = [];
  const byId = new Map<number, WriteExchange[]>();
  for (const exchange of exchanges) byId.set(exchange.id, [...(byId.get(exchange.id) ?? []), exchange]);
  for (const [id, writes] of byId) {
    const [create, replace, remove] = (['POST', 'PUT', 'DELETE'] as const).map((method) => writes.find((write) => write.method === method));
    if (create?.status === 409) problems.push(`${id}: created twice (409 to the only create)`);
    if (replace?.status === 404 || remove?.status === 404)
      problems.push(`${id}: a write of an existing book answered 404 (lost, or deleted twice)`);
    const title = stored.get(id);
    if (remove && succeeded(remove)) {
      if (title !== undefined) problems.push(`${id}: deleted (204) but still there`);
    } else if (replace && succeeded(replace)) {
      if (title !== titles.replaced(id) && !(remove && title === undefined))
        problems.push(`${id}: replaced (200) but holds ${String(title)}`);
    } else if (create && succeeded(create)) {
      const allowed = [titles.created(id), ...(replace ? [titles.replaced(id)] : [])];
      if (title === undefined ? !remove : !allowed.includes(title)) problems.push(`${id}: created (201) but holds ${String(title)}`);
    }
  }
  return problems;
}
