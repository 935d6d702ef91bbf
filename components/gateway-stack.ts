import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { clusterPlatform } from '../apps/gateway/src/index.js';
import type { ImageName } from './target.js';
import { deploymentArgs, type DeploymentOptions, type ReadOnlyVolume } from './deployment.js';
import { disruptionBudgetArgs } from './disruption-budget.js';
import { configChecksum, configChecksumAnnotation, gatewayConfigMapArgs, renderClusterGateway } from './gateway-config.js';
import { type GatewayStackArgs, publicEndpoint, resolveGatewaySettings } from './gateway-stack-args.js';
import { gatewaySecretArgs, gatewaySecretOptions } from './gateway-secrets.js';
import { buildImages, contentTags } from './images.js';
import { namespaceArgs } from './namespace.js';
import { backendPolicyArgs, defaultDenyPolicyArgs, gatewayPolicyArgs } from './network-policies.js';
import { metricsPort, prometheusScrapeAnnotations } from './prometheus-scrape.js';
import { dashboardConfigMapArgs, podMonitorArgs, readDashboard } from './monitoring.js';
import { pullSecretArgs } from './pull-secret.js';
import { backendServiceArgs, gatewayAccess, gatewayServiceArgs } from './services.js';
import { createBooksDatabase } from './books-database.js';
import { booksDatabaseDir, gatewayRollout, workloads, type Workload } from './workloads.js';

export type { GatewayStackArgs } from './gateway-stack-args.js';

/**
 * The whole system on one Kubernetes cluster: the three images built from this repository, the
 * books API and the books-react page behind headless Services, and the nginx gateway behind a
 * LoadBalancer Service (with its key material in a Secret, serving Prometheus metrics on its status port,
 * optionally with a PodMonitor and a Grafana dashboard), in their own namespace with network policies, disruption budgets and hardened pods. Every child goes through the given provider; nothing here knows which cluster
 * or cloud that is.
 */
export class GatewayStack extends pulumi.ComponentResource {
  /** The gateway's public URL, from its load balancer (hostname or IP). */
  readonly url: pulumi.Output<string | undefined>;
  /** The namespace holding every object. */
  readonly namespace: pulumi.Output<string>;
  /** The image each Deployment runs. */
  readonly images: Record<ImageName, pulumi.Output<string>>;

