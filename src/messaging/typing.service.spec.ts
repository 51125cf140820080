import type { DataSource } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import type { AppConfig } from '../config/app-config.js';
import type { RealtimePublisher } from '../realtime/realtime.publisher.js';
import type { ChannelService } from '../realtime/channel.service.js';
import type { RedisService } from '../redis/redis.service.js';
import type { MessagingRepository } from './messaging.repository.js';
import { TypingService } from './typing.service.js';
import { SchedulerRegistry } from '@nestjs/schedule';

// ESM specs have no global `jest` object; Jest exposes it here.
const { jest } = import.meta;

const CONVERSATION = '11111111-1111-4111-8111-111111111111';
const ALICE = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const alice: Principal = { id: ALICE, role: 'user', tokenVersion: 0, expiresAt: Date.now() + 3_600_000 };

describe(TypingService.name, () => {
  let sut: TypingService;
  let publish: jest.Mock;
  let remainingSockets: unknown[];
  let requireMember: jest.Mock;

  beforeEach(() => {
    jest.useFakeTimers();
    publish = jest.fn();
    remainingSockets = [];
    requireMember = jest.fn().mockResolvedValue({});
    const rooms = { principalsIn: async () => remainingSockets } as unknown as ChannelService;
    sut = new TypingService(
      { typingTimeoutMs: 500 } as AppConfig,
      { enabled: false } as RedisService,
      { publish } as unknown as RealtimePublisher,
      rooms,
      { requireMember } as unknown as MessagingRepository,
      { manager: {} } as unknown as DataSource,
      new SchedulerRegistry(),
    );
  });

  afterEach(() => {
    sut.onModuleDestroy();
    jest.useRealTimers();
  });

  const typingEvents = () => publish.mock.calls.map((call) => (call[2] as { isTyping: boolean }).isTyping);
  const type = (isTyping: boolean) => sut.update(alice, { conversationId: CONVERSATION, isTyping });

  it('should publish a passed true to the conversation, except to the typist', async () => {
    expect(await type(true)).toEqual({});
    expect(publish).toHaveBeenCalledWith(
      `conversation:${CONVERSATION}`,
      'typing',
      { conversationId: CONVERSATION, userId: ALICE, isTyping: true },
      { exceptRooms: [`principal:user:${ALICE}`] },
    );
  });

  it('should check membership first', async () => {
    requireMember.mockRejectedValueOnce(new Error('FORBIDDEN'));
    await expect(type(true)).rejects.toThrow('FORBIDDEN');
    expect(publish).not.toHaveBeenCalled();
  });

  it('should drop further trues within 1000 ms and pass one after', async () => {
    await type(true);
    jest.advanceTimersByTime(400);
    await type(true);
    jest.advanceTimersByTime(400);
    await type(true);
    expect(typingEvents()).toEqual([true]);
    jest.advanceTimersByTime(300);
    await type(true);
    expect(typingEvents()).toEqual([true, true]);
  });

  it('should drop a true within 1000 ms of a passed one even when a false came between', async () => {
    await type(true);
    jest.advanceTimersByTime(200);
    await type(false);
    jest.advanceTimersByTime(200);
    await type(true);
    expect(typingEvents()).toEqual([true, false]);
    jest.advanceTimersByTime(700);
    await type(true);
    expect(typingEvents().filter((isTyping) => isTyping)).toEqual([true, true]);
    expect(typingEvents().at(-1)).toBe(true);
  });

  it('should always pass false', async () => {
    await type(false);
    await type(true);
    await type(false);
    await type(false);
    expect(typingEvents()).toEqual([false, true, false, false]);
  });

  it('should send false once after the timeout since the last true, dropped trues included', async () => {
    await type(true);
    jest.advanceTimersByTime(400);
    await type(true); // dropped, but the typist is still typing
    await jest.advanceTimersByTimeAsync(400);
    expect(typingEvents()).toEqual([true]);
    await jest.advanceTimersByTimeAsync(200);
    expect(typingEvents()).toEqual([true, false]);
    await jest.advanceTimersByTimeAsync(5000);
    expect(typingEvents()).toEqual([true, false]);
  });

  it('should not send a timeout false after a client false', async () => {
    await type(true);
    await type(false);
    await jest.advanceTimersByTimeAsync(2000);
    expect(typingEvents()).toEqual([true, false]);
  });

  it("should send false when the typist's last socket leaves, not while another remains", async () => {
    await type(true);
    remainingSockets = [{}];
    await sut.socketLeft(ALICE);
    expect(typingEvents()).toEqual([true]);
    remainingSockets = [];
    await sut.socketLeft(ALICE);
    expect(typingEvents()).toEqual([true, false]);
    await jest.advanceTimersByTimeAsync(2000);
    expect(typingEvents()).toEqual([true, false]);
  });

  it('should clear silently when the user was not typing', async () => {
    await sut.clear(CONVERSATION, ALICE);
    await sut.socketLeft(ALICE);
    expect(publish).not.toHaveBeenCalled();
  });
});
