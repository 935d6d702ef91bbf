/**
 * `npm test`'s check of its arguments, before any set-up: mocha runs with an option it does not
 * know as if it were absent, so `npm test -- --grepp rate` would run every suite for half an hour
 * instead of one. An option that neither mocha (its own metadata: names, aliases, `--no-` forms)
 * nor Node (the flags mocha passes on to it) knows exits 2 with the usage; anything else, files
 * and option values, goes to mocha as given.
 */
import { isMochaFlag } from 'mocha/lib/cli/run-option-metadata.cjs';
import { isNodeFlag } from 'mocha/lib/cli/node-flags.cjs';

const usage = 'Usage: npm test [-- mocha options and files]; npm test -- --help lists the options';

/** Whether `argument` (`--name`, `--name=value`, `-x`) is an option mocha or Node takes. */
function isKnownOption(argument: string): boolean {
  const flag = argument.split('=')[0];
  const name = flag.replace(/^--?/, '');
  return isMochaFlag(name) || (name.startsWith('no-') && isMochaFlag(name.slice(3))) || isNodeFlag(flag, false);
}

const unknown = process.argv.slice(2).filter((argument) => /^--?[^-\d]/.test(argument) && !isKnownOption(argument));
if (unknown.length > 0) {
  process.stderr.write(`Unknown option ${unknown.map((option) => `'${option}'`).join(', ')}\n\n${usage}\n`);
  process.exit(2);
}
