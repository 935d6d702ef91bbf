import { GatewaySettingsError } from './settings-error.js';

/*
 * Reading settings from text, with the one wording per rule: a stack's config and `npm run
 * local`'s GATEWAY_* variables are both text under a name the user knows, and both are read
 * through these. Pure: what is read comes from the SettingSource it is given.
 */

/** Where settings are read from: a stack's config, the local run's environment, a test's record. */
export interface SettingSource {
  /** The text set for the key, undefined when unset. */
  get(key: string): string | undefined;
  /** The key as the user sets it there, for messages (`books-gateway:rateLimitBurst`, `GATEWAY_RATE_LIMIT_BURST`). */
  nameOf(key: string): string;
  /** How a secret should be set there, for messages (`set with --secret`); none when it needs no care. */
  secretAdvice?: string;
}

/** Settings given as a record of key to text, named by their keys: the defaults (none), a test's. */
export function recordSource(values: Readonly<Record<string, string | undefined>>): SettingSource {
  return { get: (key) => values[key], nameOf: (key) => key };
}

/** The key's value, or undefined when it is unset or blank. */
export function optionalString(source: SettingSource, key: string): string | undefined {
  const value = source.get(key)?.trim();
  return value ? value : undefined;
}

/**
 * A secret's plaintext, exactly as set (a key or a shared secret is not trimmed), undefined when
 * unset or blank. The caller must never put it into a message.
 */
export function optionalSecret(source: SettingSource, key: string): string | undefined {
  const value = source.get(key);
  return value?.trim() ? value : undefined;
}

/** The wording of the whole-number rule: at least `min`, and at most `max` if there is one. */
function wholeNumberRule(min: number, max?: number): string {
  return max === undefined ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`;
}

/** The wording of the port rule. */
const portRule = 'a port number from 1 to 65535';

/** A whole number of at least `min` and at most `max`: a rate, a burst (which may be 0), a count. */
export function assertWholeNumber(name: string, value: number, min: number, max?: number): number {
  if (!Number.isInteger(value) || value < min || (max !== undefined && value > max)) {
    throw new GatewaySettingsError(name, `${name} must be ${wholeNumberRule(min, max)}, got ${String(value)}`);
  }
  return value;
}

/** A TCP port. */
export function assertPort(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new GatewaySettingsError(name, `${name} must be ${portRule}, got ${String(value)}`);
  }
  return value;
}

/** A whole number from text; only plain digits are one (Number('') is 0, Number(' 2 ') is 2). */
function parseWholeNumber(name: string, value: string, rule: string): number {
  if (!/^-?\d+$/.test(value)) throw new GatewaySettingsError(name, `${name} must be ${rule}, got "${value}"`);
  return Number(value);
}

/** A whole number of at least `min` (a burst may be 0) and at most `max`, `fallback` when unset. */
export function readWholeNumber(source: SettingSource, key: string, fallback: number, min: number, max?: number): number {
  const value = optionalString(source, key);
  if (value === undefined) return fallback;
  const name = source.nameOf(key);
  return assertWholeNumber(name, parseWholeNumber(name, value, wholeNumberRule(min, max)), min, max);
}

/** A TCP port, undefined when unset (the caller's default then applies). */
export function readPort(source: SettingSource, key: string): number | undefined {
  const value = optionalString(source, key);
  if (value === undefined) return undefined;
  const name = source.nameOf(key);
  return assertPort(name, parseWholeNumber(name, value, portRule));
}

/** `true` or `false`, `fallback` when unset. */
export function readBoolean(source: SettingSource, key: string, fallback: boolean): boolean {
  const value = optionalString(source, key);
  if (value === undefined) return fallback;
  if (value !== 'true' && value !== 'false') {
    throw new GatewaySettingsError(source.nameOf(key), `${source.nameOf(key)} must be true or false, got "${value}"`);
  }
  return value === 'true';
}

/** A comma-separated list (`RS256,ES256`), blanks dropped; undefined when unset. */
export function readList(source: SettingSource, key: string): string[] | undefined {
  const value = optionalString(source, key);
  return value
    ?.split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
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
