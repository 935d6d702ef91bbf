import * as pulumi from '@pulumi/pulumi';
import { resolveMonitoring, type MonitoringArgs } from '../../components/monitoring.js';
import { fullKey, optionalString, parseJsonObject, readBoolean, setCommand } from './stack-config.js';

/**
 * The monitoring keys: `podMonitor` with `podMonitorLabels`, and `grafanaDashboard` with
 * `grafanaDashboardNamespace`, checked together here so that a mistake names the key before the
 * first resource is registered.
 */
export function readMonitoringConfig(config: pulumi.Config): MonitoringArgs {
  const labelsText = optionalString(config, 'podMonitorLabels');
  const args: MonitoringArgs = {
    podMonitor: readBoolean(config, 'podMonitor', false),
    podMonitorLabels: labelsText === undefined ? undefined : parseLabels(config, labelsText),
    grafanaDashboard: readBoolean(config, 'grafanaDashboard', false),
    grafanaDashboardNamespace: optionalString(config, 'grafanaDashboardNamespace'),
  };
  resolveMonitoring(args, (setting) => fullKey(config, setting));
  return args;
}

/** `podMonitorLabels`: a JSON object of label to value; the values are checked by resolveMonitoring. */
function parseLabels(config: pulumi.Config, text: string): Record<string, string> {
  const parsed = parseJsonObject(text);
  if (parsed === undefined) {
    throw new pulumi.RunError(
      `${fullKey(config, 'podMonitorLabels')} must be a JSON object of label to value, got ${JSON.stringify(text)}. ` +
        `Set it with: ${setCommand(config, 'podMonitorLabels', `'{"release":"kube-prometheus-stack"}'`)}`,
    );
  }
  return parsed as Record<string, string>;
}
