/**
 * The Azure endpoints the aks target calls itself, with `fetch` rather than through the provider,
 * played by a stand-in that records each request: ACR's token exchange (POST /oauth2/exchange).
 */

/** What ACR's token exchange answers: a refresh token for the identity whose Entra ID token it was given. */
export const acrRefreshToken = 'acr-refresh-token-for-the-deployer';

export interface RecordedRequest {
  method: string;
  url: string;
  body: string;
}

export interface AzureStandIn {
  /** Every request, in order. */
  requests: RecordedRequest[];
  /** The HTTP status the token exchange answers with (200 unless a test says otherwise). */
  exchangeStatus: number;
  /** Takes over `fetch`; call in a `before` hook. */
  install(): void;
  /** Gives `fetch` back; call in an `after` hook. */
  restore(): void;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export function azureStandIn(): AzureStandIn {
  let realFetch: typeof fetch | undefined;
  const standIn: AzureStandIn = {
    requests: [],
    exchangeStatus: 200,
    install() {
      realFetch = globalThis.fetch;
      globalThis.fetch = async (input, init) => {
        const url = String(input);
        const method = init?.method ?? 'GET';
        standIn.requests.push({ method, url, body: String(init?.body ?? '') });
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
