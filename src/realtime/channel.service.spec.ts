import { Server, type Socket } from 'socket.io';
import type { Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import type { AppConfig } from '../config/app-config.js';
import type { RedisService } from '../redis/redis.service.js';
import type { ChannelDefinition, ChannelRegistry } from './channel-registry.js';
import { ChannelService } from './channel.service.js';
import { RealtimeServer } from './realtime.server.js';

/** The configuration the service reads: the most channels a socket may be in. */
function configWith(channelsPerSocket: number): AppConfig {
  return { limits: { channelsPerSocket } } as AppConfig;
}

describe('ChannelService.localRooms', () => {
  let io: Server;
  let realtime: RealtimeServer;
  let sut: ChannelService;

  beforeEach(() => {
    // Not attached to an HTTP server: the adapter's room bookkeeping is all this needs.
    io = new Server();
    realtime = new RealtimeServer();
    sut = new ChannelService({} as ChannelRegistry, realtime, { enabled: false } as RedisService, configWith(1000));
  });

  it('should answer none before the socket server is up', () => {
    expect([...sut.localRooms('principal:workstation:')]).toEqual([]);
  });

  it("should follow this instance's rooms of a prefix as sockets join and leave, after one first scan", () => {
    realtime.attach(io);
    const adapter = io.sockets.adapter;
    adapter.addAll('s1', new Set(['s1', 'principal:workstation:a', 'principal:user:u']));
    const rooms = sut.localRooms('principal:workstation:');
    expect([...rooms]).toEqual(['principal:workstation:a']);

    adapter.addAll('s2', new Set(['s2', 'principal:workstation:b', 'principal:workstation:a']));
    expect([...sut.localRooms('principal:workstation:')].sort()).toEqual([
      'principal:workstation:a',
      'principal:workstation:b',
    ]);
    // A room stays while one socket is still in it.
    adapter.del('s1', 'principal:workstation:a');
    expect(sut.localRooms('principal:workstation:').has('principal:workstation:a')).toBe(true);
    adapter.delAll('s2');
    expect([...sut.localRooms('principal:workstation:')]).toEqual([]);
    // Another prefix has its own set, scanned from what is there now.
    expect([...sut.localRooms('principal:user:')]).toEqual(['principal:user:u']);
  });
});

describe('ChannelService.subscribe', () => {
  const principal = { id: 'u1', role: 'user' } as Principal;
  /** A socket in its own room, its account's (server-owned) and its user's, that notes what happens to it, in order. */
  function socketOf(steps: string[]): Socket {
    const rooms = new Set(['s1', 'principal:user:u1', 'user:u1']);
    return {
      id: 's1',
      rooms,
      connected: true,
      data: { principal },
      nsp: { adapter: {} },
      join: (room: string) => {
        rooms.add(room);
        steps.push(`join ${room}`);
      },
      leave: (room: string) => {
        rooms.delete(room);
        steps.push(`leave ${room}`);
      },
      emit: (event: string) => void steps.push(`emit ${event}`),
    } as unknown as Socket;
  }
  /**
   * A service whose one channel notes each check and read in `steps`: `authorize` refuses its `refuseCheck`th call;
   * the snapshot (when `withSnapshot`) answers how many it has read, or refuses when `refuseSnapshot`.
   */
  function serviceWith(
    steps: string[],
    options: { withSnapshot?: boolean; refuseCheck?: number; refuseSnapshot?: boolean; maxChannels?: number } = {},
  ): ChannelService {
    let checks = 0;
    let reads = 0;
    const definition: ChannelDefinition = {
      pattern: 'any',
      authorize: async () => {
        checks += 1;
        steps.push(`authorize ${checks}`);
        if (checks === options.refuseCheck) throw DomainException.forbidden();
      },
    };
    if (options.withSnapshot) {
      definition.snapshot = async () => {
        reads += 1;
        steps.push(`snapshot ${reads}`);
        if (options.refuseSnapshot) throw DomainException.forbidden();
        return { version: reads };
      };
    }
    const registry = {
      resolve: (name: string) => ({ name, params: {}, definition }),
    } as unknown as ChannelRegistry;
    return new ChannelService(
      registry,
      new RealtimeServer(),
      { enabled: false } as RedisService,
      configWith(options.maxChannels ?? 1000),
    );
  }

  it('should check before joining, then read the snapshot once joined, and only then', async () => {
    const steps: string[] = [];
    await expect(serviceWith(steps, { withSnapshot: true }).subscribe(socketOf(steps), 'dashboard')).resolves.toEqual({
      channel: 'dashboard',
      snapshot: { version: 1 },
    });
    expect(steps).toEqual(['authorize 1', 'join dashboard', 'snapshot 1', 'emit subscribed']);
  });

  it('should check again once joined when the channel has no snapshot', async () => {
    const steps: string[] = [];
    await expect(serviceWith(steps).subscribe(socketOf(steps), 'suggestions')).resolves.toEqual({
      channel: 'suggestions',
    });
    expect(steps).toEqual(['authorize 1', 'join suggestions', 'authorize 2', 'emit subscribed']);
  });

  it('should leave the room again when the permission was withdrawn while it joined', async () => {
    for (const options of [{ withSnapshot: true, refuseSnapshot: true }, { refuseCheck: 2 }]) {
      const steps: string[] = [];
      await expect(serviceWith(steps, options).subscribe(socketOf(steps), 'presence:x')).rejects.toBeInstanceOf(
        DomainException,
      );
      const second = options.withSnapshot ? 'snapshot 1' : 'authorize 2';
      expect(steps).toEqual(['authorize 1', 'join presence:x', second, 'leave presence:x']);
    }
  });

  it('should not join a socket that disconnected while it was checked', async () => {
    const steps: string[] = [];
    const socket = socketOf(steps);
    const service = serviceWith(steps, { withSnapshot: true });
    const subscribed = service.subscribe(socket, 'dashboard');
    // The disconnect comes while the first check waits (each check is async).
    (socket as { connected: boolean }).connected = false;
    await subscribed;
    expect(steps).toEqual(['authorize 1']);
    expect(socket.rooms.has('dashboard')).toBe(false);
  });

  it('should not join, nor read, when the first check refuses', async () => {
    const steps: string[] = [];
    await expect(
      serviceWith(steps, { withSnapshot: true, refuseCheck: 1 }).subscribe(socketOf(steps), 'presence:x'),
    ).rejects.toBeInstanceOf(DomainException);
    expect(steps).toEqual(['authorize 1']);
  });

  it('should refuse a channel past WS_MAX_CHANNELS_PER_SOCKET with LIMIT_EXCEEDED, and take one the socket is in', async () => {
    const steps: string[] = [];
    // Three: the user's own room and two more (the socket's own and the server-owned rooms are not channels).
    const sut = serviceWith(steps, { maxChannels: 3 });
    const socket = socketOf(steps);
    await sut.subscribe(socket, 'a');
    await sut.subscribe(socket, 'b');
    await expect(sut.subscribe(socket, 'c')).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: 3 } });
    expect(steps).not.toContain('authorize 5');
    await expect(sut.subscribe(socket, 'a')).resolves.toEqual({ channel: 'a' });
    await sut.unsubscribe(socket, 'b');
    await expect(sut.subscribe(socket, 'c')).resolves.toEqual({ channel: 'c' });
    expect([...socket.rooms]).toEqual(['s1', 'principal:user:u1', 'user:u1', 'a', 'c']);
  });

  it('should count the channels being subscribed: of two sent at once with one place left, one is refused', async () => {
    const steps: string[] = [];
    const sut = serviceWith(steps, { withSnapshot: true, maxChannels: 2 });
    const socket = socketOf(steps);
    const answers = await Promise.allSettled([sut.subscribe(socket, 'x'), sut.subscribe(socket, 'y')]);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected']);
    expect([...socket.rooms]).toEqual(['s1', 'principal:user:u1', 'user:u1', 'x']);
    // A refused subscribe frees nothing it did not take: the place is taken by x until it leaves.
    await expect(sut.subscribe(socket, 'y')).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });
});
