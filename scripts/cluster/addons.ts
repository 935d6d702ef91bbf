import { network, type RunLayout } from './layout.js';
import { hostUsers } from './pki.js';

/*
 * The objects the cluster starts with, applied once the API answers: the role bindings kubeadm
 * would make, the host users' roles, the cluster DNS (CoreDNS, as kubeadm installs it) and the
 * default StorageClass `hostpath` with its provisioner (Rancher's local-path-provisioner, as K3s
 * installs it).
 */

type Manifest = Record<string, unknown>;

export interface AddonImages {
  coredns: string;
  localPathProvisioner: string;
  busybox: string;
}

function clusterRoleBinding(name: string, role: string, subject: Manifest): Manifest {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [subject],
  };
}

const user = (name: string): Manifest => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name });
const serviceAccount = (name: string, namespace: string): Manifest => ({ kind: 'ServiceAccount', name, namespace });

function clusterRole(name: string, rules: Manifest[]): Manifest {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules };
}

const read = ['get', 'list', 'watch'];

/** What kubeadm binds at `init`, and the roles of the host users (pki.ts). */
function accessObjects(): Manifest[] {
  return [
    // admin.conf's group: the users' kubeconfig.
    clusterRoleBinding('kubeadm:cluster-admins', 'cluster-admin', {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Group',
      name: 'kubeadm:cluster-admins',
    }),
    // `kubectl logs` and `exec`: the API server's calls to the kubelet.
    clusterRoleBinding('kube-apiserver-kubelet-client', 'system:kubelet-api-admin', user('kube-apiserver-kubelet-client')),
    clusterRoleBinding('books-gateway:kube-proxy', 'system:node-proxier', user(hostUsers.kubeProxy)),
    clusterRole(hostUsers.kubeRouter, [
      { apiGroups: [''], resources: ['namespaces', 'pods', 'services', 'nodes', 'endpoints'], verbs: read },
      { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: read },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: read },
    ]),
    clusterRoleBinding(hostUsers.kubeRouter, hostUsers.kubeRouter, user(hostUsers.kubeRouter)),
    clusterRole(hostUsers.loadBalancer, [
      { apiGroups: [''], resources: ['services'], verbs: read },
      { apiGroups: [''], resources: ['services/status'], verbs: ['patch', 'update'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    ]),
    clusterRoleBinding(hostUsers.loadBalancer, hostUsers.loadBalancer, user(hostUsers.loadBalancer)),
  ];
}

/** A container that runs as nobody with nothing else: the restricted Pod Security Standard. */
const restrictedContainer = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};
const restrictedPod = { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } };

