/** What the process entry reads from its environment. */
export interface ServerConfig {
  /** `PORT`, default 5000 (the port the tutorial's books service used). */
  port: number;
  /** `HOST`, default `0.0.0.0` (reachable on the pod IP). */
  host: string;
  /** `LOG_LEVEL`, default `info`. */
  logLevel: string;
  /**
   * `SHUTDOWN_TIMEOUT_MS`, default 10 000: how long requests in flight may take to finish after
   * SIGTERM before their connections are dropped; well inside Kubernetes' 30 s grace period.
   */
  shutdownTimeoutMs: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function readInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/** Reads and validates the configuration; throws an Error naming the bad variable. */
export function readConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const logLevel = env['LOG_LEVEL'] || 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  return {
    port: readInteger(env, 'PORT', 5000, 0, 65535),
    host: env['HOST'] || '0.0.0.0',
    logLevel,
    shutdownTimeoutMs: readInteger(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 1, 600_000),
  };
}
