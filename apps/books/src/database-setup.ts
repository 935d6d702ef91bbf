import type { Pool } from 'pg';
import { migrate, type MigrationLog } from './migrations';

/** Brings the schema up to date at start, waiting for a database that cannot be reached yet. */
export class DatabaseSetup {
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(private readonly pool: Pool) {}

  /**
   * Runs the migrations, and again after a pause while the database cannot be reached (a
   * database starting beside the API, a restart): from 0.5 s up to 5 s between tries. Resolves
   * true once they have run, false when `stop` was called first. A process started before its
   * database serves as soon as the database does, without a restart of its own.
   */
  async run(log: MigrationLog): Promise<boolean> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await migrate(this.pool, log);
        log.info('the database schema is up to date');
        return true;
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
    return false;
  }

  /** Ends the retries (the process is shutting down). */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }
}
