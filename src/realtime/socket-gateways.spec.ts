import {
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  Injectable,
  Module,
  SetMetadata,
} from '@nestjs/common';
import { APP_GUARD, APP_PIPE, DiscoveryModule, Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { Ack, ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { IsInt, Max } from 'class-validator';
import { EventEmitter } from 'node:events';
import type { Event, Socket } from 'socket.io';
import { DomainException } from '../common/domain.exception.js';
import { InFlight } from '../common/in-flight.js';
import { createValidationPipe } from '../common/validation.js';
import { RealtimeGateway } from './realtime-gateway.decorator.js';
import { SocketGateways } from './socket-gateways.js';

class CountDto {
  @IsInt()
  @Max(10)
  n!: number;
}

const ADMIN_ONLY = 'test:admin-only';

/** Stands for the app's WsJwtGuard: reads the socket and the handler's metadata from the WS context. */
@Injectable()
class RoleGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'ws') return true;
    const role = (context.switchToWs().getClient<Socket>().data as { role: string }).role;
    if (this.reflector.get<boolean>(ADMIN_ONLY, context.getHandler()) && role !== 'admin') {
      throw DomainException.forbidden();
    }
    return true;
  }
}

const hooks: string[] = [];
let release: () => void = () => undefined;

@RealtimeGateway()
class CountGateway {
  afterInit(): void {
    hooks.push('count:init');
  }

  handleConnection(socket: Socket): void {
    hooks.push(`count:connect:${socket.id}`);
  }

  @SubscribeMessage('count')
  count(@MessageBody() dto: CountDto, @ConnectedSocket() socket: Socket): { n: number; by: string } {
    return { n: dto.n + 1, by: socket.id };
  }

  @SubscribeMessage('nothing')
  nothing(): void {}

  @SetMetadata(ADMIN_ONLY, true)
  @SubscribeMessage('admin:only')
  adminOnly(): { secret: number } {
    return { secret: 42 };
  }

  @SubscribeMessage('manual')
  manual(@Ack() ack: (answer: unknown) => void): { ignored: boolean } {
    ack({ answeredBy: 'handler' });
    return { ignored: true };
  }

  @SubscribeMessage('slow')
  slow(): Promise<{ done: boolean }> {
    return new Promise((resolve) => (release = () => resolve({ done: true })));
  }
}

@RealtimeGateway()
class FailingGateway {
  handleDisconnect(socket: Socket): Promise<void> {
    hooks.push(`failing:disconnect:${socket.id}`);
    return Promise.reject(new Error('cleanup failed'));
  }

  @SubscribeMessage('boom')
  boom(): never {
    throw new Error('a bug');
  }
}

type FakeSocket = EventEmitter & { id: string; connected: boolean; data: { role: string }; sent: unknown[][] };

function fakeSocket(id: string, role = 'user'): FakeSocket {
  const socket = Object.assign(new EventEmitter(), { id, connected: true, data: { role }, sent: [] as unknown[][] });
  // What the filter emits to the client (`error`), recorded rather than dispatched.
  socket.emit = (...args: unknown[]) => (socket.sent.push(args), true);
  return socket;
}

const apps: INestApplication[] = [];

