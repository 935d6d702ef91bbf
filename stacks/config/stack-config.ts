import * as pulumi from '@pulumi/pulumi';
import { assertPort } from '../../components/validation.js';

/*
 * Reading stack config with messages that name the key and the command that fixes it. Every
 * stacks/ module reads all of its config through these before it registers a resource; the
 * readers also take another SettingSource, so that `npm run local` reads the gateway's keys from
 * its environment with the same checks and messages naming its variables.
 * Pulumi.yaml declares a default for most keys, but the CLI only applies those defaults when it
 * runs the program: under test mocks (and for keys declared with an empty default) an unset key
 * reads as undefined or "", so both mean "not set" here.
 */

/** `books-gateway:imageRegistry`, `aws:region`: the key as `pulumi config` shows it. */
export function fullKey(config: pulumi.Config, key: string): string {
  return `${config.name}:${key}`;
}

/**
 * Somewhere other than a stack that the same keys are read from, with the same checks: `npm run
 * local` reads the gateway's keys from environment variables.
 */
export interface SettingSource {
  /** The text set for the key, undefined when unset. */
  get(key: string): string | undefined;
  /** The key as the user sets it there, for messages (`GATEWAY_RATE_LIMIT_PER_SECOND`). */
  nameOf(key: string): string;
  /** How a secret should be set there, for messages (`set with --secret`); none when it needs no care. */
  secretAdvice?: string;
}

/** What the readers below read from: a stack's config, or another SettingSource. */
export type Settings = pulumi.Config | SettingSource;

/** The settings as a SettingSource; a stack's keys are named as `pulumi config` shows them. */
export function settingSource(settings: Settings): SettingSource {
  if ('nameOf' in settings) return settings;
  return { get: (key) => settings.get(key), nameOf: (key) => fullKey(settings, key), secretAdvice: 'set with --secret' };
}

/** The `pulumi config set` command for a key; project keys need no namespace prefix. */
export function setCommand(config: pulumi.Config, key: string, example: string, secret = false): string {
  const name = config.name === pulumi.getProject() ? key : fullKey(config, key);
  return `pulumi config set ${secret ? '--secret ' : ''}${name} ${example}`;
}

/** The key's value, or undefined when it is unset or blank. */
export function optionalString(settings: Settings, key: string): string | undefined {
  const value = settingSource(settings).get(key)?.trim();
  return value ? value : undefined;
}

/**
 * The key's value; fails naming the key, what it is for, and how to set it (with `--secret` for
 * a credential, which the caller wraps in `pulumi.secret`).
 */
export function requiredString(
  config: pulumi.Config,
  key: string,
  purpose: string,
  example: string,
  secret = false,
): string {
  const value = optionalString(config, key);
  if (value === undefined) {
    throw new pulumi.RunError(
      `Missing config ${fullKey(config, key)} (${purpose}). Set it with: ${setCommand(config, key, example, secret)}`,
    );
  }
  return value;
}

/** Parses a whole number from config text; `value` is what `pulumi config set` stored. */
function parseWholeNumber(settings: Settings, key: string, value: string, expected: string): number {
  // Number('') is 0 and Number(' 2 ') is 2; only plain digits are a whole number someone meant.
  if (!/^-?\d+$/.test(value)) {
    throw new pulumi.RunError(`${settingSource(settings).nameOf(key)} must be ${expected}, got "${value}"`);
  }
  return Number(value);
}

/** A count (replicas, nodes): a whole number of at least 1, `fallback` when unset. */
export function readCount(settings: Settings, key: string, fallback: number): number {
  return readWholeNumber(settings, key, fallback, 1);
}

/** A whole number of at least `min` (a burst may be 0) and at most `max`, `fallback` when unset. */
export function readWholeNumber(settings: Settings, key: string, fallback: number, min: number, max?: number): number {
  const value = optionalString(settings, key);
  if (value === undefined) return fallback;
  const expected = max === undefined ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`;
  const number = parseWholeNumber(settings, key, value, expected);
  if (number < min || (max !== undefined && number > max)) {
    throw new pulumi.RunError(`${settingSource(settings).nameOf(key)} must be ${expected}, got ${number}`);
  }
  return number;
}

/** `true` or `false`, `fallback` when unset. */
export function readBoolean(settings: Settings, key: string, fallback: boolean): boolean {
  const value = optionalString(settings, key);
  if (value === undefined) return fallback;
  if (value !== 'true' && value !== 'false') {
    throw new pulumi.RunError(`${settingSource(settings).nameOf(key)} must be true or false, got "${value}"`);
  }
  return value === 'true';
}

/** A comma-separated list (`RS256,ES256`), blanks dropped; undefined when unset. */
export function readList(settings: Settings, key: string): string[] | undefined {
  const value = optionalString(settings, key);
  return value?.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

/**
 * A secret key's plaintext, exactly as set (a key or a shared secret is not trimmed), undefined
 * when unset or blank. Read synchronously, unlike `config.getSecret`, so that it can be validated
 * before the first resource is registered; the caller must hand it to resources only inside
 * `pulumi.secret` and never put it into a message.
 */
export function optionalSecret(settings: Settings, key: string): string | undefined {
  const value = settingSource(settings).get(key);
  return value?.trim() ? value : undefined;
}

/** A TCP port, undefined when unset (the caller's default then applies). */
export function readPort(settings: Settings, key: string): number | undefined {
  const value = optionalString(settings, key);
  if (value === undefined) return undefined;
  return assertPort(settingSource(settings).nameOf(key), parseWholeNumber(settings, key, value, 'a port number from 1 to 65535'));
}

/**
 * The text as a JSON object (not an array, not null), undefined when it is anything else. JSON's
 * own message would quote the text, which may be a secret: callers say what they expected.
 */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
}
