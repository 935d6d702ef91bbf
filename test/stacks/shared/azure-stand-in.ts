/**
 * The Azure endpoints the aks target calls itself, with `fetch` rather than through the provider,
 * played by a stand-in that records each request: ACR's token exchange (POST /oauth2/exchange),
 * and Azure Resource Manager's system agent pool (GET and PUT .../agentPools/system), which
 * reports the version it runs and takes an upgrade. It can also fail the next requests, as a
 * flaky network or service would.
 */

/** What ACR's token exchange answers: a refresh token for the identity whose Entra ID token it was given. */
export const acrRefreshToken = 'acr-refresh-token-for-the-deployer';

export interface RecordedRequest {
  method: string;
  url: string;
  body: string;
}

/** How a request fails: no connection, no answer until the caller gives up, or an HTTP status. */
export type Failure = 'network' | 'hang' | number;

export interface AzureStandIn {
  /** Every request, in order. */
  requests: RecordedRequest[];
  /** The HTTP status the token exchange answers with (200 unless a test says otherwise). */
  exchangeStatus: number;
  /** Fails the next requests, one failure each, in order; then answers again. */
  failNext(...failures: Failure[]): void;
  /** The version the system pool runs (`1.33.2`); an upgrade sets it. */
  systemPoolVersion: string;
  /**
   * The provisioning states an upgrade reports, the PUT's answer first, then each GET's, the last
   * one from then on. Default: done at once.
   */
  upgradeStates: string[];
  /** The bodies of the upgrades (PUT) the system pool was sent. */
  systemPoolUpgrades(): { properties: Record<string, unknown> }[];
  /** Takes over `fetch`; call in a `before` hook. */
  install(): void;
  /** Gives `fetch` back; call in an `after` hook. */
  restore(): void;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function fail(failure: Failure, signal: AbortSignal | null | undefined): Promise<Response> {
  if (failure === 'network') return Promise.reject(new TypeError('fetch failed', { cause: new Error('connect ECONNRESET') }));
  if (typeof failure === 'number') return Promise.resolve(json({ error: { code: 'Unavailable' } }, failure));
  // Hangs until the caller's timeout aborts it, as fetch does.
  return new Promise((_, reject) =>
    signal?.addEventListener('abort', () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))),
  );
}

export function azureStandIn(): AzureStandIn {
  let realFetch: typeof fetch | undefined;
  const failures: Failure[] = [];
  let upgrading: string[] = [];
  const systemPool = (method: string, body: unknown): Response => {
    if (method === 'PUT') {
      const { properties } = JSON.parse(String(body)) as { properties: { orchestratorVersion: string } };
      standIn.systemPoolVersion = properties.orchestratorVersion;
      upgrading = [...standIn.upgradeStates];
    }
    const provisioningState = (upgrading.length > 1 ? upgrading.shift() : upgrading[0]) ?? 'Succeeded';
    const version = standIn.systemPoolVersion;
    return json({
      name: 'system',
      properties: {
        mode: 'System',
        count: 1,
        vmSize: 'Standard_B2s',
        orchestratorVersion: version,
        currentOrchestratorVersion: version.split('.').length === 2 ? `${version}.4` : version,
        nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202601.01.0',
        provisioningState,
      },
    });
  };
  const standIn: AzureStandIn = {
    requests: [],
    exchangeStatus: 200,
    systemPoolVersion: '1.33.2',
    upgradeStates: ['Succeeded'],
    failNext(...next) {
      failures.push(...next);
    },
    systemPoolUpgrades() {
      return standIn.requests.filter((r) => r.method === 'PUT' && r.url.includes('/agentPools/system')).map((r) => JSON.parse(r.body));
    },
    install() {
      realFetch = globalThis.fetch;
      globalThis.fetch = async (input, init) => {
        const url = input instanceof Request ? input.url : input.toString();
        const method = init?.method ?? 'GET';
        standIn.requests.push({
          method,
          url,
          body: init?.body instanceof URLSearchParams ? init.body.toString() : typeof init?.body === 'string' ? init.body : '',
        });
        const failure = failures.shift();
        if (failure !== undefined) return fail(failure, init?.signal);
        if (url.includes('/agentPools/system?')) return systemPool(method, init?.body);
        if (url.endsWith('/oauth2/exchange')) {
          return standIn.exchangeStatus === 200
            ? json({ refresh_token: acrRefreshToken })
            : json({ errors: [{ code: 'UNAUTHORIZED' }] }, standIn.exchangeStatus);
        }
        return json({ error: { code: 'NotFound', message: `the Azure stand-in does not serve ${method} ${url}` } }, 404);
      };
    },
    restore() {
      if (realFetch) globalThis.fetch = realFetch;
    },
  };
  return standIn;
}
