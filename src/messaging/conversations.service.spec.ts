// The rules of ConversationsService that need no database, with plain stubs: what is published for a create and an
// addition, only after the commit and never when the unit of work fails. The statements are checked in
// messaging.repository.spec.ts; the routes and events end to end in test/e2e/messaging.e2e-spec.ts.
import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { ErrorCode } from '../common/error-codes.js';
import type { AppConfig } from '../config/app-config.js';
import { unitOfWorkOver } from '../../test/helpers/unit-of-work.js';
import type { ChannelRegistry } from '../realtime/channel-registry.js';
import type { ChannelService } from '../realtime/channel.service.js';
import type { RealtimePublisher } from '../realtime/realtime.publisher.js';
import { ConversationsService } from './conversations.service.js';
import type { ConversationRow, MessagingRepository } from './messaging.repository.js';
import type { MemberView } from './messaging.types.js';
import type { TypingService } from './typing.service.js';

// ESM specs have no global `jest` object; Jest exposes it here.
const { jest } = import.meta;

const CONVERSATION = '11111111-1111-4111-8111-111111111111';
const ALICE = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const BOB = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const CAROL = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
const DAN = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';

const principal = (id: string): Principal => ({ id, role: 'user', tokenVersion: 0, expiresAt: Date.now() + 60_000 });

const row = (kind: 'direct' | 'group'): ConversationRow => ({
  id: CONVERSATION,
  kind,
  title: kind === 'group' ? 'Team' : null,
  lastSeq: 4,
  createdAt: '2025-01-01T00:00:00.000Z',
  activity: '2025-01-01T00:00:00.000000Z',
});

const member = (userId: string, lastReadSeq = 0): MemberView => ({
  userId,
  displayName: userId.slice(0, 1),
  lastReadSeq,
});

