// The app's socket events, wired once for every socket rather than once per socket.
//
// Each class marked @RealtimeGateway() declares its events with Nest's own decorators (@SubscribeMessage,
// @MessageBody, @ConnectedSocket, a custom parameter decorator, @Roles). At start-up each handler is wrapped once,
// with the guards, pipes and interceptors Nest applies to a gateway handler (Nest's public ExternalContextCreator,
// context type 'ws'), and kept by event name. A socket then carries nothing per handler: its packet middleware
// (socket-packets.ts) hands each event to `dispatch`. With Nest wiring every gateway itself, each socket held a
// function bound to it per handler and a disconnect closure per gateway (about 2 KB per socket; bench/README.md).
//
// SocketGateways is the app's one Nest gateway: Nest creates the Socket.IO server for it, and it forwards the
// server's init and each socket's connection and disconnection to the gateways that implement those hooks.
import { Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, ExternalContextCreator, MetadataScanner } from '@nestjs/core';
// Nest's own discovery of @SubscribeMessage handlers, its WS parameter factory, its arguments host, and the
// metadata keys of its WS decorators: not in the packages' index files, but part of their export maps.
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import type { ParamsFactory } from '@nestjs/core/helpers/external-context-creator.js';
import {
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  WebSocketGateway,
} from '@nestjs/websockets';
import { GATEWAY_METADATA, PARAM_ARGS_METADATA } from '@nestjs/websockets/constants.js';
import { WsParamsFactory } from '@nestjs/websockets/factories/ws-params-factory.js';
import { GatewayMetadataExplorer } from '@nestjs/websockets/gateway-metadata-explorer.js';
import type { Event, Server, Socket } from 'socket.io';
import { ErrorCode } from '../common/error-codes.js';
import { ExceptionsFilter } from '../common/exceptions.filter.js';
import { InFlight } from '../common/in-flight.js';
import { findUnsafeText, unsafeTextError } from '../common/validation.js';
import type { Ack } from './client-events.js';
import { RealtimeGateway } from './realtime-gateway.decorator.js';
import { refuse } from './socket-packets.js';

type Answer = (answer: Ack) => void;
type GatewayHooks = Partial<OnGatewayInit & OnGatewayConnection & OnGatewayDisconnect>;

interface EventHandler {
  /** The handler behind Nest's guards, pipes and interceptors; arguments as in a Nest gateway. */
  run: (socket: Socket, data: unknown, ack: Answer | undefined, event: string) => Promise<unknown>;
  /** The handler takes the acknowledgement itself (Nest's `@Ack()`): its result is not sent. */
  manualAck: boolean;
}

