/** npm run cluster: a real single-node Kubernetes on this machine (cluster/command.ts). */
import { failureMessage } from './toolkit/user-error.js';
import { clusterMain } from './cluster/command.js';

clusterMain(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`npm run cluster: ${failureMessage(error)}\n`);
  process.exit(1);
});