  constructor(name: string, args: GatewayStackArgs, opts?: pulumi.ComponentResourceOptions) {
    // Everything that can fail is worked out before anything is registered, so a bad argument
    // or a missing Dockerfile leaves nothing half-made.
    const settings = resolveGatewaySettings(args);
    const ns = settings.namespace;
    const tags = contentTags(settings.sourceRoot, settings.baseImages);
    const files = renderClusterGateway(ns, settings.policy.render);
    const { podMonitor, grafanaDashboard } = settings.monitoring;
    const dashboard = grafanaDashboard && { namespace: grafanaDashboard.namespace, json: readDashboard(settings.sourceRoot) };
    const endpoint = publicEndpoint(settings);
    super('books-gateway:index:GatewayStack', name, {}, opts);

    const k8sOptions: pulumi.CustomResourceOptions = { parent: this, provider: settings.provider };
    const namespace = new k8s.core.v1.Namespace(ns, namespaceArgs(ns), k8sOptions);
    // Objects in the namespace wait for it, and are deleted before it.
    const inNamespace: pulumi.CustomResourceOptions = { ...k8sOptions, dependsOn: [namespace] };

    const { sourceRoot, platforms, registry, baseImages, buildCache: cache } = settings;
    const images = buildImages({ sourceRoot, platforms, registry, baseImages, cache }, tags, { parent: this });

    const credentials = settings.registry?.needsPullSecret ? settings.registry.credentials : undefined;
    const pullSecret = credentials
      ? new k8s.core.v1.Secret('registry-credentials', pullSecretArgs(ns, credentials), inNamespace)
      : undefined;

    const configMap = new k8s.core.v1.ConfigMap('gateway-config', gatewayConfigMapArgs(ns, files), inNamespace);
    const gatewayVolumes: ReadOnlyVolume[] = [
      { name: 'config', source: { kind: 'configMap', name: configMap.metadata.name }, mountPath: clusterPlatform.configDir },
    ];
    const { secretFiles } = settings.policy;
    if (secretFiles) {
      const secret = new k8s.core.v1.Secret('gateway-secrets', gatewaySecretArgs(ns, secretFiles), {
        ...inNamespace,
        ...gatewaySecretOptions,
      });
      gatewayVolumes.push({
        name: 'secrets',
        source: { kind: 'secret', name: secret.metadata.name },
        mountPath: clusterPlatform.secretsDir,
      });
    }

    const deploy = (workload: Workload, replicas: number, extra: Partial<DeploymentOptions> = {}, after: pulumi.Resource[] = []) => {
      const options: DeploymentOptions = {
        namespace: ns,
        replicas,
        image: images[workload.name],
        imagePullSecret: pullSecret?.metadata.name,
        ...extra,
      };
      const deployment = new k8s.apps.v1.Deployment(workload.name, deploymentArgs(workload, options), { ...inNamespace, dependsOn: after });
      const budget = disruptionBudgetArgs(workload, ns, replicas);
      if (budget) new k8s.policy.v1.PodDisruptionBudget(workload.name, budget, inNamespace);
      return deployment;
    };

    const { books, 'books-react': booksReact } = workloads;
    const gateway: Workload = { ...workloads.gateway, rollout: gatewayRollout(settings.loadBalancerSettleSeconds) };
    const database = createBooksDatabase(settings.database, { namespace: ns, inNamespace, inCluster: k8sOptions });
    // The books pods start once their database serves: they migrate it first, and a rollout
    // waits for that (their readiness).
    const booksDatabase: Partial<DeploymentOptions> = {
      readOnlyVolumes: [{ name: 'database', source: { kind: 'secret', name: database.urlSecret }, mountPath: booksDatabaseDir }],
    };
    const backends = [
      deploy(books, settings.booksReplicas, booksDatabase, database.readyWhen),
      new k8s.core.v1.Service(books.name, backendServiceArgs(books, ns), inNamespace),
      deploy(booksReact, settings.booksReactReplicas),
      new k8s.core.v1.Service(booksReact.name, backendServiceArgs(booksReact, ns), inNamespace),
    ];
    // The gateway starts once the backends are ready and named in DNS (Pulumi waits for a
    // Deployment's rollout): nginx caches a name's answer, an empty one too, for the resolver's
    // validity, so a gateway started first would answer 502 for that long on a first `up`.
    deploy(
      gateway,
      settings.gatewayReplicas,
      {
        podAnnotations: { [configChecksumAnnotation]: configChecksum(files), ...prometheusScrapeAnnotations },
        readOnlyVolumes: gatewayVolumes,
      },
      backends,
    );
    const serviceArgs = gatewayServiceArgs(gateway, ns, endpoint, settings.gatewayServiceAnnotations, settings.gatewayAddress);
    const service = new k8s.core.v1.Service(gateway.name, serviceArgs, inNamespace);

    new k8s.networking.v1.NetworkPolicy('default-deny', defaultDenyPolicyArgs(ns), inNamespace);
    for (const backend of [books, booksReact]) {
      new k8s.networking.v1.NetworkPolicy(`${backend.name}-from-gateway`, backendPolicyArgs(backend, gateway, ns), inNamespace);
    }
    const gatewayPolicy = gatewayPolicyArgs(gateway, [books, booksReact], ns, metricsPort);
    new k8s.networking.v1.NetworkPolicy(gateway.name, gatewayPolicy, inNamespace);

    if (podMonitor) new k8s.apiextensions.CustomResource('gateway', podMonitorArgs(ns, podMonitor.labels), inNamespace);
    if (dashboard) {
      // In Grafana's namespace it neither waits for the system's namespace nor goes before it.
      const options = dashboard.namespace === undefined ? inNamespace : k8sOptions;
      new k8s.core.v1.ConfigMap('dashboard', dashboardConfigMapArgs(ns, dashboard.namespace ?? ns, dashboard.json), options);
    }

    this.url = service.status.apply((status) => gatewayAccess(settings.gatewayAddress, status?.loadBalancer?.ingress, endpoint, ns));
    this.namespace = namespace.metadata.name;
    this.images = images;
    this.registerOutputs({ url: this.url, namespace: this.namespace, images: this.images });
  }
}
