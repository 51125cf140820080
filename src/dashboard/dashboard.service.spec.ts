import type { SchedulerRegistry } from '@nestjs/schedule';
import type { DataSource } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { ErrorCode } from '../common/error-codes.js';
import { AppConfig } from '../config/app-config.js';
import type { ChannelRegistry } from '../realtime/channel-registry.js';
import type { PresenceService } from '../realtime/presence.service.js';
import type { RealtimePublisher } from '../realtime/realtime.publisher.js';
import type { ChannelService } from '../realtime/channel.service.js';
import { DashboardEvents } from './dashboard-events.js';
import { DashboardRepository } from './dashboard.repository.js';
import { DashboardService } from './dashboard.service.js';
import type { StatsClock } from './stats-clock.js';

const { jest } = import.meta;

const USER = '0a000000-0000-4000-8000-000000000001';
const NOW = new Date('2025-11-22T10:00:00.000Z');
const COUNTS = {
  users_total: 10,
  users_active: 4,
  users_new_this_month: 2,
  sessions_total: 7,
  sessions_active: 1,
  sessions_pending: 2,
  sessions_ended_today: 3,
  workstations_total: 5,
  workstations_available: 2,
  workstations_occupied: 1,
  workstations_offline: 2,
  db_now: NOW,
};
/** The Stats that COUNTS and the presence below make. */
const STATS = {
  users: { total: 10, active: 4, newThisMonth: 2 },
  sessions: { total: 7, active: 1, pending: 2, endedToday: 3 },
  workstations: { total: 5, available: 2, occupied: 1, offline: 2 },
  realtime: { connections: 6, onlineUsers: 3 },
  timestamp: NOW.toISOString(),
};

const flushPromises = () => new Promise((resolve) => setImmediate(resolve));

