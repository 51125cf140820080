import { Server, type Socket } from 'socket.io';
import type { Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import type { RedisService } from '../redis/redis.service.js';
import type { ChannelDefinition, ChannelRegistry } from './channel-registry.js';
import { ChannelService } from './channel.service.js';
import { RealtimeServer } from './realtime.server.js';

describe('ChannelService.localRooms', () => {
  let io: Server;
  let realtime: RealtimeServer;
  let sut: ChannelService;

  beforeEach(() => {
    // Not attached to an HTTP server: the adapter's room bookkeeping is all this needs.
    io = new Server();
    realtime = new RealtimeServer();
    sut = new ChannelService({} as ChannelRegistry, realtime, { enabled: false } as RedisService);
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
  /** A socket that notes what happens to it, in order. */
  function socketOf(steps: string[]): Socket {
    return {
      data: { principal },
      join: (room: string) => void steps.push(`join ${room}`),
      leave: (room: string) => void steps.push(`leave ${room}`),
      emit: (event: string) => void steps.push(`emit ${event}`),
    } as unknown as Socket;
  }
  /**
   * A service whose one channel notes each check and read in `steps`: `authorize` refuses its `refuseCheck`th call;
   * the snapshot (when `withSnapshot`) answers how many it has read, or refuses when `refuseSnapshot`.
   */
  function serviceWith(
    steps: string[],
    options: { withSnapshot?: boolean; refuseCheck?: number; refuseSnapshot?: boolean } = {},
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
    return new ChannelService(registry, new RealtimeServer(), { enabled: false } as RedisService);
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

  it('should not join, nor read, when the first check refuses', async () => {
    const steps: string[] = [];
    await expect(
      serviceWith(steps, { withSnapshot: true, refuseCheck: 1 }).subscribe(socketOf(steps), 'presence:x'),
    ).rejects.toBeInstanceOf(DomainException);
    expect(steps).toEqual(['authorize 1']);
  });
});