/** kubeadm's Corefile. */
const corefile = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ${network.dnsDomain} in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success ${network.dnsDomain}
       disable denial ${network.dnsDomain}
    }
    loop
    reload
    loadbalance
}
`;

/**
 * CoreDNS as kubeadm installs it: the `kube-dns` Service on the cluster DNS address, pods
 * labelled `k8s-app: kube-dns` (what the system's NetworkPolicies allow DNS to). It binds port 53
 * as nobody: the pod lowers its unprivileged port floor instead of granting a capability.
 */
function clusterDns(image: string): Manifest[] {
  const namespace = 'kube-system';
  const labels = { 'k8s-app': 'kube-dns' };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coredns', namespace } },
    clusterRole('system:coredns', [
      { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    ]),
    clusterRoleBinding('system:coredns', 'system:coredns', serviceAccount('coredns', namespace)),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns', namespace }, data: { Corefile: corefile } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'coredns',
            priorityClassName: 'system-cluster-critical',
            // The node's resolver, for names outside the cluster.
            dnsPolicy: 'Default',
            securityContext: { ...restrictedPod, sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '53' }] },
            containers: [
              {
                name: 'coredns',
                image,
                imagePullPolicy: 'IfNotPresent',
                args: ['-conf', '/etc/coredns/Corefile'],
                ports: [
                  { name: 'dns', containerPort: 53, protocol: 'UDP' },
                  { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                  { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
                ],
                livenessProbe: { httpGet: { path: '/health', port: 8080 }, initialDelaySeconds: 10, periodSeconds: 10 },
                readinessProbe: { httpGet: { path: '/ready', port: 8181 }, periodSeconds: 2 },
                securityContext: restrictedContainer,
                volumeMounts: [{ name: 'config', mountPath: '/etc/coredns', readOnly: true }],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: 'coredns' } }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace, labels: { ...labels, 'kubernetes.io/name': 'CoreDNS' } },
      spec: {
        selector: labels,
        clusterIP: network.dnsServiceIp,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
          { name: 'metrics', port: 9153, protocol: 'TCP' },
        ],
      },
    },
  ];
}

/** Docker Desktop's default StorageClass name, so a stack written for it binds here too. */
export const defaultStorageClass = 'hostpath';

/**
 * Docker Desktop's provisioner name, which the local-path-provisioner takes here: the
 * docker-desktop target makes a StorageClass of its own for the database with it.
 */
const dockerDesktopProvisioner = 'docker.io/hostpath';

/**
 * Rancher's local-path-provisioner (deploy/local-path-storage.yaml of its module), making each
 * volume a folder of the run folder, behind the default StorageClass `hostpath`, under Docker
 * Desktop's provisioner name.
 */
function storage(layout: RunLayout, images: AddonImages): Manifest[] {
  const namespace = 'local-path-storage';
  const account = 'local-path-provisioner';
  const labels = { app: 'local-path-provisioner' };
  const config = { nodePathMap: [{ node: 'DEFAULT_PATH_FOR_NON_LISTED_NODES', paths: [layout.volumes] }] };
  const helperPod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'helper-pod' },
    spec: { containers: [{ name: 'helper-pod', image: images.busybox, imagePullPolicy: 'IfNotPresent' }] },
  };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: account, namespace } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: account, namespace },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: [...read, 'create', 'patch', 'update', 'delete'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: account, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: account },
      subjects: [serviceAccount(account, namespace)],
    },
    clusterRole(account, [
      { apiGroups: [''], resources: ['nodes', 'persistentvolumeclaims', 'configmaps', 'pods', 'pods/log'], verbs: read },
      { apiGroups: [''], resources: ['persistentvolumes'], verbs: [...read, 'create', 'patch', 'update', 'delete'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: read },
    ]),
    clusterRoleBinding(account, account, serviceAccount(account, namespace)),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'local-path-config', namespace },
      data: {
        'config.json': JSON.stringify(config),
        setup: '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n',
        teardown: '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n',
        'helperPod.yaml': JSON.stringify(helperPod),
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: account, namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: account,
            securityContext: restrictedPod,
            containers: [
              {
                name: account,
                image: images.localPathProvisioner,
                imagePullPolicy: 'IfNotPresent',
                // The helper pods that make and remove each volume's folder run under this
                // account too (the provisioner's default names an account this cluster lacks).
                args: [
                  'start',
                  '--config',
                  '/etc/config/config.json',
                  '--helper-image',
                  images.busybox,
                  '--provisioner-name',
                  dockerDesktopProvisioner,
                  '--service-account-name',
                  account,
                ],
                env: [
                  { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                  { name: 'CONFIG_MOUNT_PATH', value: '/etc/config/' },
                ],
                securityContext: restrictedContainer,
                volumeMounts: [{ name: 'config', mountPath: '/etc/config/', readOnly: true }],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: 'local-path-config' } }],
          },
        },
      },
    },
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: defaultStorageClass, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: dockerDesktopProvisioner,
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Delete',
    },
  ];
}

/** Every object the cluster starts with, as one kubectl List. */
export function addonManifests(layout: RunLayout, images: AddonImages): string {
  const items = [...accessObjects(), ...clusterDns(images.coredns), ...storage(layout, images)];
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}
