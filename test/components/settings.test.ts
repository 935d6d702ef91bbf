/** The pure pieces behind GatewayStack's arguments and outputs. */
import assert from 'node:assert/strict';
import * as k8s from '@pulumi/kubernetes';
import { resolveGatewaySettings } from '../../components/gateway-stack-args.js';
import { gatewayUrl } from '../../components/services.js';

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
    assert.throws(
      () => resolveGatewaySettings({ provider, booksReplicas: 0 }),
      /booksReplicas must be a whole number of at least 1, got 0/,
    );
    assert.throws(() => resolveGatewaySettings({ provider, gatewayReplicas: 1.5 }), /gatewayReplicas .* got 1\.5/);
    assert.throws(() => resolveGatewaySettings({ provider, gatewayServicePort: 0 }), /gatewayServicePort must be a port number/);
    assert.throws(() => resolveGatewaySettings({ provider, namespace: 'a.b' }), /namespace must be a valid Kubernetes namespace name/);
  });

  it('builds a multi-platform image only to push it: Docker cannot load one into its local store', () => {
    const registry = { repository: (image: string) => `ghcr.io/acme/${image}`, needsPullSecret: false };
    const platforms = ['linux/arm64', 'linux/arm/v7'] as const;
    assert.throws(
      () => resolveGatewaySettings({ provider, platforms }),
      /platforms linux\/arm64, linux\/arm\/v7 make a multi-platform image, which needs a registry/,
    );
    assert.deepEqual(resolveGatewaySettings({ provider, platforms, registry }).platforms, platforms);
    assert.deepEqual(resolveGatewaySettings({ provider, platforms: ['linux/amd64'] }).platforms, ['linux/amd64']);
    assert.throws(() => resolveGatewaySettings({ provider, platforms: [] }), /platforms must name at least one platform of/);
  });
});
