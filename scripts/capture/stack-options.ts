/**
 * The options `npm run render` and `npm run rehearse` share: which stack's config (`--stack`,
 * default dev), `--config key=value` overrides, and `--secret-file key=FILE` for a secret, whose
 * value a command line would show to every user of the machine (`ps`, and npm echoes it).
 */
import { readFileSync } from 'node:fs';
import type { FlagValues, Flags } from '../toolkit/command-line.js';
import { UserError } from '../toolkit/user-error.js';
import { readStackConfig, type StackConfig } from './stack-config.js';

export const stackFlags: Flags = {
  stack: { type: 'string' },
  config: { type: 'string', multiple: true },
  'secret-file': { type: 'string', multiple: true },
};

export const stackUsage = [
  '  --stack NAME             the stack whose Pulumi.NAME.yaml is read (default dev)',
  "  --config key=value       a config value over the stack file's, repeatable",
  '  --secret-file key=FILE   a secret config value read from FILE (one trailing newline dropped),',
  '                           repeatable: nothing secret on the command line, which any user reads',
];

/** `key=FILE` → `key=<the file's text>`, the key marked secret. */
function secretFromFile(option: string): { override: string; key: string } {
  const equals = option.indexOf('=');
  if (equals <= 0) throw new UserError(`--secret-file ${option}: expected key=FILE`);
  const key = option.slice(0, equals);
  const file = option.slice(equals + 1);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(
      `--secret-file ${key}=${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  return { override: `${key}=${text.replace(/\r?\n$/, '')}`, key };
}

/** The stack config the options name: the stack file, then --config, then --secret-file values. */
export function stackConfigFrom(root: string, flags: FlagValues, extraOverrides: string[] = []): StackConfig {
  const secrets = ((flags['secret-file'] as string[] | undefined) ?? []).map(secretFromFile);
  const overrides = [...((flags['config'] as string[] | undefined) ?? []), ...extraOverrides, ...secrets.map((secret) => secret.override)];
  return readStackConfig(
    root,
    (flags['stack'] as string | undefined) ?? 'dev',
    overrides,
    secrets.map((secret) => secret.key),
  );
}
