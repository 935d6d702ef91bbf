/**
 * Hooks around the whole run (mocha's root hook plugin, .mocharc.json): the cluster the cluster
 * suites share, and the tests' PostgreSQL, are stopped, and everything they made removed, once
 * every suite has run.
 */
import { stopSharedCluster } from '../cluster/support/cluster-process.js';
import { stopTestPostgres } from './postgres.js';

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(180_000);
    await stopSharedCluster();
    await stopTestPostgres();
  },
};
