/**
 * The gateway's promises in the manifests: the stack's security and limit keys reach the rendered
 * nginx configuration, the key material reaches the gateway pod only through a Secret that stays
 * a secret in Pulumi's state, and nginx serves its metrics on its status port, scrapeable from
 * the cluster and never public.
 */
import * as pulumi from '@pulumi/pulumi';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { clusterPlatform } from '../../apps/gateway/src/index.js';
import { gatewayTestKeys, type GatewayTestKeys } from '../support/gateway-keys.js';
import { autoName, runProgram, secretValue, type ProgramRun, type PropertyBag } from '../../scripts/capture/program-run.js';
import { validateKubernetesObject } from '../../scripts/capture/kubernetes-schemas.js';
import { dockerDesktop, securedDockerDesktop, secretsBesidesDatabase, testApiKeys } from '../support/scenarios.js';

const secretType = 'kubernetes:core/v1:Secret';

const nginxConf = (run: ProgramRun): string => run.named('kubernetes:core/v1:ConfigMap', 'gateway-config').inputs.data['nginx.conf'];
const gatewayPod = (run: ProgramRun): PropertyBag => run.named('kubernetes:apps/v1:Deployment', 'gateway').inputs.spec.template.spec;
const container = (run: ProgramRun, name: string): PropertyBag => {
  const found = gatewayPod(run).containers.find((c: PropertyBag) => c.name === name);
  assert.ok(found, `the gateway pod has a ${name} container`);
  return found;
};

