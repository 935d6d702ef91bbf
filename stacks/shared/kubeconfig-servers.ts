/**
 * The API server addresses a kubeconfig names (its clusters' `server:` fields), sorted. They
 * identify the cluster: tokens and certificates in the file may rotate, the servers do not.
 * A kubeconfig is YAML (or JSON) whose `server` values are plain URLs, so a line match suffices
 * without a YAML parser.
 */
export function kubeconfigServers(kubeconfig: string): string[] {
  const servers = [...kubeconfig.matchAll(/["']?server["']?\s*:\s*["']?([^"'\s,}]+)/g)].map((match) => match[1]);
  return [...new Set(servers)].sort();
}
