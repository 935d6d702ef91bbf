/**
 * The options `npm run render` and `npm run rehearse` share: which stack's config (`--stack`,
 * default dev), and `--config key=value` overrides, repeatable, secrets included.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readStackConfig, StackConfigError, type StackConfig } from './stack-config.js';

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

const stackOptions = {
  stack: { type: 'string', default: 'dev' },
  config: { type: 'string', multiple: true, default: [] },
} as const satisfies OptionSpecs;

/** Parses the arguments: the stack options plus the command's own (boolean flags and strings). */
export function parseCommandLine<Extra extends OptionSpecs>(args: readonly string[], extra: Extra) {
  try {
    return parseArgs({ args: [...args], options: { ...stackOptions, ...extra }, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new StackConfigError((error as Error).message);
  }
}

export function stackConfigFrom(root: string, values: { stack?: string; config?: string[] }): StackConfig {
  return readStackConfig(root, values.stack ?? 'dev', values.config ?? []);
}

/**
 * Runs a command's main: an expected failure (bad option, config error, missing engine) prints
 * its one line and exits 1; anything else prints its stack, as a bug.
 */
export function runMain(main: () => Promise<void>, expected: (error: unknown) => boolean): void {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(expected(error) ? message : error instanceof Error ? (error.stack ?? message) : message);
    process.exitCode = 1;
  });
}
