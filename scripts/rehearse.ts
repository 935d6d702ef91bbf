/** npm run rehearse: the stack's objects as containers on the local Docker engine (rehearse/command.ts). */
import { runMain } from './capture/command-line.js';
import { rehearseMain } from './rehearse/command.js';
import { prepareImages } from './rehearse/images/index.js';

// Every failure a user can fix is one line (a config error, a missing engine, a taken port, a
// failed build with the build's own output after it); a bug in the rehearsal shows its stack.
const isBug = (error: unknown) => error instanceof TypeError || error instanceof ReferenceError || error instanceof SyntaxError;
runMain(() => rehearseMain(process.argv.slice(2), prepareImages), (error) => !isBug(error));
