/** npm run rehearse: the stack deployed by the real pulumi up to this machine's cluster (rehearse/command.ts). */
import { rehearseMain } from './rehearse/command.js';
import { failureMessage } from './toolkit/user-error.js';

rehearseMain(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`npm run rehearse: ${failureMessage(error)}\n`);
  process.exit(1);
});
