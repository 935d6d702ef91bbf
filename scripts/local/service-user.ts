import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LocalRunError } from './local-run-error.js';

/*
 * A system account of its own for a component of the local run that starts as root and then
 * drops its privileges (nginx's workers; a local PostgreSQL later). Shared accounts such as
 * `nobody` are what every such daemon falls back to, so files readable by `nobody` are readable
 * by all of them: a component's secrets must belong to an account no other process runs as.
 */

/** A system account: its name, and the numeric ids files are given to. */
export interface ServiceUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

const execFileAsync = promisify(execFile);

/** What useradd accepts portably: lower case, at most 32 characters. */
const accountName = /^[a-z_][a-z0-9_-]{0,31}$/;

/**
 * Held while an account is looked up and created: useradd is not safe against itself here (two
 * at once both succeeded, the second replacing the first's entry with another uid), and two
 * runs starting together would then give the secrets to a uid the account no longer has.
 */
const creationLock = '/run/books-gateway-accounts.lock';

/** The account's passwd entry through NSS (files, LDAP, ...), or undefined when it has none. */
async function lookUp(name: string): Promise<ServiceUser | undefined> {
  try {
    const { stdout } = await execFileAsync('getent', ['passwd', name], { encoding: 'utf8' });
    const [, , uid, gid] = stdout.trim().split(':');
    return { name, uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

/**
 * The system account `name`, created on first use (as root): a group of its own, no home, no
 * login shell, so nothing can log in as it. It is kept afterwards for the next run, as a
 * package's system user is; `userdel NAME` removes it.
 */
export async function ensureServiceUser(name: string, purpose: string): Promise<ServiceUser> {
  if (!accountName.test(name)) throw new Error(`'${name}' is not a valid account name`);
  // The comment is a field of /etc/passwd, whose fields ':' and lines separate.
  if (/[:\n]/.test(purpose)) throw new Error(`the purpose of ${name} must hold no ':' or line break`);
  const existing = await lookUp(name);
  if (existing) return existing;
  const useradd = [
    'useradd',
    '--system',
    '--user-group',
    '--no-create-home',
    '--home-dir',
    '/nonexistent',
    '--shell',
    '/usr/sbin/nologin',
    '--comment',
    purpose,
  ];
  try {
    // Under the lock, created only if still missing: another run may have made it meanwhile.
    await execFileAsync('flock', [
      creationLock,
      'sh',
      '-c',
      'getent passwd "$1" >/dev/null || { shift; exec "$@"; }',
      'sh',
      name,
      ...useradd,
      name,
    ]);
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new LocalRunError(
      `could not create the system user ${name} (${(stderr || message).trim()}); useradd, from Debian's passwd package, needs root`,
    );
  }
  const created = await lookUp(name);
  if (!created) throw new LocalRunError(`the system user ${name} was created but getent does not find it`);
  return created;
}