/** Every string anywhere in the inputs, except inside a secret. */
function plainStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  const bag = value as PropertyBag;
  if (bag[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return [];
  return Object.values(bag).flatMap(plainStrings);
}

describe('gateway security, limits and metrics', () => {
  let keys: GatewayTestKeys;
  let plain: ProgramRun;
  let secured: ProgramRun;

  before(async () => {
    keys = gatewayTestKeys();
    plain = await runProgram(dockerDesktop);
    secured = await runProgram(securedDockerDesktop(keys));
  });

  describe('with the defaults', () => {
    it('renders the default limits, refuses every write on /books and needs no Secret', () => {
      const conf = nginxConf(plain);
      assert.match(conf, /limit_req_zone \$binary_remote_addr zone=\S+ rate=20r\/s;/);
      assert.match(conf, /limit_req zone=\S+ burst=40 nodelay;/);
      assert.match(conf, /limit_conn \S+ 20;/);
      assert.match(conf, /client_max_body_size 1m;/);
      assert.match(conf, /set \$gateway_jwt_enabled 0;/);
      assert.match(conf, /set \$gateway_api_keys_enabled 0;/);
      assert.match(conf, /proxy_set_header Authorization "";\n\s*proxy_set_header X-API-Key "";/, 'credentials stay at the gateway');
      assert.doesNotMatch(conf, /\bssl\b/);
      assert.deepEqual(secretsBesidesDatabase(plain), [], 'no credential configured, nothing secret to mount');
      assert.equal(
        gatewayPod(plain).volumes.some((v: PropertyBag) => v.secret),
        false,
      );
    });
  });

  describe('with every key set', () => {
    it('renders the rate, burst, connection and body limits, the CORS origins and the JWT claims into nginx.conf', () => {
      const conf = nginxConf(secured);
      assert.match(conf, /limit_req_zone \$binary_remote_addr zone=\S+ rate=5r\/s;/);
      assert.match(conf, /limit_req zone=\S+ burst=10 nodelay;/);
      assert.match(conf, /limit_conn \S+ 4;/);
      assert.match(conf, /client_max_body_size 256k;/);
      assert.match(conf, /"https:\/\/books\.example\.com" "https:\/\/books\.example\.com";/);
      assert.match(conf, /"http:\/\/localhost:5173" "http:\/\/localhost:5173";/);
      assert.match(conf, /set \$gateway_jwt_issuer 'https:\/\/auth\.example\.com\/';/);
      assert.match(conf, /set \$gateway_jwt_audience 'books-api';/);
      assert.match(conf, /set \$gateway_jwt_algorithms 'RS256 ES256';/);
      assert.match(conf, /set \$gateway_api_keys_enabled 1;/);
      assert.doesNotMatch(conf, /proxy_set_header (Authorization|X-API-Key)/, 'forwardCredentials passes them on');
      assert.match(conf, /listen 8080 ssl reuseport;/);
      assert.match(conf, new RegExp(`ssl_certificate ${clusterPlatform.secretsDir}/tls\\.crt;`));
    });

    it('keeps every credential out of the configuration and out of every input that is not a secret', () => {
      const leaks = [keys.tlsKey, testApiKeys['inventory-sync'], ...Object.values(keys.spkiByKid)];
      for (const resource of secured.resources) {
        for (const text of plainStrings(resource.inputs)) {
          for (const leak of leaks) assert.ok(!text.includes(leak.trim()), `${resource.type} ${resource.name} shows a credential`);
        }
      }
      assert.doesNotMatch(JSON.stringify(secured.outputs), /PRIVATE KEY|inv-sync/);
      assert.deepEqual(secured.secretOutputs, []);
    });

    it('puts the converted keys into an immutable Secret whose data is a Pulumi secret', () => {
      const secret = secured.named(secretType, 'gateway-secrets').inputs;
      assert.equal(secret.immutable, true);
      assert.equal(secret.type, 'Opaque');
      assert.equal(secret.metadata.name, undefined, 'named by Pulumi: a new name, and a rollout, for new contents');
      const files = secretValue(secret.stringData, "the gateway Secret's data") as Record<string, string>;
      assert.deepEqual(Object.keys(files).sort(), ['api-keys.json', 'jwt-keys.json', 'tls.crt', 'tls.key']);
      const jwtKeys = JSON.parse(files['jwt-keys.json']);
      assert.deepEqual(
        jwtKeys.keys.map((key: PropertyBag) => [key.kid, key.alg, key.spki]),
        [
          ['rsa-1', 'RS256', keys.spkiByKid['rsa-1']],
          ['ec-1', 'ES256', keys.spkiByKid['ec-1']],
        ],
      );
      const digest = createHash('sha256').update(testApiKeys['inventory-sync']).digest('hex');
      assert.deepEqual(JSON.parse(files['api-keys.json']), { [digest]: 'inventory-sync' });
      assert.equal(files['tls.crt'].trim(), keys.tlsCertificate.trim());
      assert.equal(files['tls.key'].trim(), keys.tlsKey.trim());
    });

    it('mounts the Secret read-only into the nginx container alone, at the secrets folder', () => {
      const pod = gatewayPod(secured);
      const volume = pod.volumes.find((v: PropertyBag) => v.secret);
      // 0440 and the pod's group: nginx (uid and group 101) reads the keys, no other user does.
      assert.deepEqual(volume, { name: volume.name, secret: { secretName: autoName('gateway-secrets'), defaultMode: 0o440 } });
      assert.equal(pod.securityContext.fsGroup, 101);
      const mounts = (name: string) => (container(secured, name).volumeMounts ?? []).filter((m: PropertyBag) => m.name === volume.name);
      assert.deepEqual(mounts('gateway'), [{ name: volume.name, mountPath: clusterPlatform.secretsDir, readOnly: true }]);
      assert.deepEqual(
        pod.containers.map((c: PropertyBag) => c.name),
        ['gateway'],
        'no other container sees the keys',
      );
    });

    it('offers HTTPS alone on the Service, on 443, and outputs an https URL', () => {
      const ports = secured.named('kubernetes:core/v1:Service', 'gateway').inputs.spec.ports;
      assert.deepEqual(ports, [{ name: 'https', port: 443, targetPort: 'http', protocol: 'TCP' }]);
      assert.equal(secured.outputs.gatewayUrl, 'https://localhost');
    });

    it('registers only objects the Kubernetes API accepts', async () => {
      for (const object of secured.kubernetesObjects()) await validateKubernetesObject(object);
    });
  });

  for (const [what, run] of [
    ['defaults', () => plain],
    ['every key set', () => secured],
  ] as const) {
    describe(`metrics (${what})`, () => {
      it('serves the full set of metrics from nginx itself on the status port, with no exporter sidecar', () => {
        assert.deepEqual(
          gatewayPod(run()).containers.map((c: PropertyBag) => c.name),
          ['gateway'],
        );
        const conf = nginxConf(run());
        assert.match(conf, /listen 8081;[\s\S]*location = \/stub_status \{\n(\s*if .*\n)?\s*stub_status;/);
        // Per-route counters in a dictionary shared by the workers (the image's njs >= 0.8.8).
        assert.match(conf, /js_shared_dict_zone zone=gateway_metrics:\d+m type=number;/);
        // Counted by njs 4 times a second from a buffered log, which lies in one of the pod's
        // emptyDirs (the root filesystem is read-only), not by njs on every request.
        const log = /access_log (\S+) gateway_metrics buffer=64k flush=250ms;/.exec(conf)?.[1];
        assert.ok(log, 'the metrics log is buffered');
        const pod = gatewayPod(run());
        const emptyDirs = pod.volumes.filter((volume: PropertyBag) => volume.emptyDir).map((volume: PropertyBag) => volume.name);
        const writable = pod.containers[0].volumeMounts.filter((mount: PropertyBag) => emptyDirs.includes(mount.name) && !mount.readOnly);
        assert.ok(
          writable.some((mount: PropertyBag) => log.startsWith(`${mount.mountPath}/`)),
          `${log} is in an emptyDir the container can write`,
        );
        assert.match(conf, /listen 8081;[\s\S]*location @gateway_metrics_fold \{[\s\S]*?js_periodic gateway_metrics\.fold interval=250ms;/);
        assert.match(
          conf,
          /listen 8081;[\s\S]*location = \/metrics \{[\s\S]*?set \$gateway_metrics_set full;[\s\S]*?js_content gateway_metrics\.serve;/,
        );
        assert.ok(
          run().named('kubernetes:core/v1:ConfigMap', 'gateway-config').inputs.data['gateway-metrics.js'],
          'the script ships in the ConfigMap',
        );
      });

      it('carries the Prometheus scrape annotations on the gateway pods', () => {
        const annotations = run().named('kubernetes:apps/v1:Deployment', 'gateway').inputs.spec.template.metadata.annotations;
        assert.equal(annotations['prometheus.io/scrape'], 'true');
        assert.equal(annotations['prometheus.io/port'], '8081');
        assert.equal(annotations['prometheus.io/path'], '/metrics');
      });

      it('keeps the status port off the LoadBalancer Service, and admits it from the cluster only', () => {
        for (const port of run().named('kubernetes:core/v1:Service', 'gateway').inputs.spec.ports) {
          assert.notEqual(port.port, 8081);
          assert.equal(port.targetPort, 'http');
        }
        const ingress = run().named('kubernetes:networking.k8s.io/v1:NetworkPolicy', 'gateway').inputs.spec.ingress;
        const metrics = ingress.filter((rule: PropertyBag) => rule.ports.some((p: PropertyBag) => p.port === 8081));
        assert.deepEqual(metrics, [{ from: [{ namespaceSelector: {} }], ports: [{ protocol: 'TCP', port: 8081 }] }]);
      });
    });
  }
});
