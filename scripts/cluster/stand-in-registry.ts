import { docker } from '../rehearse/images/docker-cli.js';
import type { StandInImages } from '../rehearse/images/stand-ins.js';
import { ports } from './layout.js';

/**
 * The stand-in base images, pushed to the cluster's registry: BuildKit pulls a build's base
 * images from a registry (it does not see the Docker engine's images), so these references are
 * what a stack's `baseImages` names on this machine.
 */
export async function publishStandIns(standIns: StandInImages): Promise<StandInImages> {
  const publish = async (reference: string) => {
    const published = `127.0.0.1:${ports.registry}/${reference}`;
    await docker(['tag', reference, published]);
    await docker(['push', '--quiet', published]);
    return published;
  };
  const [node, nginx] = await Promise.all([publish(standIns.node), publish(standIns.nginx)]);
  return { node, nginx };
}
