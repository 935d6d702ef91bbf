import * as pulumi from '@pulumi/pulumi';
import { settingReaders, type SettingSource } from '../../apps/gateway/src/index.js';
import { asRunError } from '../../components/validation.js';

/*
 * Reading stack config with messages that name the key and the command that fixes it. Every
 * stacks/ module reads all of its config through these before it registers a resource. The rules
 * (and their wording) are the gateway settings' readers (apps/gateway/src/settings), which `npm
 * run local` also reads its GATEWAY_* variables with; here a mistake is a RunError.
 * Pulumi.yaml declares a default for most keys, but the CLI only applies those defaults when it
 * runs the program: under test mocks (and for keys declared with an empty default) an unset key
 * reads as undefined or "", so both mean "not set" here.
 */

export type { SettingSource };

/** `books-gateway:imageRegistry`, `aws:region`: the key as `pulumi config` shows it. */
export function fullKey(config: pulumi.Config, key: string): string {
  return `${config.name}:${key}`;
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
  return settingReaders.optionalString(settingSource(settings), key);
}

/**
 * The key's value; fails naming the key, what it is for, and how to set it (with `--secret` for
 * a credential, which the caller wraps in `pulumi.secret`).
 */
export function requiredString(config: pulumi.Config, key: string, purpose: string, example: string, secret = false): string {
  const value = optionalString(config, key);
  if (value === undefined) {
    throw new pulumi.RunError(
      `Missing config ${fullKey(config, key)} (${purpose}). Set it with: ${setCommand(config, key, example, secret)}`,
    );
  }
  return value;
}

/** A count (replicas, nodes): a whole number of at least 1, `fallback` when unset. */
export function readCount(settings: Settings, key: string, fallback: number): number {
  return readWholeNumber(settings, key, fallback, 1);
}

/** A whole number of at least `min` (a burst may be 0) and at most `max`, `fallback` when unset. */
export function readWholeNumber(settings: Settings, key: string, fallback: number, min: number, max?: number): number {
  return asRunError(() => settingReaders.readWholeNumber(settingSource(settings), key, fallback, min, max));
}

/** `true` or `false`, `fallback` when unset. */
export function readBoolean(settings: Settings, key: string, fallback: boolean): boolean {
  return asRunError(() => settingReaders.readBoolean(settingSource(settings), key, fallback));
}

/** A comma-separated list (`RS256,ES256`), blanks dropped; undefined when unset. */
export function readList(settings: Settings, key: string): string[] | undefined {
  return settingReaders.readList(settingSource(settings), key);
}

/**
 * A secret key's plaintext, exactly as set (a key or a shared secret is not trimmed), undefined
 * when unset or blank. Read synchronously, unlike `config.getSecret`, so that it can be validated
 * before the first resource is registered; the caller must hand it to resources only inside
 * `pulumi.secret` and never put it into a message.
 */
export function optionalSecret(settings: Settings, key: string): string | undefined {
  return settingReaders.optionalSecret(settingSource(settings), key);
}

/** A TCP port, undefined when unset (the caller's default then applies). */
export function readPort(settings: Settings, key: string): number | undefined {
  return asRunError(() => settingReaders.readPort(settingSource(settings), key));
}

/** The text as a JSON object, undefined when it is anything else (callers say what they expected, never quoting it). */
export const parseJsonObject = settingReaders.parseJsonObject;
