import * as pulumi from '@pulumi/pulumi';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Where `command` is found on a PATH, as the Kubernetes provider will look for a kubeconfig's
 * exec plugin (`aws`, `gke-gcloud-auth-plugin`); undefined when it is not there. Windows also
 * tries each of PATHEXT's extensions.
 */
export function findOnPath(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const extensions = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter((entry) => entry !== '')) {
    for (const extension of extensions) {
      const candidate = path.join(dir, `${command}${extension}`);
      try {
        if (!fs.statSync(candidate).isFile()) continue;
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      } catch {
        // Not there, or not executable: try the next one.
      }
    }
  }
  return undefined;
}

/**
 * On `pulumi up` (not on preview, which creates nothing), fails before the first resource when
 * the command a new cluster's kubeconfig runs is missing: otherwise the cluster is created, for
 * many minutes and dollars, and then every Kubernetes call fails. `env` is the environment the
 * Kubernetes provider will run the command in.
 */
export function requireCommandForUp(command: string, installHint: string, env: NodeJS.ProcessEnv = process.env): void {
  if (pulumi.runtime.isDryRun()) return;
  if (findOnPath(command, env) === undefined) {
    throw new pulumi.RunError(
      `${command} is not on the PATH, and the new cluster's kubeconfig runs it for every Kubernetes call. ${installHint}`,
    );
  }
}
