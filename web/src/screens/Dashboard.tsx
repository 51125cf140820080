// Admin dashboard: live tiles from the `dashboard` channel (snapshot, then stats_update) and a uPlot time series
// of connections and online users over the last minutes.
import { channels, type StatsPayload } from '@realtime-hub/client';
import { useChannel } from '@realtime-hub/client/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api } from '../api';
import { ListState } from '../components/ListState';
import { useSignedIn } from '../session';
import i18n, { timeOf } from '../i18n';
import { useLoad } from '../list';

const WINDOW_SECONDS = 10 * 60;
/** Tick steps of the count axis: whole numbers only. */
const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000];

interface Point {
  t: number;
  connections: number;
  onlineUsers: number;
}

function seriesOf(points: Point[]): uPlot.AlignedData {
  return [points.map((p) => p.t), points.map((p) => p.connections), points.map((p) => p.onlineUsers)];
}

function Tile({ id, title, value, detail }: { id: string; title: string; value: number; detail: string }) {
  return (
    <section className="tile" aria-labelledby={`tile-${id}`}>
      <h2 id={`tile-${id}`}>{title}</h2>
      <p className="big">{value}</p>
      <p>{detail}</p>
    </section>
  );
}

export function Dashboard() {
  const { client } = useSignedIn();
  const { t } = useTranslation();
  const [stats, setStats] = useState<StatsPayload>();
  const [points, setPoints] = useState<Point[]>([]);
  const chartBox = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot>(undefined);
  const pointsRef = useRef<Point[]>([]);

  const take = useCallback((next: StatsPayload) => {
    // The newest by its time: an update computed before a snapshot can reach the page after it.
    setStats((current) => (current && current.timestamp > next.timestamp ? current : next));
    const t0 = Date.parse(next.timestamp) / 1000;
    setPoints((list) => {
      // Within a second of another point (a snapshot and an update of the same moment), the newer of the two stays:
      // the chart shows a second as one point, its latest.
      if (list.some((p) => Math.abs(p.t - t0) < 1 && p.t > t0)) return list;
      return [
        ...list.filter((p) => Math.abs(p.t - t0) >= 1),
        { t: t0, connections: next.realtime.connections, onlineUsers: next.realtime.onlineUsers },
      ]
        .filter((p) => p.t > t0 - WINDOW_SECONDS)
        .sort((a, b) => a.t - b.t);
    });
  }, []);
  useChannel(client, channels.dashboard(), { snapshot: take, stats_update: take });
  // The first counts are also read over REST, asked again until they come: while the server is out of reach the
  // channel says nothing, and the screen says why it has no count (with a retry) rather than "Loading…" for good.
  const load = useLoad(
    useCallback(() => api<StatsPayload>(client, 'GET', '/api/v1/dashboard/stats'), [client]),
    take,
  );

  useEffect(() => {
    const box = chartBox.current;
    if (!box) return undefined;
    // A count holds its value until the next update (at most one a second, at least one every heartbeat).
    const steps = uPlot.paths.stepped?.({ align: 1 });
    /** A time of the chart (seconds) in the app's language, to the minute unless the axis steps by seconds. */
    const clock = (seconds: number, withSeconds: boolean) =>
      new Date(seconds * 1000).toLocaleTimeString(i18n.language, {
        hour: 'numeric',
        minute: '2-digit',
        ...(withSeconds ? { second: '2-digit' } : {}),
      });
    const widthOf = (width: number) => Math.max(200, Math.floor(width));
    const plot = new uPlot(
      {
        width: widthOf(box.clientWidth),
        height: 220,
        series: [
          {
            label: t('dashboard.time'),
            // As the "updated at" line says it.
            value: (_self, seconds) => (seconds == null ? '--' : timeOf(new Date(seconds * 1000).toISOString())),
          },
          // Each update shows as a point while they are sparse (uPlot's default): the first one, alone, has no line yet.
          { label: t('dashboard.connections'), stroke: '#1d4ed8', width: 2, paths: steps },
          { label: t('dashboard.onlineUsers'), stroke: '#047857', width: 2, paths: steps },
        ],
        scales: {
          // Always the whole window, ending at the latest point (now, before the first one). Not from uPlot's own
          // range: for a single point it is a day wide, counted in milliseconds (1,000 days of seconds).
          x: {
            time: true,
            range: (self) => {
              const times = self.data[0];
              const end = times.length > 0 ? times[times.length - 1] : Date.now() / 1000;
              return [end - WINDOW_SECONDS, end];
            },
          },
          // Counts from zero.
          y: { range: (_self, _min, max) => [0, Math.max(2, Math.ceil((Number.isFinite(max) ? max : 0) * 1.1))] },
        },
        axes: [
          {
            values: (_self, splits, _axis, _space, step) =>
              splits.map((seconds) => clock(seconds, step < 60 || seconds % 60 !== 0)),
          },
          { label: t('dashboard.count'), incrs: COUNT_STEPS },
        ],
      },
      [[], [], []],
      box,
    );
    chart.current = plot;
    // Rebuilt (the language changed): the points so far, not an empty chart until the next update.
    plot.setData(seriesOf(pointsRef.current));
    // The chart follows its box's width: a narrower window, a phone turned, leaves no page wider than the screen.
    const resized = new ResizeObserver(([entry]) => {
      const width = widthOf(entry.contentRect.width);
      if (width !== plot.width) plot.setSize({ width, height: 220 });
    });
    resized.observe(box);
    return () => {
      resized.disconnect();
      plot.destroy();
      chart.current = undefined;
    };
  }, [t]);
  useEffect(() => {
    pointsRef.current = points;
    chart.current?.setData(seriesOf(points));
  }, [points]);

  return (
    <div className="page">
      <h1>{t('dashboard.title')}</h1>
      {stats ? (
        <div className="tiles">
          <Tile
            id="users"
            title={t('dashboard.users')}
            value={stats.users.total}
            detail={t('dashboard.usersDetail', {
              active: t('dashboard.activeUsers', { count: stats.users.active }),
              fresh: t('dashboard.newUsers', { count: stats.users.newThisMonth }),
            })}
          />
          <Tile
            id="connections"
            title={t('dashboard.connections')}
            value={stats.realtime.connections}
            detail={t('dashboard.connectionsDetail', { count: stats.realtime.onlineUsers })}
          />
          <Tile
            id="sessions"
            title={t('dashboard.sessions')}
            value={stats.sessions.active}
            detail={t('dashboard.sessionsDetail', {
              active: t('dashboard.sessionsActive', { count: stats.sessions.active }),
              pending: t('dashboard.pendingSessions', { count: stats.sessions.pending }),
              ended: t('dashboard.endedToday', { count: stats.sessions.endedToday }),
            })}
          />
          <Tile
            id="workstations"
            title={t('dashboard.workstations')}
            value={stats.workstations.total}
            detail={(['available', 'occupied', 'offline'] as const)
              .map((status) => t(`dashboard.${status}`, { count: stats.workstations[status] }))
              .join(', ')}
          />
        </div>
      ) : (
        <ListState load={load} empty />
      )}
      <figure className="chart">
        <figcaption>{t('dashboard.chart')}</figcaption>
        <div ref={chartBox} />
      </figure>
      {stats && <p className="muted">{t('dashboard.updated', { at: timeOf(stats.timestamp) })}</p>}
    </div>
  );
}
