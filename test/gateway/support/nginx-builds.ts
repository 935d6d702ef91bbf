import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dockerCli } from '../../../scripts/toolkit/docker.js';

/**
 * The nginx builds the gateway's configuration runs on here: Debian 12's nginx 1.22 with njs
 * 0.7.9 (`npm run local`), and the stand-in of the gateway image's nginx (Debian sid's, 1.30 with
 * njs 1.0.2) in a container with the pod's restrictions (the toolkit's containerNginx), as
 * test/metrics/fold.test.ts runs it.
 */
export const nginxBuilds = ['debian', 'stand-in'] as const;
export type NginxBuild = (typeof nginxBuilds)[number];

export const nginxBuildNames: Readonly<Record<NginxBuild, string>> = {
  debian: "Debian 12's nginx (npm run local)",
  'stand-in': "the stand-in of the gateway image's nginx",
};

const execFileAsync = promisify(execFile);

/** A file of the running container, byte for byte (`docker logs` would re-encode what is not UTF-8). */
export async function readStandInFile(name: string, path: string): Promise<Buffer> {
  const { stdout } = await execFileAsync(dockerCli, ['exec', name, 'cat', path], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}
