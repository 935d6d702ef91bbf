import * as pulumi from '@pulumi/pulumi';
import { defaultRetryPolicy, fetchWithRetry } from '../shared/fetch-with-retry.js';

/**
 * Pushing to an Azure Container Registry as the identity that runs `pulumi up`, instead of the
 * registry's admin user (one long-lived password shared by everyone who can read it). ACR takes a
 * refresh token of its own, which it exchanges for the identity's Entra ID access token, with
 * this fixed user name, as `az acr login` does.
 */
export const acrTokenUserName = '00000000-0000-0000-0000-000000000000';

export interface AcrExchangeRequest {
  /** `<registry>.azurecr.io`. */
  loginServer: string;
  tenantId: string;
  /** An Entra ID access token of the deploying identity (for Azure Resource Manager). */
  accessToken: string;
}

/**
 * The ACR refresh token for the identity behind `accessToken` (valid for three hours: enough for
 * the pushes). Pushing needs that identity to hold push rights on the registry: Owner,
 * Contributor or AcrPush.
 */
export async function acrRefreshToken(
  { loginServer, tenantId, accessToken }: AcrExchangeRequest,
  retry = defaultRetryPolicy,
): Promise<string> {
  const response = await fetchWithRetry(
    `exchange the deploying identity's Entra ID token for a push token of the registry ${loginServer}`,
    `https://${loginServer}/oauth2/exchange`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'access_token', service: loginServer, tenant: tenantId, access_token: accessToken }),
    },
    retry,
  );
  const answer = (await response.json().catch(() => ({}))) as { refresh_token?: unknown };
  if (!response.ok || typeof answer.refresh_token !== 'string') {
    // The response may echo the request; it holds nothing worth quoting here.
    throw new pulumi.RunError(
      `${loginServer} refused to exchange the deploying identity's Entra ID token for a push token (HTTP ${response.status}): ` +
        'that identity needs Owner, Contributor or AcrPush on the registry',
    );
  }
  return answer.refresh_token;
}
