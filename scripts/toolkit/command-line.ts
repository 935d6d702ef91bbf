import { parseArgs } from 'node:util';

/** The flags a command takes (besides `--help`), each a boolean or a string option, which may repeat. */
export type Flags = Record<string, { type: 'boolean' | 'string'; multiple?: boolean }>;

/**
 * What was given: `true` for a boolean flag, the text for a string option (every one, for one that
 * repeats), undefined when absent.
 */
export type FlagValues = Partial<Record<string, string | boolean | string[]>>;

/**
 * Parses a command's arguments. `--help` (`-h`) prints the usage on stdout and exits 0; an
 * unknown or malformed argument prints the problem and the usage on stderr and exits 2, before
 * the command does anything.
 */
export function parseCommandLine(argv: string[], flags: Flags, usage: string): FlagValues {
  let values: FlagValues;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { ...flags, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }) as { values: FlagValues });
  } catch (error) {
    refuseOption((error as Error).message, usage);
  }
  if (values['help'] === true) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return values;
}

/** Refuses a value of an option as an unknown option is refused: the problem and the usage on stderr, exit 2. */
export function refuseOption(problem: string, usage: string): never {
  process.stderr.write(`${problem}\n\n${usage}\n`);
  process.exit(2);
}
