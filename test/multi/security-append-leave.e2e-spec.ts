// A leave that commits while a message append waits for the conversation's lock (issue 14, item 10): the leaver must
// neither receive the message (`inbox:update` to their devices) nor, as the sender, have it stored. The race is made
// certain rather than hoped for: a transaction of the test takes the conversation row's lock as a leave does, the
// append is sent and seen waiting, then the transaction removes the membership and commits, exactly as the leave's
// transaction would. Services mode only: embedded Postgres runs one statement at a time, so it has no such race.
import { DataSource, type QueryRunner } from 'typeorm';
import type { Socket } from 'socket.io-client';
import { type TestApp } from '../helpers/app.js';
import { useTwoInstances } from '../helpers/cluster.js';
import { registerUser, type TestUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { collect, connect, emitAck, eventually, waitFor } from '../helpers/sockets.js';

interface InboxUpdate {
  conversationId: string;
  lastMessageSeq: number;
}

describeMultiInstance('Security: a leave racing a message append', () => {
  let a: TestApp;
  let b: TestApp;
  let dataSource: DataSource;
  let sender: TestUser;
  let leaver: TestUser;
  let conversationId: string;
  let lock: QueryRunner;

  useTwoInstances((x, y) => {
    [a, b] = [x, y];
    dataSource = a.app.get(DataSource);
  });
  beforeEach(async () => {
    sender = await registerUser(a, 'Sender');
    leaver = await registerUser(b, 'Leaver');
    const created = await client(a.url).post('/api/v1/conversations', {
      token: sender.token,
      body: { memberIds: [leaver.id], title: 'Race' },
    });
    expect(created.status).toBe(201);
    conversationId = created.body.id;
  });
  // A test that failed may leave the conversation's lock held (the helper closes the sockets).
  afterEach(async () => {
    if (lock && !lock.isReleased) {
      if (lock.isTransactionActive) await lock.rollbackTransaction();
      await lock.release();
    }
  });

  /** Takes the conversation row's lock, as a leave's transaction does first. */
  async function lockConversation(): Promise<void> {
    lock = dataSource.createQueryRunner();
    await lock.connect();
    await lock.startTransaction();
    await lock.query(`SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE`, [conversationId]);
  }

  /**
   * Waits until the append is blocked on the conversation's lock (its first statement, which locks the conversations
   * it writes to: MessagingRepository.lockForAppend), then ends the "leave" of `user`.
   */
  async function leaveOnceAppendWaits(user: TestUser): Promise<void> {
    await eventually(async () => {
      const [{ waiting }] = await dataSource.query(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FOR NO KEY UPDATE%'`,
      );
      expect(waiting).toBe(1);
    }, 5000);
    await lock.query(`DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2`, [
      conversationId,
      user.id,
    ]);
    await lock.commitTransaction();
  }

  it('should not send the message to a member whose leave committed while the append waited', async () => {
    const senderSocket: Socket = await connect(a.url, sender.token);
    const leaverSocket: Socket = await connect(b.url, leaver.token);
    const leaverHeard = collect<InboxUpdate>(leaverSocket, 'inbox:update');
    await lockConversation();
    const senderHears = waitFor<InboxUpdate>(senderSocket, 'inbox:update', (u) => u.conversationId === conversationId);
    const sent = emitAck(senderSocket, 'message:send', { conversationId, body: 'after the leave' });
    await leaveOnceAppendWaits(leaver);
    const ack = await sent;
    expect(ack).toMatchObject({ ok: true, data: { seq: 1 } });
    // The sender's own device hears it (so delivery ran); the leaver's, on the other instance, must not.
    expect(await senderHears).toMatchObject({ lastMessageSeq: 1 });
    // Barrier: an event to the leaver's devices that A publishes after the append reaches them after anything the
    // append published for them.
    const barrier = waitFor(leaverSocket, 'conversation:added', (e) => e.conversation.title === 'Barrier');
    const later = await client(a.url).post('/api/v1/conversations', {
      token: sender.token,
      body: { memberIds: [leaver.id], title: 'Barrier' },
    });
    expect(later.status).toBe(201);
    await barrier;
    expect(leaverHeard.filter((u) => u.conversationId === conversationId)).toEqual([]);
  });

  it('should refuse the message of a sender whose leave committed while the append waited, and store nothing', async () => {
    const senderSocket: Socket = await connect(a.url, sender.token);
    await lockConversation();
    const sent = emitAck(senderSocket, 'message:send', { conversationId, body: 'sent while leaving' });
    await leaveOnceAppendWaits(sender);
    expect(await sent).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const history = await client(b.url).get(`/api/v1/conversations/${conversationId}/messages`, {
      token: leaver.token,
    });
    expect(history.status).toBe(200);
    expect(history.body.items).toEqual([]);
    const [{ last_seq: lastSeq }] = await dataSource.query(`SELECT last_seq FROM conversations WHERE id = $1`, [
      conversationId,
    ]);
    expect(lastSeq).toBe(0);
  });
});
