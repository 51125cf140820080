import { Server } from 'socket.io';
import type { RedisService } from '../redis/redis.service.js';
import type { ChannelRegistry } from './channel-registry.js';
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