describe(DashboardService.name, () => {
  let sut: DashboardService;
  let query: jest.Mock;
  let clock: { changed: jest.Mock; claim: jest.Mock };
  let publisher: { publish: jest.Mock };
  let rooms: Map<string, Set<string>>;
  let events: DashboardEvents;
  let presenceListener: () => void;
  let presence: { stats: jest.Mock; onlineUserIds: jest.Mock; onChange: (listener: () => void) => void };
  let channels: { ready: boolean; reachesOtherInstances: boolean; hasLocalMembers: (room: string) => boolean };

  beforeEach(() => {
    query = jest.fn(async () => [COUNTS]);
    clock = { changed: jest.fn(async () => undefined), claim: jest.fn() };
    publisher = { publish: jest.fn() };
    rooms = new Map();
    events = new DashboardEvents();
    presence = {
      stats: jest.fn(async () => ({ connections: 6, onlineUsers: 3 })),
      onlineUserIds: jest.fn(async () => [USER]),
      onChange: (listener: () => void) => (presenceListener = listener),
    };
    channels = {
      ready: true,
      reachesOtherInstances: true,
      hasLocalMembers: (room: string) => (rooms.get(room)?.size ?? 0) > 0,
    };
    sut = new DashboardService(
      new DashboardRepository({ query } as unknown as DataSource),
      new AppConfig({ DASHBOARD_INTERVAL_MS: '1000' }),
      presence as unknown as PresenceService,
      { register: jest.fn() } as unknown as ChannelRegistry,
      publisher as unknown as RealtimePublisher,
      channels as unknown as ChannelService,
      clock as unknown as StatsClock,
      events,
      {} as SchedulerRegistry,
    );
    sut.onModuleInit();
  });
  afterEach(() => jest.restoreAllMocks());

  it('should answer the Stats from one counting statement and presence', async () => {
    expect(await sut.stats()).toEqual(STATS);
    expect(query).toHaveBeenCalledTimes(1);
    expect(query).toHaveBeenCalledWith(expect.stringContaining("date_trunc('month', now(), 'UTC')"), [[USER]]);
  });

  it('should answer the presence figures last read while cut off from the other instances', async () => {
    await sut.stats();
    channels.reachesOtherInstances = false;
    presence.stats.mockRejectedValue(new Error('Redis is down'));
    query.mockResolvedValueOnce([{ ...COUNTS, sessions_active: 0 }]);
    // Fresh counts from Postgres; presence as last read, without asking Redis.
    expect(await sut.stats()).toEqual({ ...STATS, sessions: { ...STATS.sessions, active: 0 } });
    expect(presence.stats).toHaveBeenCalledTimes(1);
    expect(query).toHaveBeenLastCalledWith(expect.any(String), [[USER]]);
  });

  it('should fail, cut off from the other instances, when it never read their presence', async () => {
    channels.reachesOtherInstances = false;
    presence.stats.mockRejectedValue(new Error('Redis is down'));
    await expect(sut.stats()).rejects.toThrow('Redis is down');
  });

  it('should refuse the Stats to anyone but an admin', async () => {
    const user: Principal = { id: USER, role: 'user', tokenVersion: 0, expiresAt: Date.now() + 60_000 };
    await expect(sut.read(user)).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    expect(query).not.toHaveBeenCalled();
  });

  it('should do nothing without changes or subscribers', async () => {
    await sut.flush();
    expect(clock.claim).not.toHaveBeenCalled();
  });

  it('should publish once it claims the period after a change', async () => {
    events.changed();
    await flushPromises();
    clock.claim.mockResolvedValueOnce({ claim: true });
    await sut.flush();
    expect(clock.changed).toHaveBeenCalledTimes(1);
    expect(clock.claim).toHaveBeenCalledWith(false);
    expect(publisher.publish).toHaveBeenCalledWith('dashboard', 'stats_update', STATS);
    // Covered: nothing more to do.
    await sut.flush();
    expect(clock.claim).toHaveBeenCalledTimes(1);
  });

  it('should wait for the period the clock names, then try again', async () => {
    presenceListener();
    await flushPromises();
    clock.claim.mockResolvedValueOnce({ claim: false, retryInMs: 60_000 });
    await sut.flush();
    await sut.flush();
    expect(clock.claim).toHaveBeenCalledTimes(1);
    expect(publisher.publish).not.toHaveBeenCalled();
  });

  it('should drop changes that another instance already announced', async () => {
    events.changed();
    await flushPromises();
    clock.claim.mockResolvedValueOnce({ claim: false, retryInMs: null });
    await sut.flush();
    await sut.flush();
    expect(clock.claim).toHaveBeenCalledTimes(1);
    expect(publisher.publish).not.toHaveBeenCalled();
  });

  it('should publish the changes of a claimed period whose counts could not be read, once they can', async () => {
    events.changed();
    await flushPromises();
    clock.claim.mockResolvedValue({ claim: true });
    query.mockRejectedValueOnce(new Error('Connection terminated unexpectedly'));
    await expect(sut.flush()).rejects.toThrow('Connection terminated');
    expect(publisher.publish).not.toHaveBeenCalled();
    // The period the clock names is over: the change is still owed, and goes out.
    jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 1000);
    await sut.flush();
    expect(publisher.publish).toHaveBeenCalledWith('dashboard', 'stats_update', STATS);
    // The shared clock heard of it again, so that whichever instance claims next publishes it.
    expect(clock.changed).toHaveBeenCalledTimes(2);
  });

  it('should not drop a change that the shared clock could not record', async () => {
    clock.changed.mockRejectedValueOnce(new Error('Connection is closed'));
    events.changed();
    await flushPromises();
    clock.claim.mockResolvedValue({ claim: true });
    await sut.flush();
    expect(clock.changed).toHaveBeenCalledTimes(2);
    expect(publisher.publish).toHaveBeenCalledWith('dashboard', 'stats_update', STATS);
  });

  it('should ask for a heartbeat while this instance has a subscriber', async () => {
    rooms.set('dashboard', new Set(['socket']));
    clock.claim.mockResolvedValueOnce({ claim: true });
    await sut.flush();
    expect(clock.claim).toHaveBeenCalledWith(true);
    expect(publisher.publish).toHaveBeenCalledTimes(1);
  });
});
