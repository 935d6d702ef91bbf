import { execFile } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { chmod, chown, mkdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from '../toolkit/eventually.js';
import { LocalRunError } from './local-run-error.js';
import { ManagedProcess, type OutputListener, type ProcessGuard, type UnexpectedExitListener } from '../toolkit/managed-process.js';
import { ensureServiceUser, type ServiceUser } from './service-user.js';

/*
 * A PostgreSQL of the local run (and of the tests that need a real one): Debian's server,
 * initialised in a folder of the run, reachable only through a Unix socket in that folder, which
 * nobody else may enter, and stopped and removed with it. As the cluster's does, it holds one
 * database, `books`, owned by the role the API logs in as, `books`.
 */

const execFileAsync = promisify(execFile);

const installHint = 'install it with: sudo apt-get update && sudo apt-get install -y postgresql (or run scripts/system-deps.sh as root)';

/** The role the API logs in as, and the database it uses. */
export const booksRole = 'books';
export const booksDatabase = 'books';

/** The port only names the socket file (`.s.PGSQL.5432`): nothing listens on TCP. */
const socketPort = 5432;

/**
 * The folder of the server's programs: Debian installs them in /usr/lib/postgresql/<major>/bin
 * (the newest major if several), outside every PATH; elsewhere `postgres` on the PATH.
 */
export function locatePostgres(): string {
  const root = '/usr/lib/postgresql';
  let majors: string[] = [];
  try {
    majors = readdirSync(root)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    // not Debian's layout; try the PATH
  }
  const folders = [...majors.map((major) => join(root, major, 'bin')), ...(process.env.PATH ?? '').split(delimiter).filter(Boolean)];
  for (const folder of folders) {
    try {
      for (const program of ['postgres', 'initdb', 'pg_isready', 'createdb']) accessSync(join(folder, program), constants.X_OK);
      return folder;
    } catch {
      // not all of them here; try the next folder
    }
  }
  throw new LocalRunError(
    `PostgreSQL is not installed (no postgres, initdb, pg_isready and createdb in /usr/lib/postgresql/*/bin or on PATH); ${installHint}`,
  );
}

export interface LocalPostgres {
  /** The server, not yet started. */
  readonly process: ManagedProcess;
  /** The folder holding its socket. */
  readonly socketDir: string;
  /** The URL the API reaches `database` at, through the socket. */
  url(database?: string): string;
  /** Starts the server (again, after a stop, on the same data) and resolves once it accepts connections. */
  start(): Promise<void>;
  /** Creates an empty database owned by `books`: `books` itself, or a test's own. */
  createDatabase(name: string): Promise<void>;
}

export interface LocalPostgresOptions {
  /** A new folder for the data and the socket; it is made here. */
  folder: string;
  /**
   * The account the server runs as when we are root (PostgreSQL refuses to run as root); it
   * alone may enter the folder. Undefined: ours.
   */
  user?: ServiceUser;
  onOutput: OutputListener;
  onUnexpectedExit: UnexpectedExitListener;
  guard?: ProcessGuard;
}

/** A folder only the server's account may enter (root may, as any). */
async function privateFolder(path: string, user: ServiceUser | undefined): Promise<void> {
  await mkdir(path, { mode: 0o700 });
  if (user) await chown(path, user.uid, user.gid);
  await chmod(path, 0o700);
}

/** Runs one of PostgreSQL's programs as the server's account; throws with its own words. */
async function runAs(user: ServiceUser | undefined, program: string, args: string[]): Promise<void> {
  try {
    await execFileAsync(program, args, { uid: user?.uid, gid: user?.gid, env: { ...process.env, LC_ALL: 'C' } });
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new LocalRunError(`${program.split('/').pop()} failed: ${(stderr || message).trim().split('\n').join(' | ')}`);
  }
}

/**
 * Initialises a PostgreSQL in `folder` (initdb: the role `books` as its superuser, trusted on the
 * socket alone, whose folder nobody else may enter) and returns the server, not yet started.
 */
export async function prepareLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const bin = locatePostgres();
  const { folder, user } = options;
  const dataDir = join(folder, 'data');
  const socketDir = join(folder, 'socket');
  await privateFolder(folder, user);
  await privateFolder(socketDir, user);
  await runAs(user, join(bin, 'initdb'), [
    `--pgdata=${dataDir}`,
    `--username=${booksRole}`,
    '--auth-local=trust',
    '--auth-host=reject',
    '--encoding=UTF8',
    '--no-locale',
    '--no-instructions',
  ]);
  const server = new ManagedProcess(
    {
      name: 'postgres',
      command: join(bin, 'postgres'),
      // No TCP at all: the socket, in a folder only the server's account (and root) may enter.
      args: [
        '-D',
        dataDir,
        '-c',
        'listen_addresses=',
        '-c',
        `unix_socket_directories=${socketDir}`,
        '-c',
        'unix_socket_permissions=0700',
        '-p',
        String(socketPort),
      ],
      user,
    },
    options.onOutput,
    options.onUnexpectedExit,
    options.guard,
  );
  const socketArgs = ['--host', socketDir, '--port', String(socketPort), '--username', booksRole];
  return {
    process: server,
    socketDir,
    url: (database = booksDatabase) =>
      `postgresql://${booksRole}@localhost/${database}?host=${encodeURIComponent(socketDir)}&port=${socketPort}`,
    async start() {
      server.start();
      await waitUntilAccepting(bin, socketArgs, server);
    },
    createDatabase: (name) => runAs(user, join(bin, 'createdb'), [...socketArgs, '--owner', booksRole, name]),
  };
}

/** Resolves once the server accepts connections; fails with its last words if it ends first. */
async function waitUntilAccepting(bin: string, socketArgs: string[], server: ManagedProcess, timeoutMs = 20_000): Promise<void> {
  await eventually(
    'PostgreSQL accepts connections',
    async () => {
      if (!server.running) throw new LocalRunError(`PostgreSQL ended while starting: ${server.recentOutput()}`);
      return execFileAsync(join(bin, 'pg_isready'), [...socketArgs, '--quiet']).then(
        () => true,
        () => false,
      );
    },
    timeoutMs,
    50,
    () => new LocalRunError(`PostgreSQL did not accept connections within ${timeoutMs / 1000} s: ${server.recentOutput()}`),
  );
}

/** The account the local PostgreSQL runs as when started by root. */
const postgresAccount = 'books-gateway-postgres';

/** The account to run PostgreSQL as: one of its own when we are root (it refuses root), else ours. */
export async function postgresUser(): Promise<ServiceUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  return ensureServiceUser(postgresAccount, 'books-gateway npm run local, PostgreSQL');
}