describe(ConversationsService.name, () => {
  const txManager = { name: 'tx' } as unknown as EntityManager;
  let sut: ConversationsService;
  let repository: { [K in keyof MessagingRepository]: jest.Mock };
  let publish: jest.Mock;
  /** 'commit' and every publish, in order. */
  let log: string[];
  let members: MemberView[];

  beforeEach(() => {
    log = [];
    members = [member(ALICE), member(BOB)];
    publish = jest.fn((channel: string, event: string) => log.push(`${event} ${channel}`));
    repository = {
      existingUsers: jest.fn(async (_m: EntityManager, ids: string[]) => ids),
      insertDirect: jest.fn(async () => CONVERSATION),
      findDirect: jest.fn(async () => CONVERSATION),
      insertGroup: jest.fn(async () => CONVERSATION),
      addMembers: jest.fn(async (_m: EntityManager, _id: string, ids: string[]) => ids),
      countMembers: jest.fn(async () => members.length),
      requireMember: jest.fn(async () => ({ conversation: row('group'), lastReadSeq: 4 })),
      findConversation: jest.fn(async () => row('group')),
      members: jest.fn(async () => new Map([[CONVERSATION, members]])),
      lastMessages: jest.fn(async () => new Map()),
    } as unknown as typeof repository;
    const uow = unitOfWorkOver(txManager, () => log.push('commit'));
    sut = new ConversationsService(
      { manager: { name: 'pool' } } as unknown as DataSource,
      uow,
      repository as unknown as MessagingRepository,
      { publish } as unknown as RealtimePublisher,
      {} as ChannelService,
      {} as ChannelRegistry,
      {} as TypingService,
      { limits: { conversationMembers: 3 } } as AppConfig,
    );
  });

  describe('create', () => {
    it('should create the direct conversation of a pair and tell both members after the commit', async () => {
      repository.findConversation.mockResolvedValue(row('direct'));
      const { value, created } = await sut.create(principal(ALICE), { memberIds: [BOB] });
      expect(created).toBe(true);
      expect(value).toMatchObject({ id: CONVERSATION, kind: 'direct', members });
      expect(repository.insertDirect).toHaveBeenCalledWith(txManager, `${ALICE}:${BOB}`, ALICE);
      expect(repository.addMembers).toHaveBeenCalledWith(txManager, CONVERSATION, [ALICE, BOB], 0);
      expect(log).toEqual(['commit', `conversation:added user:${ALICE}`, `conversation:added user:${BOB}`]);
    });

    it('should answer an existing direct conversation with created false, adding and publishing nothing', async () => {
      repository.insertDirect.mockResolvedValue(undefined);
      repository.findConversation.mockResolvedValue(row('direct'));
      const { value, created } = await sut.create(principal(ALICE), { memberIds: [BOB] });
      expect(created).toBe(false);
      expect(value.id).toBe(CONVERSATION);
      expect(repository.addMembers).not.toHaveBeenCalled();
      expect(publish).not.toHaveBeenCalled();
    });

    it('should make a group of the caller and the others, once each, when several others are named', async () => {
      members = [member(ALICE), member(BOB), member(CAROL)];
      await sut.create(principal(ALICE), { memberIds: [BOB, CAROL, BOB, ALICE] });
      expect(repository.insertGroup).toHaveBeenCalledWith(txManager, null, ALICE);
      expect(repository.addMembers).toHaveBeenCalledWith(txManager, CONVERSATION, [ALICE, BOB, CAROL], 0);
      expect(log.filter((entry) => entry.startsWith('conversation:added'))).toHaveLength(3);
      expect(log[0]).toBe('commit');
    });

    it('should refuse unknown users with VALIDATION_FAILED naming them, and publish nothing', async () => {
      repository.existingUsers.mockResolvedValue([BOB]);
      await expect(sut.create(principal(ALICE), { memberIds: [BOB, CAROL] })).rejects.toMatchObject({
        code: ErrorCode.VALIDATION_FAILED,
        details: [{ field: 'memberIds', errors: [expect.stringContaining(CAROL)] }],
      });
      expect(repository.insertGroup).not.toHaveBeenCalled();
      expect(publish).not.toHaveBeenCalled();
    });

    it('should refuse a list with no one else, and one past the member limit, before any transaction', async () => {
      await expect(sut.create(principal(ALICE), { memberIds: [ALICE] })).rejects.toMatchObject({
        code: ErrorCode.VALIDATION_FAILED,
      });
      await expect(sut.create(principal(ALICE), { memberIds: [BOB, CAROL, DAN] })).rejects.toMatchObject({
        code: ErrorCode.LIMIT_EXCEEDED,
        details: { limit: 3 },
      });
      expect(log).toEqual([]);
    });
  });

  describe('addMembers', () => {
    it('should add under the conversation lock and publish conversation:members and conversation:added after the commit', async () => {
      members = [member(ALICE), member(BOB), member(CAROL, 4)];
      const view = await sut.addMembers(principal(ALICE), CONVERSATION, { userIds: [CAROL, BOB] });
      expect(repository.requireMember).toHaveBeenCalledWith(txManager, CONVERSATION, ALICE, 'update');
      // New members start with the history read: their mark is the conversation's last seq.
      expect(repository.addMembers).toHaveBeenCalledWith(txManager, CONVERSATION, [CAROL, BOB], 4);
      expect(view.members).toEqual(members);
      expect(log).toEqual([
        'commit',
        `conversation:members conversation:${CONVERSATION}`,
        `conversation:added user:${CAROL}`,
        `conversation:added user:${BOB}`,
      ]);
    });

    it('should publish nothing when everyone named was already a member', async () => {
      repository.addMembers.mockResolvedValue([]);
      await sut.addMembers(principal(ALICE), CONVERSATION, { userIds: [BOB] });
      expect(repository.countMembers).not.toHaveBeenCalled();
      expect(publish).not.toHaveBeenCalled();
    });

    it('should refuse an addition past the limit, counted after the insert, and publish nothing', async () => {
      members = [member(ALICE), member(BOB), member(CAROL), member(DAN)];
      await expect(sut.addMembers(principal(ALICE), CONVERSATION, { userIds: [CAROL, DAN] })).rejects.toMatchObject({
        code: ErrorCode.LIMIT_EXCEEDED,
      });
      expect(log).toEqual([]);
    });

    it('should refuse additions to a direct conversation with FORBIDDEN', async () => {
      repository.requireMember.mockResolvedValue({ conversation: row('direct'), lastReadSeq: 4 });
      await expect(sut.addMembers(principal(ALICE), CONVERSATION, { userIds: [CAROL] })).rejects.toMatchObject({
        code: ErrorCode.FORBIDDEN,
      });
      expect(repository.addMembers).not.toHaveBeenCalled();
      expect(publish).not.toHaveBeenCalled();
    });
  });
});
