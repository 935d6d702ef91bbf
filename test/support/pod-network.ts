/**
 * The pods of the system as containers on a Docker network of their own, outside any cluster:
 * the database as its StatefulSet's pod runs it (PostgreSQL's stand-in, its data in memory),
 * reached by the Service name the books URL names, and each image as its pod runs it (command,
 * user, read-only root, environment, the books database's URL mounted where the pod mounts its
 * Secret). For the tests that start the images by hand: the rehearsal's images on this machine's
 * platform, and the Raspberry Pi images under emulation.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImageName } from '../../components/target.js';
import { inClusterHost, postgres } from '../../components/postgres.js';
import { booksDatabaseDir } from '../../components/workloads.js';
import { docker } from '../../scripts/toolkit/docker.js';
import { podCommand, podEnvironment, podRestrictions, postgresPod } from './pod-container.js';

export interface PodNetworkSpec {
  /** The network's name, and the prefix of its containers' names. */
  name: string;
  /** A label (`key=value`) every container and the network carry, for their owner's cleanup. */
  label: string;
  /** The namespace whose Service names the containers answer to. */
  namespace: string;
  /** The image each workload runs. */
  images: Partial<Record<ImageName, string>>;
  /** PostgreSQL's image, of this machine's platform. */
  postgresImage: string;
  /** The platform the workloads' images run as (`docker run --platform`); the engine's own by default. */
  platform?: string;
}

export class PodNetwork {
  readonly containers: string[] = [];
  readonly folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-network-'));
  private readonly databaseDir = path.join(this.folder, 'books-database');
  private readonly postgresSecretsDir = path.join(this.folder, 'postgres');

  constructor(readonly spec: PodNetworkSpec) {
    const password = randomBytes(16).toString('hex');
    writeFolder(this.databaseDir, {
      url: `postgres://${postgres.role}:${password}@${inClusterHost(spec.namespace)}:${postgres.port}/${postgres.database}`,
    });
    writeFolder(this.postgresSecretsDir, { password });
  }

  get network(): string {
    return this.spec.name;
  }

  /** The name of `image`'s container. */
  containerOf(image: ImageName): string {
    return `${this.spec.name}-${image}`;
  }

  /** The Service name the cluster's gateway configuration resolves `image`'s pods by (headless Services). */
  serviceName(image: ImageName): string {
    return `${image}.${this.spec.namespace}.svc.cluster.local`;
  }

  /** Creates the network and starts the database on it. */
  async create(): Promise<void> {
    await docker(['network', 'create', '--label', this.spec.label, this.spec.name]);
    const name = `${this.spec.name}-postgres`;
    this.containers.push(name);
    await docker([
      'run',
      '-d',
      '--name',
      name,
      '--label',
      this.spec.label,
      '--network',
      this.spec.name,
      '--network-alias',
      inClusterHost(this.spec.namespace),
      ...postgresPod({ secrets: this.postgresSecretsDir }),
      this.spec.postgresImage,
    ]);
  }

  /**
   * `docker run` of `image` as its pod runs it, in the background, under its Service's name (books
   * with its database's URL); answers the container's name.
   */
  async run(image: ImageName, options: string[] = []): Promise<string> {
    const reference = this.spec.images[image];
    if (!reference) throw new Error(`no image is given for ${image}`);
    const name = this.containerOf(image);
    this.containers.push(name);
    const platform = this.spec.platform ? ['--platform', this.spec.platform] : [];
    const database = image === 'books' ? ['-v', `${this.databaseDir}:${booksDatabaseDir}:ro`] : [];
    await docker([
      'run',
      '-d',
      '--name',
      name,
      '--label',
      this.spec.label,
      ...platform,
      '--network',
      this.spec.name,
      '--network-alias',
      this.serviceName(image),
      ...database,
      ...options,
      ...podRestrictions(image),
      ...podEnvironment(image),
      reference,
      ...podCommand(image),
    ]);
    return name;
  }

  /** The URL of `container`'s `port`, published on loopback (`-p 127.0.0.1::<port>` among its options). */
  async publishedUrl(container: string, port: number): Promise<string> {
    return `http://${(await docker(['port', container, `${port}/tcp`])).trim().split('\n')[0]}`;
  }

  /** Removes the containers, the network and the files. */
  async remove(): Promise<void> {
    const existing = (await docker(['ps', '-a', '--filter', `label=${this.spec.label}`, '--format', '{{.Names}}'])).split('\n');
    const ours = this.containers.filter((name) => existing.includes(name));
    if (ours.length > 0) await docker(['rm', '-f', ...ours]);
    await docker(['network', 'rm', this.spec.name]).catch(() => undefined);
    fs.rmSync(this.folder, { recursive: true, force: true });
  }
}

/** A folder of read-only files, as a mounted Secret or ConfigMap shows them. */
export function writeFolder(dir: string, entries: Record<string, string>): void {
  fs.mkdirSync(dir, { mode: 0o755 });
  for (const [name, content] of Object.entries(entries)) fs.writeFileSync(path.join(dir, name), content, { mode: 0o444 });
}
