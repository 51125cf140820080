// ChannelsGateway.handleDisconnect while Redis is unreachable: the presence update and the release of the socket's
// place both fail, one before the other; neither failure may go unhandled meanwhile (Node reports it, or exits on it).
import { Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { AppConfig } from '../config/app-config.js';
import { ChannelsGateway } from './channels.gateway.js';

const { jest } = import.meta;

describe(`${ChannelsGateway.name}.handleDisconnect`, () => {
  it('should handle the release failing while the presence update is still pending, and log both failures', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const lost = () => new Error('Reached the max retries per request limit');
      const released = Promise.reject(lost());
      const handled = jest.spyOn(released, 'then');
      const presence = { disconnected: () => new Promise((_, reject) => setTimeout(() => reject(lost()), 30)) };
      const quota = { release: () => released };
      const metrics = { socketsConnected: { dec: jest.fn() } };
      // Only what handleDisconnect uses: the presence service (6th), the metrics (7th) and the quota (8th).
      const Gateway = ChannelsGateway as unknown as new (...deps: unknown[]) => ChannelsGateway;
      const sut = new Gateway({ trustProxy: false } as AppConfig, {}, {}, {}, {}, presence, metrics, quota, {});
      const socket = { data: { principal: { id: 'u1', role: 'user' } } } as unknown as Socket;

      const done = sut.handleDisconnect(socket);
      // Before: the release's failure was only awaited once the presence update had settled, 30 ms later.
      expect(handled).toHaveBeenCalled();
      await done;
      expect(warn.mock.calls.map(([, message]) => message)).toEqual([
        'Presence update on disconnect failed',
        'Socket place release failed',
      ]);
    } finally {
      warn.mockRestore();
    }
  });
});
