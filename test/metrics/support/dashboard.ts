import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The Grafana dashboard shipped with the repository (README, Metrics). */
export const dashboardFile = resolve(__dirname, '../../../dashboards/gateway.json');

interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
  templating: { list: Array<{ name: string; type: string; allValue?: string; definition?: string }> };
}

/**
 * Every PromQL query of the dashboard as Prometheus itself would run it: Grafana's variables
 * replaced by what Grafana sends (`$route` at "All" by its allValue, `$__rate_interval` by a
 * minute), and the route variable's `label_values(metric, label)` as the query it stands for.
 */
export function dashboardQueries(): Array<{ panel: string; expr: string }> {
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as Dashboard;
  const variables = dashboard.templating.list.filter(({ type }) => type === 'query');
  const substitute = (expr: string) =>
    variables
      .reduce((text, { name, allValue }) => text.replaceAll(`$${name}`, allValue ?? '.+'), expr)
      .replaceAll('$__rate_interval', '1m');
  const variableQueries = variables.map(({ name, definition }) => {
    const match = /^label_values\((\w+), (\w+)\)$/.exec(definition ?? '');
    if (!match) throw new Error(`dashboard variable ${name}: '${definition}' is not label_values(metric, label)`);
    return { panel: `variable ${name}`, expr: `count by (${match[2]}) (${match[1]})` };
  });
  return [
    ...variableQueries,
    ...dashboard.panels.flatMap(({ title, targets }) => targets.map(({ expr }) => ({ panel: title, expr: substitute(expr) }))),
  ];
}
