/**
 * The labels the rehearsal puts on every container and network it creates, beside the pod's own
 * labels: to find them again, to remove them, and to tell a live rehearsal's from a dead one's.
 */
export const runLabel = 'books-gateway.rehearse/run';
/** The pid of the rehearsal process: a later run removes the objects of runs whose process is gone. */
export const pidLabel = 'books-gateway.rehearse/pid';
export const podLabel = 'books-gateway.rehearse/pod';
export const containerLabel = 'books-gateway.rehearse/container';
export const deploymentLabel = 'books-gateway.rehearse/deployment';

/** What every object of a run carries. */
export function runLabels(runId: string): Record<string, string> {
  return { [runLabel]: runId, [pidLabel]: String(process.pid) };
}

export function labelOptions(labels: Record<string, string>): string[] {
  return Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
}
