import type { Pool } from 'pg';
import { migrate, type MigrationLog } from './migrations';

/**
 * The schema's state for this process: the API serves books only once its migrations have run.
 * Until then the readiness probe says so (a rollout waits for it; a new replica takes no
 * traffic), and a request that arrives anyway gets a 503.
 */
export class DatabaseSetup {
  private migrated = false;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(private readonly pool: Pool) {}

  get ready(): boolean {
    return this.migrated;
  }

  /**
   * Runs the migrations, and again after a pause while the database cannot be reached (a
   * database starting beside the API, a restart): from 0.5 s up to 5 s between tries, until it
   * succeeds or `stop` is called. A process started before its database serves as soon as the
   * database does, without a restart of its own.
   */
  async run(log: MigrationLog): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await migrate(this.pool, log);
        this.migrated = true;
        log.info('the database schema is up to date');
        return;
      } catch (error) {
        const pauseMs = Math.min(5000, 500 * 2 ** attempt);
        log.warn(`the database schema could not be brought up to date (${(error as Error).message}); trying again in ${pauseMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pauseMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  /** Ends the retries (the process is shutting down). */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }
}
