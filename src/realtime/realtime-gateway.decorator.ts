import { DiscoveryService } from '@nestjs/core';

/**
 * Marks one of the app's gateways: a provider whose socket events (Nest's @SubscribeMessage and parameter
 * decorators) and hooks (`afterInit`, `handleConnection`, `handleDisconnect`) SocketGateways wires once for all
 * sockets (socket-gateways.ts). Its handlers pass the global guards and pipes; what a handler returns answers the
 * acknowledgement as `{ok: true, data}`, what it throws goes through the app's exception filter (`{ok: false,
 * error}` and an `error` event).
 */
export const RealtimeGateway = DiscoveryService.createDecorator<void>();
