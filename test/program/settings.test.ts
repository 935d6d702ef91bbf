/** The pure pieces behind the program's settings and outputs. */
import assert from 'node:assert/strict';
import * as k8s from '@pulumi/kubernetes';
import { resolveGatewaySettings } from '../../components/gatewayStackArgs.js';
import { dockerConfigJson } from '../../components/pullSecret.js';
import { gatewayUrl } from '../../components/services.js';
import { kubeconfigServers } from '../../stacks/kubeconfig.js';
import { parseImageRegistry } from '../../stacks/registry-address.js';
import { k3sKubeconfig } from './scenarios.js';

describe('gateway URL', () => {
  const http = (port: number) => ({ port, tls: false });

  it('uses the hostname a load balancer gives (EKS, Docker Desktop), else its IP (AKS, GKE, K3s)', () => {
    assert.equal(gatewayUrl([{ hostname: 'a1b2.elb.amazonaws.com' }], http(80)), 'http://a1b2.elb.amazonaws.com');
    assert.equal(gatewayUrl([{ ip: '20.50.1.2' }], http(80)), 'http://20.50.1.2');
    assert.equal(gatewayUrl([{ ip: '192.168.1.21' }, { ip: '192.168.1.22' }], http(8080)), 'http://192.168.1.21:8080');
    assert.equal(gatewayUrl([{ ip: '2001:db8::1' }], http(80)), 'http://[2001:db8::1]');
  });

  it('is an https URL with TLS, the port shown unless it is 443', () => {
    assert.equal(gatewayUrl([{ ip: '20.50.1.2' }], { port: 443, tls: true }), 'https://20.50.1.2');
    assert.equal(gatewayUrl([{ ip: '20.50.1.2' }], { port: 8443, tls: true }), 'https://20.50.1.2:8443');
    assert.equal(gatewayUrl([{ ip: '20.50.1.2' }], { port: 80, tls: true }), 'https://20.50.1.2:80');
  });

  it('is undefined until the load balancer has an address', () => {
    assert.equal(gatewayUrl(undefined, http(80)), undefined);
    assert.equal(gatewayUrl([], http(80)), undefined);
    assert.equal(gatewayUrl([{}], http(80)), undefined);
  });
});

describe('image registry setting', () => {
  it('splits the registry host from the repository prefix', () => {
    assert.deepEqual(parseImageRegistry('r', 'ghcr.io/acme'), { host: 'ghcr.io', repositoryPrefix: 'ghcr.io/acme' });
    assert.deepEqual(parseImageRegistry('r', 'registry.local:5000/pi/'), {
      host: 'registry.local:5000',
      repositoryPrefix: 'registry.local:5000/pi',
    });
    assert.deepEqual(parseImageRegistry('r', 'localhost:5000'), { host: 'localhost:5000', repositoryPrefix: 'localhost:5000' });
  });

  it('reads a bare name as a Docker Hub namespace, as Docker does', () => {
    assert.deepEqual(parseImageRegistry('r', 'acme'), { host: 'docker.io', repositoryPrefix: 'acme' });
    const config = JSON.parse(dockerConfigJson('docker.io', 'acme', 'pw'));
    assert.deepEqual(Object.keys(config.auths), ['https://index.docker.io/v1/']);
  });

  it('refuses what is not a registry, naming the setting', () => {
    assert.throws(() => parseImageRegistry('imageRegistry', 'https://ghcr.io/acme'), /imageRegistry "https:\/\/ghcr.io\/acme".*scheme/);
    assert.throws(() => parseImageRegistry('imageRegistry', 'ghcr.io/ac me'), /"ac me" is not a repository path component/);
    assert.throws(() => parseImageRegistry('imageRegistry', '-bad-.io/acme'), /"-bad-.io" is not a host name/);
  });
});

describe('kubeconfig servers', () => {
  it('finds the API servers of YAML and JSON kubeconfigs, whatever their credentials', () => {
    assert.deepEqual(kubeconfigServers(k3sKubeconfig), ['https://192.168.1.10:6443']);
    assert.deepEqual(kubeconfigServers(k3sKubeconfig.replace('s3cr3t-token', 'rotated')), kubeconfigServers(k3sKubeconfig));
    const json = JSON.stringify({ clusters: [{ cluster: { server: 'https://b:6443' } }, { cluster: { server: 'https://a:6443' } }] });
    assert.deepEqual(kubeconfigServers(json), ['https://a:6443', 'https://b:6443']);
  });
});

describe('GatewayStack arguments', () => {
  const provider = {} as k8s.Provider;

  it('defaults to books-gateway, 2 + 2 + 1 replicas, Service port 80', () => {
    const settings = resolveGatewaySettings({ provider });
    assert.deepEqual(
      [settings.namespace, settings.booksReplicas, settings.booksReactReplicas, settings.gatewayReplicas, settings.gatewayServicePort],
      ['books-gateway', 2, 2, 1, 80],
    );
  });

  it('refuses bad arguments, naming the argument', () => {
    assert.throws(() => resolveGatewaySettings({ provider, booksReplicas: 0 }), /booksReplicas must be a whole number of at least 1, got 0/);
    assert.throws(() => resolveGatewaySettings({ provider, gatewayReplicas: 1.5 }), /gatewayReplicas .* got 1\.5/);
    assert.throws(() => resolveGatewaySettings({ provider, gatewayServicePort: 0 }), /gatewayServicePort must be a port number/);
    assert.throws(() => resolveGatewaySettings({ provider, namespace: 'a.b' }), /namespace must be a valid Kubernetes namespace name/);
    assert.throws(() => resolveGatewaySettings({ provider, rateLimitBurst: 1.5 }), /^Error: rateLimitBurst must be a whole number/);
    assert.throws(() => resolveGatewaySettings({ provider, jwtAlgorithms: ['none'] }), /^Error: jwtAlgorithms must not include "none"/);
    assert.throws(() => resolveGatewaySettings({ provider, tlsKey: 'k' }), /^Error: tlsKey is set but tlsCertificate is not/);
    assert.throws(() => resolveGatewaySettings({ provider, jwtJwks: '[]', jwtIssuer: 'i', jwtAudience: 'a' }), /^Error: jwtJwks: no keys/);
  });
});
