import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunLayout } from './layout.js';

/*
 * How the docker-build provider finds the cluster's BuildKit daemon: buildx's own store, in a
 * DOCKER_CONFIG folder of the run (never the user's ~/.docker), holding one builder of the remote
 * driver at the daemon's socket, made the current builder for every Docker context. The provider
 * builds with buildx's current builder when it is one of the drivers it supports; without one it
 * would create a docker-container builder, which pulls moby/buildkit from Docker Hub.
 */

export const builderName = 'books-gateway';

export function writeBuilderConfig(layout: RunLayout): void {
  const buildx = path.join(layout.dockerConfig, 'buildx');
  fs.mkdirSync(path.join(buildx, 'instances'), { recursive: true, mode: 0o700 });
  const builder = {
    Name: builderName,
    Driver: 'remote',
    Nodes: [
      { Name: `${builderName}0`, Endpoint: `unix://${layout.buildkitSocket}`, Platforms: null, DriverOpts: {}, Flags: null, Files: null },
    ],
    Dynamic: false,
  };
  fs.writeFileSync(path.join(buildx, 'instances', builderName), JSON.stringify(builder), { mode: 0o600 });
  fs.writeFileSync(path.join(buildx, 'current'), JSON.stringify({ Key: '', Name: builderName, Global: true }), { mode: 0o600 });
}