@WebSocketGateway()
export class SocketGateways implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnModuleInit {
  private readonly log = new Logger('SocketGateways');
  private readonly handlers = new Map<string, EventHandler>();
  private readonly gateways: GatewayHooks[] = [];
  /** The app's one exception filter (the same class answers REST errors): `{ok: false, error}` and `error`. */
  private readonly filter = new ExceptionsFilter();
  private server?: Server;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly contexts: ExternalContextCreator,
    private readonly inFlight: InFlight,
  ) {}

  /** Nest calls this once the server exists, before the app's init hooks; the gateways' own run in `onModuleInit`. */
  afterInit(server: Server): void {
    this.server = server;
  }

  /**
   * Wires the gateways, before any client can connect (Nest lets them in after the init hooks). Here rather than in
   * `afterInit`, which Nest runs inside an rxjs subscription: a wiring error (two gateways handling one event) fails
   * the app's start instead of surfacing later as an uncaught exception.
   */
  onModuleInit(): void {
    this.wire();
    const server = this.server;
    if (server) for (const gateway of this.gateways) gateway.afterInit?.(server);
  }

  handleConnection(socket: Socket): void {
    for (const gateway of this.gateways) {
      if (gateway.handleConnection) this.runHook('handleConnection', () => gateway.handleConnection?.(socket));
    }
  }

  handleDisconnect(socket: Socket): void {
    for (const gateway of this.gateways) {
      if (gateway.handleDisconnect) this.runHook('handleDisconnect', () => gateway.handleDisconnect?.(socket));
    }
  }

  /** Whether a gateway handles `event` (the packet middleware refuses the others). */
  handles(event: string): boolean {
    return this.handlers.has(event);
  }

  /**
   * Runs the handler of a client event (`[event, ...args, ack?]`, as Socket.IO hands it to a middleware) and
   * answers its acknowledgement: `{ok: true, data}` with what the handler returned, or the filter's `{ok: false,
   * error}`. Counted in flight until answered; refused while the instance drains (SERVICE_UNAVAILABLE, as refuse()).
   */
  dispatch(socket: Socket, packet: Event): void {
    const event = packet[0] as string;
    const handler = this.handlers.get(event);
    // As Socket.IO's own dispatch: nothing runs for a packet that arrived after the socket was disconnected.
    if (handler === undefined || !socket.connected) return;
    const args = packet.slice(1);
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Answer) : undefined;
    const data = args.length === 0 ? undefined : args.length === 1 ? args[0] : args;
    if (this.inFlight.draining) {
      // Shutting down: what is in flight finishes, nothing new starts; the client retries on another instance. Refused
      // as every other refusal is: the acknowledgement, and `error` to the socket (with or without an ack).
      refuse(socket, event, ack, ErrorCode.SERVICE_UNAVAILABLE, 'This instance is shutting down; retry');
      return;
    }
    this.inFlight.enter();
    void this.run(handler, socket, event, data, ack).finally(() => this.inFlight.leave());
  }

  private async run(
    handler: EventHandler,
    socket: Socket,
    event: string,
    data: unknown,
    ack: Answer | undefined,
  ): Promise<void> {
    let result: unknown;
    try {
      // U+0000 anywhere in the payload, whatever the handler reads of it (as UnsafeInputMiddleware for REST).
      const unsafe = findUnsafeText(data, '');
      if (unsafe) throw unsafeTextError(unsafe, 'payload');
      result = await handler.run(socket, data, ack, event);
    } catch (err) {
      // The arguments as a Nest gateway's exception filter sees them: the pattern last.
      const host = new ExecutionContextHost([socket, data, ack, event]);
      host.setType('ws');
      try {
        this.filter.catch(err, host);
      } catch (filterErr) {
        this.log.error({ err: filterErr, event }, 'The exception filter failed on a socket event');
      }
      return;
    }
    if (!handler.manualAck) ack?.({ ok: true, data: result ?? {} });
  }

  private wire(): void {
    const explorer = new GatewayMetadataExplorer(new MetadataScanner());
    // Its `data` is typed narrower than ExternalContextCreator's; WS parameter decorators only pass a string.
    const params = new WsParamsFactory() as unknown as ParamsFactory;
    for (const wrapper of this.discovery.getProviders()) {
      const { metatype } = wrapper;
      if (
        typeof metatype === 'function' &&
        metatype !== SocketGateways &&
        Reflect.hasMetadata(GATEWAY_METADATA, metatype)
      ) {
        // Nest would bind its handlers to every socket, which is what this class exists to avoid.
        throw new Error(`${metatype.name} is a Nest @WebSocketGateway: mark it @RealtimeGateway() instead`);
      }
    }
    for (const wrapper of this.discovery.getProviders({ metadataKey: RealtimeGateway.KEY })) {
      const gateway = wrapper.instance as object;
      this.gateways.push(gateway as GatewayHooks);
      for (const { message, methodName, callback, isAckHandledManually } of explorer.explore(gateway)) {
        const event = String(message);
        if (this.handlers.has(event)) throw new Error(`Two gateways handle the socket event "${event}"`);
        const run = this.contexts.create(
          gateway,
          callback,
          methodName,
          PARAM_ARGS_METADATA,
          params,
          undefined,
          undefined,
          { guards: true, interceptors: true, filters: false },
          'ws',
        ) as EventHandler['run'];
        this.handlers.set(event, { run, manualAck: isAckHandledManually });
        this.log.debug({ gateway: gateway.constructor.name, event }, 'Socket event wired');
      }
    }
  }

  private runHook(hook: string, call: () => unknown): void {
    const failed = (err: unknown) => this.log.error({ err, hook }, 'A gateway hook failed');
    try {
      const result = call();
      if (result instanceof Promise) result.catch(failed);
    } catch (err) {
      failed(err);
    }
  }
}
