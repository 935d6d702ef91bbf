/**
 * Reads the gateway's JSON access log as it grows: which backend served what, from the
 * gateway's own point of view (a restarted process counts as back once the gateway uses it).
 */
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

interface LogEntry {
  status: number;
  upstreamAddr: string;
}

export class AccessLogTail {
  private offset = 0;
  private partial = '';

  constructor(private readonly file: string) {}

  /** Skips what the log holds now: later reads see only new lines. */
  async skipToEnd(): Promise<void> {
    await this.read();
  }

  /** Lines written since the last read. */
  async read(): Promise<LogEntry[]> {
    const handle = await open(this.file, 'r');
    try {
      const { size } = await handle.stat();
      const buffer = Buffer.alloc(size - this.offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
      this.offset += bytesRead;
      const lines = (this.partial + buffer.subarray(0, bytesRead).toString('utf8')).split('\n');
      this.partial = lines.pop() ?? '';
      return lines.filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as LogEntry);
    } finally {
      await handle.close();
    }
  }

  /**
   * Waits until the gateway has answered 200 through each of `addresses` (`host:port`), each
   * being the backend that finally served a request (after any retries); fails after `timeoutMs`.
   */
  async waitForBackendsServing(addresses: readonly string[], timeoutMs: number): Promise<void> {
    const waiting = new Set(addresses);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const entry of await this.read()) {
        if (entry.status === 200) waiting.delete(entry.upstreamAddr.split(', ').at(-1) ?? '');
      }
      if (waiting.size === 0) return;
      if (Date.now() > deadline)
        throw new Error(`the gateway did not serve through ${[...waiting].join(' and ')} within ${timeoutMs / 1000} s`);
      await sleep(50);
    }
  }
}
