/**
 * Every config mistake fails before the first resource is registered, with a message that names
 * the key and what is valid: a half-created stack is worse than none.
 */
import assert from 'node:assert/strict';
import { runProgramExpectingError } from '../../scripts/capture/program-run.js';
import { dockerDesktop, k3s } from '../support/scenarios.js';

const allTargets = /docker-desktop, k3s, aks, eks, gke/;

const without = (config: Record<string, string>, key: string) =>
  Object.fromEntries(Object.entries(config).filter(([name]) => name !== key));

const cases: Array<{ what: string; config: Record<string, string>; message: RegExp[] }> = [
  { what: 'no target', config: {}, message: [/Missing config books-gateway:target/, allTargets, /pulumi config set target/] },
  {
    what: "Pulumi.yaml's empty default target",
    config: { target: '' },
    message: [/Missing config books-gateway:target/, allTargets, /pulumi config set target/],
  },
  { what: 'a blank target', config: { target: ' ' }, message: [/Missing config books-gateway:target/, allTargets] },
  { what: 'an unknown target', config: { target: 'minikube' }, message: [/Unknown books-gateway:target "minikube"/, allTargets] },
  {
    what: 'k3s without kubeconfig',
    config: without(k3s.config, 'kubeconfig'),
    message: [/Missing config books-gateway:kubeconfig/, /pulumi config set --secret kubeconfig/],
  },
  {
    what: 'k3s without imageRegistry',
    config: without(k3s.config, 'imageRegistry'),
    message: [/Missing config books-gateway:imageRegistry/, /pulumi config set imageRegistry ghcr\.io\/acme/],
  },
  {
    what: 'k3s with an imageRegistry URL',
    config: { ...k3s.config, imageRegistry: 'https://ghcr.io/acme' },
    message: [/books-gateway:imageRegistry "https:\/\/ghcr.io\/acme" is not an image registry/, /scheme/],
  },
  {
    what: 'k3s with an upper-case repository path',
    config: { ...k3s.config, imageRegistry: 'ghcr.io/Acme' },
    message: [/books-gateway:imageRegistry/, /"Acme" is not a repository path component/],
  },
  {
    what: 'k3s with a registry user but no password',
    config: without(k3s.config, 'registryPassword'),
    message: [/Missing config books-gateway:registryPassword/, /pulumi config set --secret registryPassword/],
  },
  {
    what: 'k3s with a registry password but no user',
    config: without(k3s.config, 'registryUsername'),
    message: [/Missing config books-gateway:registryUsername/],
  },
  {
    what: 'k3s with an unknown imagePlatform',
    config: { ...k3s.config, imagePlatform: 'linux/arm64,linux/arm/v6' },
    message: [/books-gateway:imagePlatform has unknown platform "linux\/arm\/v6"/, /linux\/arm64, linux\/amd64, linux\/arm\/v7/],
  },
  {
    what: 'k3s with an imagePlatform of only commas',
    config: { ...k3s.config, imagePlatform: ' , ' },
    message: [/books-gateway:imagePlatform must name at least one platform of linux\/arm64, linux\/amd64, linux\/arm\/v7/],
  },
  {
    what: 'booksReplicas 0',
    config: { ...dockerDesktop.config, booksReplicas: '0' },
    message: [/books-gateway:booksReplicas must be a whole number of at least 1, got 0/],
  },
  {
    what: 'booksReactReplicas not a number',
    config: { ...dockerDesktop.config, booksReactReplicas: 'two' },
    message: [/books-gateway:booksReactReplicas must be a whole number of at least 1, got "two"/],
  },
  {
    what: 'gatewayReplicas a fraction',
    config: { ...dockerDesktop.config, gatewayReplicas: '1.5' },
    message: [/books-gateway:gatewayReplicas must be a whole number of at least 1, got "1.5"/],
  },
  {
    what: 'gatewayReplicas negative, on k3s',
    config: { ...k3s.config, gatewayReplicas: '-1' },
    message: [/books-gateway:gatewayReplicas must be a whole number of at least 1, got -1/],
  },
  {
    what: 'a Service port out of range',
    config: { ...dockerDesktop.config, gatewayServicePort: '70000' },
    message: [/books-gateway:gatewayServicePort must be a port number from 1 to 65535, got 70000/],
  },
  {
    what: 'a namespace Kubernetes refuses',
    config: { ...dockerDesktop.config, namespace: 'Books_Shelf' },
    message: [/books-gateway:namespace must be a valid Kubernetes namespace name/, /"Books_Shelf"/],
  },
];

describe('config errors', () => {
  for (const { what, config, message } of cases) {
    it(`${what}: fails before any resource, naming the key`, async () => {
      const failure = await runProgramExpectingError({ ...k3s, config });
      for (const pattern of message) assert.match(failure.error.message, pattern);
      assert.deepEqual(
        failure.resources.map((resource) => `${resource.type} ${resource.name}`),
        [],
        'nothing may be registered before the config is known to be good',
      );
    });
  }
});
