/**
 * Steady client traffic for the fault tests: a few workers, each sending keep-alive GETs one
 * after the other over a shared connection pool, every answer checked, until told to stop.
 */
import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Why an answer is wrong, or undefined when it is right. */
export type AnswerCheck = (answer: Answer) => string | undefined;

export interface SteadyLoadOptions {
  url: string;
  workers: number;
  check: AnswerCheck;
  /**
   * Resend a GET, once and on a new connection, when the server closed its connection before
   * any byte of an answer came back. On a reload nginx's old workers close their idle
   * keep-alive connections (a request may cross that close on the wire), and one may close a
   * connection it has just accepted. Browsers and HTTP libraries retry exactly this case
   * (RFC 9110 §9.2.2: GET is idempotent, and nothing was answered).
   */
  retryClosedBeforeAnswer: boolean;
  /** How long each worker waits between its requests: keeps the load under a rate limit. Default none. */
  pauseMs?: number;
}

export interface Exchange {
  /** When the request was sent, in ms on performance.now()'s clock. */
  sentAt: number;
  latencyMs: number;
  /** The answer, or the client-side error (connection refused, reset, timeout). */
  status?: number;
  failure?: string;
}

export interface LoadReport {
  exchanges: Exchange[];
  failures: Exchange[];
  /** Requests resent because their connection was closed before any answer. */
  retriedOnClosedConnection: number;
}

/** A request that took longer than this is a failure: the gateway must never hang a client. */
const requestTimeoutMs = 5000;

class ClosedBeforeAnswer extends Error {}

/** One GET; `agent: false` sends it on a connection of its own. */
function getOnce(url: string, agent: Agent | false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(url, { agent, timeout: requestTimeoutMs }, (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${requestTimeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      const closedBeforeAnswer = !answered && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
      reject(closedBeforeAnswer ? new ClosedBeforeAnswer(`${error.message} (${req.reusedSocket ? 'reused' : 'new'} connection)`) : error);
    });
    req.end();
  });
}

export class SteadyLoad {
  private readonly agent: Agent;
  private readonly exchanges: Exchange[] = [];
  private retried = 0;
  private running = true;
  private readonly workers: Promise<void>[];

  constructor(private readonly options: SteadyLoadOptions) {
    this.agent = new Agent({ keepAlive: true, maxSockets: options.workers });
    this.workers = Array.from({ length: options.workers }, () => this.work());
  }

  /** Requests answered (or failed) so far. */
  get count(): number {
    return this.exchanges.length;
  }

  /** The exchanges sent after `since` (performance.now() ms). */
  since(since: number): Exchange[] {
    return this.exchanges.filter((exchange) => exchange.sentAt >= since);
  }

  /** Stops sending, waits for the requests in flight and reports. */
  async stop(): Promise<LoadReport> {
    this.running = false;
    await Promise.all(this.workers);
    this.agent.destroy();
    return {
      exchanges: this.exchanges,
      failures: this.exchanges.filter((exchange) => exchange.failure !== undefined),
      retriedOnClosedConnection: this.retried,
    };
  }

  private async work(): Promise<void> {
    while (this.running) {
      this.exchanges.push(await this.exchange());
      if (this.options.pauseMs) await new Promise((resolve) => setTimeout(resolve, this.options.pauseMs));
    }
  }

  private async exchange(): Promise<Exchange> {
    const sentAt = performance.now();
    const done = (fields: Pick<Exchange, 'status' | 'failure'>): Exchange => ({ sentAt, latencyMs: performance.now() - sentAt, ...fields });
    try {
      const answer = await this.get();
      return done({ status: answer.status, failure: this.options.check(answer) });
    } catch (error) {
      return done({ failure: error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error) });
    }
  }

  private async get(): Promise<Answer> {
    try {
      return await getOnce(this.options.url, this.agent);
    } catch (error) {
      if (!(error instanceof ClosedBeforeAnswer) || !this.options.retryClosedBeforeAnswer) throw error;
      this.retried += 1;
      // On a new connection: the pool may hold more connections the same old worker is closing.
      return getOnce(this.options.url, false);
    }
  }
}
