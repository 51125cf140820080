import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsService } from './metrics.service.js';

const DASHBOARD = join(import.meta.dirname, '..', '..', 'deploy', 'grafana', 'realtime-hub.json');

interface Panel {
  title: string;
  targets: { expr: string }[];
}

describe('Grafana dashboard (deploy/grafana/realtime-hub.json)', () => {
  it('should query only metrics this server exports, so it cannot drift from the code', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
    const exported = new Set((await new MetricsService().registry.getMetricsAsJSON()).map((metric) => metric.name));
    const queried = dashboard.panels.flatMap((panel) =>
      panel.targets.flatMap((target) => target.expr.match(/\b(?:realtime|http)_[a-z_]+/g) ?? []),
    );
    expect(queried.length).toBeGreaterThan(8);
    const unknown = queried
      .map((name) => name.replace(/_(bucket|count|sum)$/, ''))
      .filter((name) => !exported.has(name));
    expect(unknown).toEqual([]);
  });
});