async function wiredGateways(...gateways: Array<new () => object>): Promise<SocketGateways> {
  @Module({
    imports: [DiscoveryModule],
    providers: [
      ...gateways,
      InFlight,
      SocketGateways,
      { provide: APP_PIPE, useFactory: createValidationPipe },
      { provide: APP_GUARD, useClass: RoleGuard },
    ],
  })
  class TestModule {}
  const moduleRef = await Test.createTestingModule({ imports: [TestModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  apps.push(app);
  await app.init();
  return app.get(SocketGateways);
}

/** A client event as Socket.IO hands it to the packet middleware, with an acknowledgement that records answers. */
function send(sut: SocketGateways, socket: FakeSocket, event: string, ...args: unknown[]): unknown[] {
  const acks: unknown[] = [];
  sut.dispatch(socket as unknown as Socket, [event, ...args, (answer: unknown) => acks.push(answer)] as Event);
  return acks;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('SocketGateways', () => {
  let sut: SocketGateways;

  beforeEach(async () => {
    hooks.length = 0;
    sut = await wiredGateways(CountGateway, FailingGateway);
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('should run a handler with its body validated and its socket, and answer {ok: true, data}', async () => {
    const socket = fakeSocket('s1');
    const acks = send(sut, socket, 'count', { n: 2 });
    await settle();
    expect(acks).toEqual([{ ok: true, data: { n: 3, by: 's1' } }]);
    expect(sut.handles('count')).toBe(true);
    expect(sut.handles('unknown')).toBe(false);
  });

  it('should answer {} for a handler that returns nothing', async () => {
    const acks = send(sut, fakeSocket('s1'), 'nothing');
    await settle();
    expect(acks).toEqual([{ ok: true, data: {} }]);
  });

  it('should leave the acknowledgement to a handler that takes it with @Ack()', async () => {
    const acks = send(sut, fakeSocket('s1'), 'manual', {});
    await settle();
    expect(acks).toEqual([{ answeredBy: 'handler' }]);
  });

  it('should answer VALIDATION_FAILED through the exception filter, and emit `error` with the event', async () => {
    const socket = fakeSocket('s1');
    const acks = send(sut, socket, 'count', { n: 11 });
    await settle();
    expect(acks).toEqual([
      {
        ok: false,
        error: expect.objectContaining({
          code: 'VALIDATION_FAILED',
          details: [expect.objectContaining({ field: 'n' })],
        }),
      },
    ]);
    expect(socket.sent).toEqual([['error', expect.objectContaining({ code: 'VALIDATION_FAILED', event: 'count' })]]);
  });

  it('should apply the global guards with the handler’s metadata', async () => {
    const user = send(sut, fakeSocket('u', 'user'), 'admin:only');
    const admin = send(sut, fakeSocket('a', 'admin'), 'admin:only');
    await settle();
    expect(user).toEqual([{ ok: false, error: expect.objectContaining({ code: 'FORBIDDEN' }) }]);
    expect(admin).toEqual([{ ok: true, data: { secret: 42 } }]);
  });

  it('should answer a handler’s bug as INTERNAL with a correlation id and no detail', async () => {
    const acks = send(sut, fakeSocket('s1'), 'boom');
    await settle();
    expect(acks).toEqual([
      {
        ok: false,
        error: { code: 'INTERNAL', message: expect.stringMatching(/^Internal server error \(.+\)$/) },
      },
    ]);
  });

  it('should count an event in flight until it is answered, and refuse new ones while draining', async () => {
    const inFlight = (sut as unknown as { inFlight: InFlight }).inFlight;
    const acks = send(sut, fakeSocket('s1'), 'slow');
    expect(inFlight.size).toBe(1);
    inFlight.draining = true;
    const refusedSocket = fakeSocket('s2');
    const refused = send(sut, refusedSocket, 'count', { n: 1 });
    const message = 'This instance is shutting down; retry';
    expect(refused).toEqual([{ ok: false, error: { code: 'SERVICE_UNAVAILABLE', message } }]);
    // As every failure: also emitted to the socket as `error` (contract, "Conventions").
    expect(refusedSocket.sent).toEqual([['error', { code: 'SERVICE_UNAVAILABLE', message, event: 'count' }]]);
    // Without an acknowledgement the client still hears of it.
    const noAck = fakeSocket('s3');
    sut.dispatch(noAck as unknown as Socket, ['count', { n: 1 }] as Event);
    expect(noAck.sent).toEqual([['error', { code: 'SERVICE_UNAVAILABLE', message, event: 'count' }]]);
    expect(inFlight.size).toBe(1);
    const idle = inFlight.idle(1000);
    await settle(); // the guards and pipes run first
    release();
    expect(await idle).toBe(true);
    expect([inFlight.size, acks]).toEqual([0, [{ ok: true, data: { done: true } }]]);
  });

  it('should run nothing for a packet that arrives once the socket is disconnected', async () => {
    const socket = fakeSocket('s1');
    socket.connected = false;
    const acks = send(sut, socket, 'count', { n: 1 });
    await settle();
    expect(acks).toEqual([]);
  });

  it('should pass the hooks on to the gateways that have them, a failing one logged and not thrown', async () => {
    const socket = fakeSocket('s1') as unknown as Socket;
    sut.handleConnection(socket);
    sut.handleDisconnect(socket);
    await settle();
    expect(hooks).toEqual(['count:init', 'count:connect:s1', 'failing:disconnect:s1']);
  });

  it('should refuse to start when two gateways handle one event', async () => {
    @RealtimeGateway()
    class AnotherCount {
      @SubscribeMessage('count')
      count(): void {}
    }
    await expect(wiredGateways(CountGateway, AnotherCount)).rejects.toThrow(
      'Two gateways handle the socket event "count"',
    );
  });

  it('should refuse to start beside a Nest @WebSocketGateway, which would bind its handlers to every socket', async () => {
    @WebSocketGateway()
    class NestWired {}
    await expect(wiredGateways(CountGateway, NestWired)).rejects.toThrow(
      'NestWired is a Nest @WebSocketGateway: mark it @RealtimeGateway() instead',
    );
  });
});
