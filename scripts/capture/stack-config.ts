/**
 * A stack's config as `pulumi up` would give it to the program, read without the Pulumi CLI:
 * the defaults Pulumi.yaml declares, then the stack's own Pulumi.<stack>.yaml, then `--config`
 * overrides. The CLI decrypts `secure:` values with the stack's key; without it they cannot be
 * read, so such a key must come from `--config` instead.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { projectName } from './program-run.js';
import { UserError } from '../toolkit/user-error.js';

export interface StackConfig {
  stack: string;
  /** Fully qualified keys (`books-gateway:target`, `aws:region`) to their text. */
  values: Record<string, string>;
  /** Keys the stack file holds encrypted, given in plain text by `--config`: secrets to the program. */
  secretKeys: string[];
}

/** A config error the user fixes on the command line: the rehearse and render commands print it alone. */
export class StackConfigError extends UserError {}

type YamlBag = Record<string, unknown>;

function readYaml(file: string): YamlBag {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new StackConfigError(`${path.basename(file)} not found in ${path.dirname(file)}`);
  }
  const parsed: unknown = parse(text);
  return parsed !== null && typeof parsed === 'object' ? (parsed as YamlBag) : {};
}

function qualify(key: string): string {
  return key.includes(':') ? key : `${projectName}:${key}`;
}

function isBag(value: unknown): value is YamlBag {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A config value as the program reads it: text; structured values as JSON, as the CLI passes them. */
function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `key=value` (the value may contain `=`); the key is qualified with the project name when it has no namespace. */
export function parseOverride(option: string): [string, string] {
  const equals = option.indexOf('=');
  if (equals <= 0) throw new StackConfigError(`--config ${option}: expected key=value`);
  return [qualify(option.slice(0, equals)), option.slice(equals + 1)];
}

/** The number of single-character edits that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}

/**
 * Refuses a key of the project's namespace that Pulumi.yaml does not declare, as the Pulumi CLI
 * does: a misspelled key would otherwise be ignored, and its default used without a word.
 */
function assertDeclared(key: string, declared: readonly string[], where: string): void {
  if (!key.startsWith(`${projectName}:`) || declared.includes(key)) return;
  const nearest = [...declared].sort((a, b) => editDistance(key, a) - editDistance(key, b))[0];
  throw new StackConfigError(
    `${key} (${where}) is not a config key of ${projectName}: Pulumi.yaml declares none such${nearest ? `; did you mean ${nearest}?` : ''}`,
  );
}

/**
 * The stack's config: Pulumi.yaml's defaults, the stack file, then `overrides` (`key=value`);
 * `secretOverrides` names overrides that are secrets.
 */
export function readStackConfig(
  root: string,
  stack: string,
  overrides: readonly string[],
  secretOverrides: readonly string[] = [],
): StackConfig {
  const values: Record<string, string> = {};
  const project = readYaml(path.join(root, 'Pulumi.yaml'));
  const declarations = Object.entries(isBag(project.config) ? project.config : {});
  for (const [key, declaration] of declarations) {
    if (isBag(declaration) && declaration.default !== undefined) values[qualify(key)] = asText(declaration.default);
  }
  const declared = declarations.map(([key]) => qualify(key));
  const given = new Map(overrides.map(parseOverride));
  for (const key of given.keys()) assertDeclared(key, declared, 'given on the command line');
  const encrypted: string[] = [];
  const stackFile = readYaml(path.join(root, `Pulumi.${stack}.yaml`));
  for (const [key, value] of Object.entries(isBag(stackFile.config) ? stackFile.config : {})) {
    assertDeclared(qualify(key), declared, `in Pulumi.${stack}.yaml`);
    if (isBag(value) && typeof value.secure === 'string') {
      encrypted.push(qualify(key));
      if (!given.has(qualify(key))) {
        throw new StackConfigError(
          `${qualify(key)} is encrypted in Pulumi.${stack}.yaml and cannot be read without the Pulumi CLI: pass it with --secret-file ${qualify(key)}=FILE`,
        );
      }
      continue;
    }
    values[qualify(key)] = asText(value);
  }
  for (const [key, value] of given) values[key] = value;
  return { stack, values, secretKeys: [...new Set([...encrypted, ...secretOverrides.map(qualify)])] };
}
